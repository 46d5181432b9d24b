# SPDX-License-Identifier: MIT
import itertools

import numpy as np
import pytest
import torch

from lgn2hw import ops
from lgn2hw.train.interconnect import FixedInterconnect
from lgn2hw.train.layers import PASS_A, GroupSum, LogicLayer, op_coefficients


def relaxed(op, a, b):
    c = op_coefficients()[op]
    return c[0] + c[1] * a + c[2] * b + c[3] * a * b


def test_relaxed_ops_equal_the_truth_tables_on_bits():
    for op, (a, b) in itertools.product(range(16), itertools.product((0, 1), repeat=2)):
        expected = int(ops.evaluate(np.array([op], np.uint64), 2, [a, b])[0])
        assert float(relaxed(op, float(a), float(b))) == expected, (ops.OP_NAMES[op], a, b)


def test_real_valued_forms(rng):
    a, b = (torch.tensor(rng.uniform(size=50), dtype=torch.float32) for _ in range(2))
    names = {n: i for i, n in enumerate(ops.OP_NAMES)}
    torch.testing.assert_close(relaxed(names["AND"], a, b), a * b)
    torch.testing.assert_close(relaxed(names["OR"], a, b), a + b - a * b)
    torch.testing.assert_close(relaxed(names["XOR"], a, b), a + b - 2 * a * b)
    torch.testing.assert_close(relaxed(names["NAND"], a, b), 1 - a * b)
    torch.testing.assert_close(relaxed(names["A"], a, b), a)


def make_layer(in_dim=6, out_dim=8, residual=0.9, gumbel=0.0):
    return LogicLayer(FixedInterconnect(in_dim, out_dim, torch.Generator().manual_seed(0)), residual, gumbel)


def test_residual_init_puts_the_mass_on_the_wire():
    layer = make_layer(residual=0.9)
    p = torch.softmax(layer.logits, dim=1)
    torch.testing.assert_close(p[:, PASS_A], torch.full((8,), 0.9))
    assert np.all(layer.hard_ops() == PASS_A)
    x = torch.rand(5, 6)
    layer.eval()
    torch.testing.assert_close(layer(x), x[:, layer.interconnect.indices[:, 0]])  # hard: exactly A


def test_eval_forward_is_the_boolean_network(rng):
    layer = make_layer()
    with torch.no_grad():
        layer.logits.copy_(torch.randn(8, 16))
    layer.eval()
    bits = rng.integers(0, 2, size=(64, 6)).astype(np.uint8)
    out = layer(torch.tensor(bits, dtype=torch.float32)).numpy()
    idx = layer.interconnect.indices.numpy()
    expect = np.stack([ops.evaluate(np.full(64, op, np.uint64), 2, bits[:, idx[g]])
                       for g, op in enumerate(layer.hard_ops())], axis=1)
    np.testing.assert_array_equal(out, expect)


def test_training_forward_is_the_softmax_mix_and_gumbel_samples():
    layer = make_layer(residual=None)
    x = torch.rand(4, 6)
    a, b = x[:, layer.interconnect.indices[:, 0]], x[:, layer.interconnect.indices[:, 1]]
    p = torch.softmax(layer.logits, 1)
    expect = sum(p[:, op] * relaxed(op, a, b) for op in range(16))
    torch.testing.assert_close(layer(x), expect)
    noisy = make_layer(residual=None, gumbel=1.0)
    noisy.load_state_dict(layer.state_dict())
    torch.manual_seed(0)
    y1 = noisy(x)
    assert not torch.allclose(y1, expect) and not torch.allclose(y1, noisy(x))


def test_bad_residual():
    with pytest.raises(ValueError, match="residual"):
        make_layer(residual=1.0)


def test_group_sum():
    x = torch.arange(12.0).reshape(1, 12)
    torch.testing.assert_close(GroupSum(3, tau=2.0)(x), torch.tensor([[6 / 2, 22 / 2, 38 / 2]]))
