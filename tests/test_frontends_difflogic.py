# SPDX-License-Identifier: MIT
"""difflogic checkpoints: fixtures bit-exact through load_model and the CLI, synthetic models
checked against difflogic's real-valued op formulas, malformed inputs refused clearly."""
import json
import sys
import types

import numpy as np
import pytest
import torch

from conftest import PEER_FIXTURES
from lgn2hw.cli import main
from lgn2hw.errors import CheckpointError
from lgn2hw.frontends import load_model
from lgn2hw.sim import simulate_bits

D = PEER_FIXTURES / "difflogic"
REF = D / "difflogic_tiny_ref.npz"
FULL, WITH_INDICES, BARE = (D / f"difflogic_tiny_{n}.pt" for n in ("full_model", "with_indices", "state_dict"))

# difflogic's relaxed ops (difflogic.functional.bin_op), evaluated on 0/1 values
BIN_OP = [lambda a, b: 0 * a, lambda a, b: a * b, lambda a, b: a - a * b, lambda a, b: a,
          lambda a, b: b - a * b, lambda a, b: b, lambda a, b: a + b - 2 * a * b, lambda a, b: a + b - a * b,
          lambda a, b: 1 - (a + b - a * b), lambda a, b: 1 - (a + b - 2 * a * b), lambda a, b: 1 - b,
          lambda a, b: 1 - b + a * b, lambda a, b: 1 - a, lambda a, b: 1 - a + a * b, lambda a, b: 1 - a * b,
          lambda a, b: 0 * a + 1]


def reference_forward(x, layers):
    """layers: [(op_ids [G], indices [2, G])]; returns last-layer bits."""
    x = x.astype(np.int64)
    for ids, idx in layers:
        a, b = x[:, idx[0]], x[:, idx[1]]
        x = np.stack([BIN_OP[op](a[:, g], b[:, g]) for g, op in enumerate(ids)], axis=1)
    return x.astype(np.uint8)


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(REF))


@pytest.mark.parametrize("path", [FULL, WITH_INDICES], ids=["full_model", "with_indices"])
def test_fixture_bit_exact(path, ref):
    imp = load_model(path)
    assert imp.format == "difflogic"
    nl = imp.netlist
    assert (nl.num_inputs, nl.num_classes, nl.tau) == (32, 2, 4.0)
    res = simulate_bits(nl, ref["inputs"])
    np.testing.assert_array_equal(res.output_bits, ref["last_layer_bits"])
    np.testing.assert_array_equal(res.group_sums, ref["group_sums"])
    np.testing.assert_array_equal(res.classes, ref["argmax"])
    np.testing.assert_array_equal(nl.tables[:64], ref["gate_ids_layer0"])


