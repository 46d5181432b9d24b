# SPDX-License-Identifier: MIT
"""torchlogix checkpoints: fixtures bit-exact (bits and real inputs through the encoder), the
Walsh/light parametrizations, rank-k LUTs and learnable connections on synthetic checkpoints
checked against hand-computed truth tables and an explicit basis-product forward pass."""
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

D = PEER_FIXTURES / "torchlogix"
REF = D / "torchlogix_raw_rank2_fixed_ref.npz"
FULL = D / "torchlogix_raw_rank2_fixed_full_model.pt"
SD = D / "torchlogix_raw_rank2_fixed_state_dict.pt"
SD_OPTS = {"classes": 2, "tau": 4.0}


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(REF))


def check(nl, ref):
    res = simulate_bits(nl, ref["input_bits"])
    np.testing.assert_array_equal(res.output_bits, ref["last_layer_bits"])
    np.testing.assert_array_equal(res.group_sums, ref["group_sums"])
    real = simulate(nl, ref["inputs_real"])  # through the imported thermometer encoder
    np.testing.assert_array_equal(real.group_sums, ref["group_sums"])
    np.testing.assert_array_equal(real.classes, ref["argmax"])


@pytest.mark.parametrize("path,opts", [(FULL, {}), (SD, SD_OPTS)], ids=["full_model", "state_dict"])
def test_fixture_bit_exact(path, opts, ref):
    imp = load_model(path, **opts)
    assert imp.format == "torchlogix"
    nl = imp.netlist
    assert (nl.num_inputs, nl.num_classes, nl.tau) == (32, 2, 4.0)
    np.testing.assert_array_equal(nl.encoder.thresholds, ref["thresholds"].astype(np.float64))
    np.testing.assert_array_equal(nl.tables[:64], ref["ids_layer2"])
    check(nl, ref)


@pytest.mark.parametrize("path,args", [(FULL, []), (SD, ["--classes", "2", "--tau", "4"])],
                         ids=["full_model", "state_dict"])
def test_fixture_through_cli(path, args, ref, tmp_path):
    np.savez(tmp_path / "x.npz", X=ref["inputs_real"])
    assert main(["predict", str(path), "--inputs", str(tmp_path / "x.npz"), "--out", str(tmp_path / "y.npz"), *args]) == 0
    out = np.load(tmp_path / "y.npz")
    np.testing.assert_array_equal(out["group_sums"], ref["group_sums"])
    np.testing.assert_array_equal(out["output_bits"], ref["last_layer_bits"])
    assert main(["compile", str(path), "--out", str(tmp_path / "b"), *args]) == 0
    assert main(["inspect", str(path), "--format", "torchlogix", *args]) == 0


def test_state_dict_needs_classes(capsys):
    assert main(["inspect", str(SD)]) == 1
    assert "--classes" in capsys.readouterr().err


# ---------------------------------------------------------------------- parametrizations
def explicit_walsh(weight, x):
    """torchlogix eval: s = 1 - 2x, y = sum_j w_j prod_{slot i in j} s_i (slot 0 = MSB of j), out = y < 0.
    weight [G, 2**k], x [N, G, k] -> [N, G]."""
    k = x.shape[2]
    s = 1.0 - 2.0 * x
    y = np.zeros(x.shape[:2])
    for j in range(1 << k):
        term = np.ones(x.shape[:2])
        for i in range(k):
            if (j >> (k - 1 - i)) & 1:
                term = term * s[:, :, i]
        y += weight[None, :, j] * term
    return (y < 0).astype(np.uint8)


def gather(x, wiring):
    """x [N, I], wiring [k, G] -> [N, G, k]."""
    return np.stack([x[:, wiring[i]] for i in range(wiring.shape[0])], axis=2)


def sd_checkpoint(tmp_path, weight, indices, name="c.pt", extra=None):
    sd = {"0.weight": torch.as_tensor(weight, dtype=torch.float32),
          "0.connections.indices": torch.as_tensor(indices, dtype=torch.int64)}
    sd.update(extra or {})
    torch.save(sd, tmp_path / name)
    return tmp_path / name


