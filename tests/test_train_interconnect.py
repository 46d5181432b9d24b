# SPDX-License-Identifier: MIT
import numpy as np
import pytest
import torch

from lgn2hw.train import interconnect as ic


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_spread_uses_every_input():
    idx = ic.spread_indices(50, 40, 2, gen())
    assert idx.shape == (40, 2)
    assert set(idx.flatten().tolist()) == set(range(50))
    assert np.bincount(idx.flatten().numpy(), minlength=50).max() <= 2


def test_fixed_forward_gathers():
    layer = ic.FixedInterconnect(10, 5, gen())
    x = torch.rand(3, 10)
    torch.testing.assert_close(layer(x), x[:, layer.indices])


def learnable(in_dim=20, out_dim=6, c=8, seed=0):
    layer = ic.LearnableInterconnect(in_dim, out_dim, gen(seed), candidates=c)
    with torch.no_grad():
        layer.weights.copy_(torch.randn(out_dim, 2, c, generator=gen(seed + 1)))
    return layer


def test_learnable_forward_is_hard_backward_is_softmax_surrogate():
    layer = learnable()
    x = torch.rand(4, 20)
    out = layer(x)
    best = layer.weights.argmax(2)
    hard_idx = layer.candidates.gather(2, best[..., None])[..., 0]
    torch.testing.assert_close(out, x[:, hard_idx])
    dy = torch.randn_like(out)
    (out * dy).sum().backward()
    w = layer.weights.detach().clone().requires_grad_(True)
    soft = (x[:, layer.candidates] * torch.softmax(w, 2)).sum(3)
    (soft * dy).sum().backward()
    torch.testing.assert_close(layer.weights.grad, w.grad)
    assert layer.weights.grad.abs().sum() > 0


def test_parameter_memory_is_independent_of_inputs():
    small = ic.LearnableInterconnect(64, 100, gen(), candidates=8)
    big = ic.LearnableInterconnect(30720, 100, gen(), candidates=8)
    assert small.parameter_bytes() == big.parameter_bytes() == 100 * 2 * 8 * (8 + 4)


def test_resample_replaces_the_weakest():
    layer = learnable(c=6)
    before_w = layer.weights.detach().clone()
    before_c = layer.candidates.clone()
    new = torch.full((6, 2, 2), 19)
    weak = layer.resample(new)
    order = before_w.argsort(2)
    assert torch.equal(weak, order[:, :, :2])
    assert torch.all(layer.candidates.gather(2, weak) == 19)
    floor = before_w.gather(2, order[:, :, 2:]).min(2).values
    torch.testing.assert_close(layer.weights.detach().gather(2, weak), floor[..., None].expand(-1, -1, 2))
    kept = order[:, :, 2:]
    assert torch.equal(layer.candidates.gather(2, kept), before_c.gather(2, kept))
    assert torch.equal(layer.weights.detach().gather(2, kept), before_w.gather(2, kept))


@pytest.mark.parametrize("chunk", [1 << 24, 37])  # one chunk, and many chunks of the running top-R
def test_gradient_newcomers_match_brute_force(chunk):
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 2, (16, 50), generator=g).float()
    dy = torch.randn(16, 7, 2, generator=g)
    exclude = torch.randint(0, 50, (7, 2, 4), generator=g)
    got = ic.gradient_newcomers(x, dy, 3, exclude, chunk_elems=chunk)
    full = torch.einsum("bi,bgj->gji", 2 * x - 1, dy)  # [G, k, I]: the score matrix built whole
    full.scatter_(2, exclude, float("inf"))
    expect = full.topk(3, dim=2, largest=False).indices
    assert got.shape == (7, 2, 3)
    assert torch.equal(got.sort(2).values, expect.sort(2).values)
    for s in range(7):
        for j in range(2):
            assert not set(got[s, j].tolist()) & set(exclude[s, j].tolist())


def test_uniform_newcomers_range():
    layer = learnable(in_dim=5)
    new = ic.uniform_newcomers(layer, 4, gen())
    assert new.shape == (6, 2, 4) and new.min() >= 0 and new.max() < 5