@pytest.mark.parametrize("path", [FULL, WITH_INDICES], ids=["full_model", "with_indices"])
def test_fixture_through_cli(path, ref, tmp_path, capsys):
    np.savez(tmp_path / "x.npz", bits=ref["inputs"])
    assert main(["predict", str(path), "--inputs", str(tmp_path / "x.npz"), "--out", str(tmp_path / "y.npz")]) == 0
    out = np.load(tmp_path / "y.npz")
    np.testing.assert_array_equal(out["group_sums"], ref["group_sums"])
    np.testing.assert_array_equal(out["output_bits"], ref["last_layer_bits"])
    capsys.readouterr()
    assert main(["inspect", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "difflogic"
    assert main(["compile", str(path), "--out", str(tmp_path / "build")]) == 0
    assert (tmp_path / "build" / "netlist.npz").exists()


def test_bare_state_dict_is_refused_with_a_hint(capsys):
    with pytest.raises(CheckpointError, match=r"wiring.*not saved.*#34.*'indices'"):
        load_model(BARE)
    assert main(["inspect", str(BARE)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "torch.save(" in err


# ---------------------------------------------------------------------- synthetic full pickles
@pytest.fixture
def fake_difflogic(monkeypatch):
    """Stand-ins for difflogic's classes, registered only while the checkpoint is written."""
    mod = types.ModuleType("difflogic.difflogic")
    for name in ("LogicLayer", "GroupSum"):
        setattr(mod, name, type(name, (torch.nn.Module,), {"__module__": "difflogic.difflogic"}))
    pkg = types.ModuleType("difflogic")
    pkg.difflogic = mod
    monkeypatch.setitem(sys.modules, "difflogic", pkg)
    monkeypatch.setitem(sys.modules, "difflogic.difflogic", mod)
    return mod


def logic_layer(mod, in_dim, out_dim, rng):
    layer = mod.LogicLayer()
    layer.in_dim, layer.out_dim = in_dim, out_dim
    layer.weights = torch.nn.Parameter(torch.randn(out_dim, 16, generator=rng))
    layer.indices = (torch.randint(0, in_dim, (out_dim,), generator=rng), torch.randint(0, in_dim, (out_dim,), generator=rng))
    return layer


def group_sum(mod, k, tau):
    gs = mod.GroupSum()
    gs.k, gs.tau = k, tau
    return gs


def spec(layer):
    return layer.weights.argmax(1).numpy(), torch.stack(layer.indices).numpy()


def test_synthetic_full_model_with_flatten(fake_difflogic, tmp_path):
    rng = torch.Generator().manual_seed(3)
    l1, l2 = logic_layer(fake_difflogic, 16, 12, rng), logic_layer(fake_difflogic, 12, 6, rng)
    model = torch.nn.Sequential(torch.nn.Flatten(), l1, l2, group_sum(fake_difflogic, 3, 2.0))
    torch.save(model, tmp_path / "m.pt")
    for name in ("difflogic", "difflogic.difflogic"):
        sys.modules.pop(name)  # the loader must not need them
    nl = load_model(tmp_path / "m.pt").netlist
    x = np.random.default_rng(0).integers(0, 2, (300, 16)).astype(np.uint8)
    expect = reference_forward(x, [spec(l1), spec(l2)])
    res = simulate_bits(nl, x)
    np.testing.assert_array_equal(res.output_bits, expect)
    np.testing.assert_array_equal(res.group_sums, expect.reshape(300, 3, 2).sum(-1))
    assert (nl.num_classes, nl.tau) == (3, 2.0)
    # options override what the module says
    assert load_model(tmp_path / "m.pt", classes=2, tau=5.0).netlist.num_classes == 2


def test_unsupported_module_is_named(fake_difflogic, tmp_path):
    rng = torch.Generator().manual_seed(1)
    model = torch.nn.Sequential(logic_layer(fake_difflogic, 8, 8, rng), torch.nn.ReLU(),
                                logic_layer(fake_difflogic, 8, 4, rng), group_sum(fake_difflogic, 2, 1.0))
    torch.save(model, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"module '1'.*ReLU"):
        load_model(tmp_path / "m.pt")


def test_full_model_layers_that_do_not_chain(fake_difflogic, tmp_path):
    rng = torch.Generator().manual_seed(2)
    model = torch.nn.Sequential(logic_layer(fake_difflogic, 8, 8, rng), logic_layer(fake_difflogic, 10, 4, rng),
                                group_sum(fake_difflogic, 2, 1.0))
    torch.save(model, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"module '1': in_dim 10 but the previous layer has 8"):
        load_model(tmp_path / "m.pt")


# ---------------------------------------------------------------------- malformed dict form
def _with_indices():
    return torch.load(WITH_INDICES, weights_only=True)


def _save(obj, tmp_path):
    torch.save(obj, tmp_path / "c.pt")
    return tmp_path / "c.pt"


def test_missing_indices_entry(tmp_path):
    ck = _with_indices()
    del ck["indices"]["1"]
    with pytest.raises(CheckpointError, match=r"'indices' has no entry for layer '1'"):
        load_model(_save(ck, tmp_path))


def test_indices_shape_does_not_match_gates(tmp_path):
    ck = _with_indices()
    ck["indices"]["1"] = ck["indices"]["1"][:, :-1]
    with pytest.raises(CheckpointError, match=r"1: indices of shape \[2, 63\] do not match 64 gates"):
        load_model(_save(ck, tmp_path))


@pytest.mark.parametrize("value", [64, -1])
def test_index_out_of_range(tmp_path, value):
    ck = _with_indices()
    ck["indices"]["1"][1, 5] = value
    with pytest.raises(CheckpointError, match=rf"1: gate 5 input 1 reads index {value}, expected 0..63"):
        load_model(_save(ck, tmp_path))


def test_weights_not_logits(tmp_path):
    ck = _with_indices()
    ck["state_dict"]["0.weights"] = ck["state_dict"]["0.weights"][:, :8]
    with pytest.raises(CheckpointError, match=r"0.weights: expected \[G, 16\]"):
        load_model(_save(ck, tmp_path), fmt="difflogic")


def test_classes_must_divide(tmp_path):
    with pytest.raises(CheckpointError, match="k=3 does not divide the last layer's 64 outputs"):
        load_model(WITH_INDICES, classes=3)


def test_truncated_checkpoint(tmp_path):
    raw = WITH_INDICES.read_bytes()
    (tmp_path / "t.pt").write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(CheckpointError, match="t.pt"):
        load_model(tmp_path / "t.pt")