# Walsh coefficients of some 2-input ops, checked by hand (s = 1 - 2x, out = y < 0):
# A: y = s_a;  B: y = s_b;  XOR: y = s_a s_b;  AND: 0.5 (1 + s_a + s_b - s_a s_b) < 0 only at a=b=1 ...
HAND_WALSH = {3: (0, 0, 1, 0), 5: (0, 1, 0, 0), 6: (0, 0, 0, 1), 9: (0, 0, 0, -1), 12: (0, 0, -1, 0),
              1: (0.5, 0.5, 0.5, -0.5), 7: (-0.5, 0.5, 0.5, 0.5), 14: (-0.5, -0.5, -0.5, 0.5),
              0: (1, 0, 0, 0), 15: (-1, 0, 0, 0)}


@pytest.mark.parametrize("param", ["walsh", "warp"])
def test_walsh_rank2_hand_table(tmp_path, param):
    ops_ = list(HAND_WALSH)
    path = sd_checkpoint(tmp_path, [HAND_WALSH[o] for o in ops_], [[0] * len(ops_), [1] * len(ops_)])
    nl = load_model(path, classes=1, parametrization=param).netlist
    np.testing.assert_array_equal(nl.tables, ops_)


def test_ambiguous_weights_need_the_parametrization(tmp_path):
    path = sd_checkpoint(tmp_path, [HAND_WALSH[6]], [[0], [1]])
    with pytest.raises(CheckpointError, match="--parametrization warp"):
        load_model(path, classes=1)


def test_walsh_rank4_single_coefficients(tmp_path):
    # coefficient index 8 = {slot 0}, 1 = {slot 3}, 15 = all four slots, 0 (negative) = constant 1
    w = np.zeros((4, 16))
    w[0, 8], w[1, 1], w[2, 15], w[3, 0] = 1.0, 1.0, 1.0, -1.0
    idx = np.array([[0, 1, 2, 3]] * 4).T  # every node reads x0..x3 in slots 0..3
    nl = load_model(sd_checkpoint(tmp_path, w, idx), classes=1, parametrization="walsh").netlist
    x = np.array([[(v >> (3 - i)) & 1 for i in range(4)] for v in range(16)], dtype=np.uint8)
    out = simulate_bits(nl, x).output_bits
    np.testing.assert_array_equal(out[:, 0], x[:, 0])
    np.testing.assert_array_equal(out[:, 1], x[:, 3])
    np.testing.assert_array_equal(out[:, 2], x.sum(1) % 2)
    np.testing.assert_array_equal(out[:, 3], 1)


@pytest.mark.parametrize("k", [2, 3, 4, 6])
def test_walsh_random_matches_explicit_basis(tmp_path, k):
    rng = np.random.default_rng(k)
    g, n_in = 12, 10
    w = rng.normal(size=(g, 1 << k)).astype(np.float32)
    idx = rng.integers(0, n_in, (k, g))
    nl = load_model(sd_checkpoint(tmp_path, w, idx), classes=3, parametrization="walsh").netlist
    x = rng.integers(0, 2, (500, n_in)).astype(np.uint8)
    x[:, n_in - 1] = 1  # make sure the last input exists for the inferred width
    nl_bits = simulate_bits(nl, x[:, :nl.num_inputs]).output_bits
    np.testing.assert_array_equal(nl_bits, explicit_walsh(w.astype(np.float64), gather(x, idx)))


@pytest.mark.parametrize("k", [2, 4, 5])
def test_light_random(tmp_path, k):
    rng = np.random.default_rng(10 + k)
    g, n_in = 8, 9
    w = rng.normal(size=(g, 1 << k)).astype(np.float32)
    idx = rng.integers(0, n_in, (k, g))
    nl = load_model(sd_checkpoint(tmp_path, w, idx), classes=2, parametrization="light").netlist
    x = rng.integers(0, 2, (400, nl.num_inputs)).astype(np.uint8)
    xs = gather(x, idx)
    addr = sum(xs[:, :, i].astype(np.int64) << (k - 1 - i) for i in range(k))
    expect = (w[np.arange(g)[None, :], addr] > 0).astype(np.uint8)
    np.testing.assert_array_equal(simulate_bits(nl, x).output_bits, expect)


