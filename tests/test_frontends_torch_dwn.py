# SPDX-License-Identifier: MIT
"""torch_dwn checkpoints: fixtures bit-exact, LSB-first LUT addressing, learnable mapping,
GroupSum zero-padding and permutation, thermometer encoders, malformed inputs."""
import sys
import types

import numpy as np
import pytest
import torch

from conftest import PEER_FIXTURES
from lgn2hw.cli import main
from lgn2hw.errors import CheckpointError
from lgn2hw.frontends import load_model
from lgn2hw.sim import simulate, simulate_bits

D = PEER_FIXTURES / "torch_dwn"
REF = D / "dwn_tiny_ref.npz"
FULL = D / "dwn_tiny_model_plus_thermometer.pt"
SD = D / "dwn_tiny_state_dict.pt"


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(REF))


def dwn_forward(x, luts, mapping):
    """torch_dwn eval: out[g] = luts[g, sum_l x[mapping[g, l]] << l] > 0."""
    n = mapping.shape[1]
    addr = sum(x[:, mapping[:, l]].astype(np.int64) << l for l in range(n))
    return (luts[np.arange(luts.shape[0])[None, :], addr] > 0).astype(np.uint8)


def test_full_model_plus_thermometer(ref):
    imp = load_model(FULL)
    nl = imp.netlist
    assert imp.format == "torch_dwn" and (nl.num_inputs, nl.arity, nl.num_classes) == (32, 6, 2)
    assert nl.tau == pytest.approx(float(ref["tau"]))
    np.testing.assert_array_equal(nl.encoder.thresholds, ref["thresholds"].astype(np.float64))
    res = simulate_bits(nl, ref["input_bits"])
    np.testing.assert_array_equal(res.output_bits, ref["last_layer_bits"])
    np.testing.assert_array_equal(res.group_sums, ref["group_sums"])
    real = simulate(nl, ref["inputs_real"])
    np.testing.assert_array_equal(real.group_sums, ref["group_sums"])
    np.testing.assert_array_equal(real.classes, ref["argmax"])
    np.testing.assert_array_equal(nl.fanin[:60] - 2, ref["wiring_layer0"])  # learnable mapping resolved


def test_state_dict(ref):
    nl = load_model(SD, classes=2).netlist
    assert nl.encoder is None
    res = simulate_bits(nl, ref["input_bits"])
    np.testing.assert_array_equal(res.output_bits, ref["last_layer_bits"])
    np.testing.assert_array_equal(res.group_sums, ref["group_sums"])


@pytest.mark.parametrize("path,args,key", [(FULL, [], "X"), (SD, ["--classes", "2"], "bits")],
                         ids=["full_model", "state_dict"])