def test_mixed_rank_layers_widen(tmp_path):
    """A rank-4 Walsh layer feeding a rank-2 one: the rank-2 tables are widened to arity 4."""
    rng = np.random.default_rng(5)
    w0, i0 = rng.normal(size=(6, 16)), rng.integers(0, 8, (4, 6))
    w1, i1 = rng.normal(size=(4, 4)), rng.integers(0, 6, (2, 4))
    sd = {"a.weight": torch.tensor(w0, dtype=torch.float32), "a.connections.indices": torch.tensor(i0),
          "b.weight": torch.tensor(w1, dtype=torch.float32), "b.connections.indices": torch.tensor(i1)}
    torch.save(sd, tmp_path / "m.pt")
    nl = load_model(tmp_path / "m.pt", classes=2, parametrization="walsh").netlist
    assert nl.arity == 4
    x = rng.integers(0, 2, (300, nl.num_inputs)).astype(np.uint8)
    h = explicit_walsh(w0.astype(np.float32).astype(np.float64), gather(x, i0))
    expect = explicit_walsh(w1.astype(np.float32).astype(np.float64), gather(h, i1))
    np.testing.assert_array_equal(simulate_bits(nl, x).output_bits, expect)


# ---------------------------------------------------------------------- learnable connections
def test_learnable_connections_with_candidates(tmp_path):
    # C=3 candidates, k=2 slots, G=2 nodes, both AND (op 1); argmax picks the candidate per slot
    cand = np.array([[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9], [10, 11]]])  # [C, k, G]
    score = np.zeros((3, 2, 2))
    score[2, 0, 0] = score[0, 1, 0] = 1  # node 0: a = x8, b = x2
    score[1, 0, 1] = score[1, 1, 1] = 1  # node 1: a = x5, b = x7
    ops_ = np.zeros((2, 16))
    ops_[:, 1] = 1
    sd = {"0.weight": torch.tensor(ops_), "0.connections.indices": torch.tensor(cand),
          "0.connections.weights": torch.tensor(score)}
    torch.save(sd, tmp_path / "m.pt")
    nl = load_model(tmp_path / "m.pt", classes=1).netlist
    x = np.random.default_rng(0).integers(0, 2, (200, 12)).astype(np.uint8)
    out = simulate_bits(nl, x).output_bits
    np.testing.assert_array_equal(out[:, 0], x[:, 8] & x[:, 2])
    np.testing.assert_array_equal(out[:, 1], x[:, 5] & x[:, 7])


def test_learnable_connections_all_inputs_candidates(tmp_path):
    score = np.zeros((6, 2, 1))  # no 'indices': candidate c is input c
    score[4, 0, 0] = score[1, 1, 0] = 1
    ops_ = np.zeros((1, 16))
    ops_[0, 2] = 1  # a AND NOT b
    sd = {"0.weight": torch.tensor(ops_), "0.connections.weights": torch.tensor(score)}
    torch.save(sd, tmp_path / "m.pt")
    nl = load_model(tmp_path / "m.pt", classes=1).netlist
    x = np.random.default_rng(1).integers(0, 2, (100, nl.num_inputs)).astype(np.uint8)
    np.testing.assert_array_equal(simulate_bits(nl, x).output_bits[:, 0], x[:, 4] & (1 - x[:, 1]))


# ---------------------------------------------------------------------- synthetic full pickles
CLASSES = {"torchlogix.layers.dense": ["LogicDense"], "torchlogix.parametrization": ["WalshLUTParametrization"],
           "torchlogix.connections": ["LearnableDenseConnections", "FixedDenseConnections"],
           "torchlogix.layers.binarization": ["FixedBinarization"], "torchlogix.layers.groupsum": ["GroupSum"]}


@pytest.fixture
def fake_torchlogix(monkeypatch):
    made = {}
    for modname in ["torchlogix", "torchlogix.layers", *CLASSES]:
        mod = types.ModuleType(modname)
        for cls in CLASSES.get(modname, []):
            made[cls] = type(cls, (torch.nn.Module,), {"__module__": modname})
            setattr(mod, cls, made[cls])
        monkeypatch.setitem(sys.modules, modname, mod)
    return types.SimpleNamespace(**made)


def test_synthetic_full_model_walsh_learnable(fake_torchlogix, tmp_path):
    T = fake_torchlogix
    rng = np.random.default_rng(7)
    thr = np.sort(rng.normal(size=(3, 4)), axis=1).astype(np.float32)
    binar = T.FixedBinarization()
    binar.register_buffer("thresholds", torch.tensor(thr))
    binar.feature_dim = -2
    layer = T.LogicDense()
    layer.in_dim, layer.out_dim, layer.lut_rank = 12, 8, 4
    w = rng.normal(size=(8, 16)).astype(np.float32)
    layer.weight = torch.nn.Parameter(torch.tensor(w))
    layer.parametrization = T.WalshLUTParametrization()
    layer.parametrization.lut_rank = 4
    conn = T.LearnableDenseConnections()
    cand = rng.integers(0, 12, (3, 4, 8))
    score = rng.normal(size=(3, 4, 8)).astype(np.float32)
    conn.indices = torch.tensor(cand)
    conn.weights = torch.nn.Parameter(torch.tensor(score))
    layer.connections = conn
    gs = T.GroupSum()
    gs.k, gs.tau, gs.beta = 4, 2.0, 0.5
    torch.save(torch.nn.Sequential(binar, torch.nn.Flatten(), layer, gs), tmp_path / "m.pt")
    imp = load_model(tmp_path / "m.pt")
    nl = imp.netlist
    assert imp.format == "torchlogix" and (nl.num_classes, nl.tau) == (4, 2.0)
    X = rng.normal(size=(300, 3))
    bits = (X[:, :, None] > thr[None].astype(np.float64)).reshape(300, 12).astype(np.uint8)
    wiring = np.take_along_axis(cand, np.argmax(score, axis=0)[None], axis=0)[0]  # [k, G]
    expect = explicit_walsh(w.astype(np.float64), gather(bits, wiring))
    res = simulate(nl, X)
    np.testing.assert_array_equal(res.output_bits, expect)
    np.testing.assert_array_equal(res.group_sums, expect.reshape(300, 4, 2).sum(-1))


def test_legacy_string_walsh(fake_torchlogix, tmp_path):
    """torchlogix 0.1.x: parametrization='walsh', A = 2a - 1, basis (1, A, B, AB), out = y > 0."""
    layer = fake_torchlogix.LogicDense()
    layer.parametrization, layer.in_dim, layer.out_dim = "walsh", 2, 5
    layer.weight = torch.nn.Parameter(torch.tensor([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, -1],
                                                    [-0.5, 0.5, 0.5, 0.5]], dtype=torch.float32))
    layer.indices = (torch.tensor([0] * 5), torch.tensor([1] * 5))
    gs = fake_torchlogix.GroupSum()
    gs.k, gs.tau = 1, 1.0
    torch.save(torch.nn.Sequential(layer, gs), tmp_path / "m.pt")
    nl = load_model(tmp_path / "m.pt").netlist
    # y = A -> a (3); y = B -> b (5); y = AB -> XNOR (9); y = -AB -> XOR (6);
    # y = -0.5 + 0.5 (A + B + AB) is 1 at A = B = 1 and -1 elsewhere -> AND (1)
    np.testing.assert_array_equal(nl.tables, [3, 5, 9, 6, 1])


# ---------------------------------------------------------------------- malformed
def _sd():
    return torch.load(SD, weights_only=True)


def test_missing_weight_key(tmp_path):
    sd = _sd()
    del sd["3.weight"]
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"missing key '3.weight'"):
        load_model(tmp_path / "m.pt", **SD_OPTS)


def test_indices_out_of_range(tmp_path):
    sd = _sd()
    sd["3.connections.indices"][0, 7] = 64
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"3: gate 7 input 0 reads index 64, expected 0\.\.63"):
        load_model(tmp_path / "m.pt", **SD_OPTS)


def test_shapes_do_not_chain(tmp_path):
    sd = _sd()
    sd["3.weight"] = sd["3.weight"][:50]
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"layer '3': wiring for 64 nodes but '3.weight' has 50 rows"):
        load_model(tmp_path / "m.pt", **SD_OPTS)


def test_learnable_without_indices_must_cover_inputs(tmp_path):
    sd = _sd()
    del sd["3.connections.indices"]
    sd["3.connections.weights"] = torch.rand(10, 2, 64)
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="10 candidate scores per slot but no candidate 'indices'"):
        load_model(tmp_path / "m.pt", **SD_OPTS)


def test_nan_weights(tmp_path):
    sd = _sd()
    sd["2.weight"][3, 3] = float("nan")
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="2.weight: contains NaN"):
        load_model(tmp_path / "m.pt", **SD_OPTS)


def test_truncated(tmp_path):
    raw = FULL.read_bytes()
    (tmp_path / "t.pt").write_bytes(raw[:1000])
    assert main(["inspect", str(tmp_path / "t.pt")]) == 1