def test_through_cli(path, args, key, ref, tmp_path, capsys):
    np.savez(tmp_path / "x.npz", **{key: ref["inputs_real"] if key == "X" else ref["input_bits"]})
    assert main(["predict", str(path), "--inputs", str(tmp_path / "x.npz"), "--out", str(tmp_path / "y.npz"), *args]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npz")["group_sums"], ref["group_sums"])
    capsys.readouterr()
    assert main(["inspect", str(path), *args]) == 0
    assert "torch_dwn" in capsys.readouterr().out
    assert main(["compile", str(path), "--out", str(tmp_path / "b"), *args]) == 0


# ---------------------------------------------------------------------- synthetic
def save_sd(tmp_path, layers, name="m.pt"):
    sd = {}
    for i, (luts, mapping) in enumerate(layers):
        sd[f"{i}.luts"] = torch.tensor(luts, dtype=torch.float32)
        sd[f"{i}.mapping"] = torch.tensor(mapping, dtype=torch.int32)
    torch.save(sd, tmp_path / name)
    return tmp_path / name


def test_lsb_first_addressing_by_hand(tmp_path):
    # luts row: only address 1 is positive; address = x[slot 0] + 2 x[slot 1] -> slot 0 = 1, slot 1 = 0
    nl = load_model(save_sd(tmp_path, [([[-1, 1, -1, -1]], [[2, 0]])]), classes=1).netlist
    x = np.array([[a, 0, b] for a in (0, 1) for b in (0, 1)], dtype=np.uint8)
    np.testing.assert_array_equal(simulate_bits(nl, x).output_bits[:, 0], x[:, 2] & (1 - x[:, 0]))


def test_group_sum_zero_padding(tmp_path):
    rng = np.random.default_rng(4)
    luts, mapping = rng.normal(size=(5, 8)), rng.integers(0, 7, (5, 3))
    nl = load_model(save_sd(tmp_path, [(luts, mapping)]), classes=2).netlist
    assert nl.num_outputs == 6 and nl.outputs[-1] == 0  # padded with the constant-0 signal
    x = rng.integers(0, 2, (200, nl.num_inputs)).astype(np.uint8)
    out = dwn_forward(x, luts.astype(np.float32), mapping)
    res = simulate_bits(nl, x)
    np.testing.assert_array_equal(res.group_sums, np.stack([out[:, :3].sum(1), out[:, 3:].sum(1)], axis=1))


def test_mixed_n_and_learnable_mapping_state_dict(tmp_path):
    rng = np.random.default_rng(8)
    l0 = rng.normal(size=(6, 16))
    mw = rng.normal(size=(10, 6 * 4))  # learnable: argmax over inputs, reshaped [6, 4]
    l1, m1 = rng.normal(size=(4, 4)), rng.integers(0, 6, (4, 2))
    sd = {"0._LUTLayer__dummy_mapping": torch.arange(24, dtype=torch.int32).reshape(6, 4) % 3,
          "0.luts": torch.tensor(l0, dtype=torch.float32), "0.mapping.weights": torch.tensor(mw, dtype=torch.float32),
          "1.mapping": torch.tensor(m1, dtype=torch.int32), "1.luts": torch.tensor(l1, dtype=torch.float32)}
    torch.save(sd, tmp_path / "m.pt")
    nl = load_model(tmp_path / "m.pt", classes=2).netlist
    assert nl.arity == 4
    x = np.random.default_rng(0).integers(0, 2, (300, nl.num_inputs)).astype(np.uint8)
    m0 = np.argmax(mw.astype(np.float32), axis=0).reshape(6, 4)
    h = dwn_forward(x, l0.astype(np.float32), m0)
    np.testing.assert_array_equal(simulate_bits(nl, x).output_bits, dwn_forward(h, l1.astype(np.float32), m1))


@pytest.fixture
def fake_dwn(monkeypatch):
    made = {}
    spec = {"torch_dwn.lut_layer": ["LUTLayer"], "torch_dwn.utils": ["GroupSum"],
            "torch_dwn.binarization": ["DistributiveThermometer"]}
    for modname in ["torch_dwn", *spec]:
        mod = types.ModuleType(modname)
        for cls in spec.get(modname, []):
            base = object if cls.endswith("Thermometer") else torch.nn.Module
            made[cls] = type(cls, (base,), {"__module__": modname})
            setattr(mod, cls, made[cls])
        monkeypatch.setitem(sys.modules, modname, mod)
    return types.SimpleNamespace(**made)


def lut_layer(T, luts, mapping, ste=True):
    layer = T.LUTLayer()
    layer.input_size, layer.output_size, layer.n, layer.ste = int(mapping.max()) + 1, luts.shape[0], mapping.shape[1], ste
    layer.luts = torch.nn.Parameter(torch.tensor(luts, dtype=torch.float32))
    layer.mapping = torch.nn.Parameter(torch.tensor(mapping, dtype=torch.int32), requires_grad=False)
    return layer


def test_full_model_randperm_and_global_thermometer(fake_dwn, tmp_path):
    rng = np.random.default_rng(9)
    luts, mapping = rng.normal(size=(6, 4)), rng.integers(0, 8, (6, 2))
    mapping[0, 0] = 7
    gs = fake_dwn.GroupSum()
    perm = np.array([5, 3, 1, 0, 2, 4])
    gs.k, gs.tau, gs.randperm = 3, 1.0, torch.tensor(perm)
    therm = fake_dwn.DistributiveThermometer()
    therm.thresholds, therm.num_bits, therm.feature_wise = torch.tensor([-0.5, 0.5]), 2, False
    torch.save({"model": torch.nn.Sequential(lut_layer(fake_dwn, luts, mapping), gs), "thermometer": therm},
               tmp_path / "m.pt")
    nl = load_model(tmp_path / "m.pt").netlist
    assert nl.encoder.thresholds.shape == (4, 2)
    X = rng.normal(size=(200, 4))
    bits = (X[:, :, None] > np.array([-0.5, 0.5], dtype=np.float32)[None, None]).reshape(200, 8).astype(np.uint8)
    out = dwn_forward(bits, luts.astype(np.float32), mapping)[:, perm]
    np.testing.assert_array_equal(simulate(nl, X).group_sums, out.reshape(200, 3, 2).sum(-1))


def test_ste_false_is_refused(fake_dwn, tmp_path):
    gs = fake_dwn.GroupSum()
    gs.k, gs.tau, gs.randperm = 1, 1.0, None
    torch.save(torch.nn.Sequential(lut_layer(fake_dwn, np.ones((2, 4)), np.array([[0, 1], [1, 0]]), ste=False), gs),
               tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="ste=False"):
        load_model(tmp_path / "m.pt")


# ---------------------------------------------------------------------- malformed
def _sd():
    return torch.load(SD, weights_only=True)


def test_missing_mapping(tmp_path):
    sd = _sd()
    del sd["1.mapping"]
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"missing key '1.mapping'"):
        load_model(tmp_path / "m.pt", classes=2)


def test_mapping_shape_mismatch(tmp_path):
    sd = _sd()
    sd["1.mapping"] = sd["1.mapping"][:, :5]
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"1.mapping: shape \[60, 5\], expected \[60, 6\]"):
        load_model(tmp_path / "m.pt", classes=2)


def test_mapping_out_of_range(tmp_path):
    sd = _sd()
    sd["1.mapping"][3, 2] = 60
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"1: gate 3 input 2 reads index 60, expected 0\.\.59"):
        load_model(tmp_path / "m.pt", classes=2)


def test_learnable_mapping_width_does_not_chain(tmp_path):
    sd = _sd()
    sd["0.mapping.weights"] = sd["0.mapping.weights"][:, :300]
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"0.mapping.weights: shape \[32, 300\], expected \[inputs, 360\]"):
        load_model(tmp_path / "m.pt", classes=2)


def test_luts_not_a_power_of_two(tmp_path):
    sd = _sd()
    sd["1.luts"] = sd["1.luts"][:, :48]
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"1.luts: shape \[60, 48\]"):
        load_model(tmp_path / "m.pt", classes=2)


def test_truncated(tmp_path, capsys):
    raw = SD.read_bytes()
    (tmp_path / "t.pt").write_bytes(raw[: len(raw) // 3])
    assert main(["inspect", str(tmp_path / "t.pt"), "--classes", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "t.pt" in err and err.count("\n") == 1
