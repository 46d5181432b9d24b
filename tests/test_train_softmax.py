# SPDX-License-Identifier: MIT
"""Issue 16: connection softmax, temperatures, straight-through, learned thresholds, regression
heads, resume, splits. Everything tiny (seconds)."""
import numpy as np
import pytest
import torch

from lgn2hw import sim
from lgn2hw.errors import LgnError
from lgn2hw.frontends import load_model
from lgn2hw.train import data, encoder, export, interconnect as ic, layers, thermometer, trainer


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def digits():
    ds = data.load_dataset("digits", seed=0)
    return data.Dataset(ds.name, data.Split(ds.train.X[:400], ds.train.y[:400]), ds.val, ds.test, ds.num_classes,
                        ds.image_shape)


def tiny(**kw):
    base = dict(dataset="digits", widths=(60, 50), epochs=2, batch_size=32, thresholds=2, interconnect="softmax",
                candidates=6)
    base.update(kw)
    return trainer.TrainConfig(**base)


# ---- connection softmax -------------------------------------------------------------------------

def test_softmax_interconnect_shapes_and_memory():
    layer = ic.SoftmaxInterconnect(1000, 300, gen(), candidates=16)
    assert layer.candidates.shape == layer.weights.shape == (300, 2, 16)
    # O(gates x N_c): int64 candidates + float32 weights, independent of the input count
    assert layer.parameter_bytes() == 300 * 2 * 16 * (8 + 4)
    assert ic.SoftmaxInterconnect(50_000, 300, gen(), candidates=16).parameter_bytes() == layer.parameter_bytes()
    cand = layer.candidates.numpy()
    assert all(len(set(row)) == 16 for row in cand.reshape(-1, 16))  # distinct candidates per slot
    # candidate 0 is the even spread, and the initial argmax
    assert torch.equal(layer.hard_indices(), layer.candidates[:, :, 0])
    assert set(layer.hard_indices().flatten().tolist()) <= set(range(1000))


def test_softmax_over_the_whole_previous_layer():
    layer = ic.SoftmaxInterconnect(10, 7, gen(), candidates=64)
    assert layer.num_candidates == 10
    for row in layer.candidates.reshape(-1, 10).tolist():
        assert sorted(row) == list(range(10))


def test_softmax_forward_soft_hard_and_temperature():
    layer = ic.SoftmaxInterconnect(30, 5, gen(), candidates=8)
    with torch.no_grad():
        layer.weights.copy_(torch.randn(5, 2, 8, generator=gen(1)))
    x = torch.rand(4, 30)
    layer.train()
    for t in (1.0, 0.5):
        layer.temperature = t
        p = torch.softmax(layer.weights / t, dim=2)
        torch.testing.assert_close(layer(x), (x[:, layer.candidates] * p).sum(3))
    layer.temperature = 1e-3  # a cold softmax is the argmax wire
    torch.testing.assert_close(layer(x), x[:, layer.hard_indices()], atol=1e-4, rtol=0)
    layer.eval()
    assert torch.equal(layer(x), x[:, layer.hard_indices()])


def test_softmax_straight_through_is_hard_forward_soft_backward():
    layer = ic.SoftmaxInterconnect(30, 5, gen(), candidates=8)
    with torch.no_grad():
        layer.weights.copy_(torch.randn(5, 2, 8, generator=gen(1)))
    layer.train()
    layer.ste, layer.temperature = True, 0.7
    x = torch.rand(4, 30)
    out = layer(x)
    assert torch.equal(out, x[:, layer.hard_indices()])
    dy = torch.randn_like(out)
    (out * dy).sum().backward()
    w = layer.weights.detach().clone().requires_grad_(True)
    ((x[:, layer.candidates] * torch.softmax(w / 0.7, 2)).sum(3) * dy).sum().backward()
    torch.testing.assert_close(layer.weights.grad, w.grad)


def test_gate_temperature_and_straight_through():
    g = layers.Gates(6, residual=None)
    g.train()
    torch.testing.assert_close(g.op_probabilities(), torch.softmax(g.logits, 1))
    g.temperature = 0.25
    torch.testing.assert_close(g.op_probabilities(), torch.softmax(g.logits / 0.25, 1))
    g.ste = True
    p = g.op_probabilities()
    assert torch.equal(p, torch.nn.functional.one_hot(g.logits.argmax(1), 16).float())  # hard forward
    (p * torch.arange(16.0)).sum().backward()
    ref = g.logits.detach().clone().requires_grad_(True)
    (torch.softmax(ref / 0.25, 1) * torch.arange(16.0)).sum().backward()
    torch.testing.assert_close(g.logits.grad, ref.grad)  # soft backward
    g.gumbel = 1.0  # Gumbel noise: still one-hot in the forward pass
    p = g.op_probabilities()
    assert torch.equal(p.detach().sum(1), torch.ones(6)) and set(p.detach().unique().tolist()) <= {0.0, 1.0}


def test_anneal_schedule_values():
    span = (0.5, 0.75)
    assert trainer.anneal(0.0, 1.0, 0.01, span) == 1.0
    assert trainer.anneal(0.5, 1.0, 0.01, span) == 1.0
    assert trainer.anneal(0.625, 1.0, 0.01, span) == pytest.approx(0.1)  # geometric midpoint
    assert trainer.anneal(0.75, 1.0, 0.01, span) == 0.01
    assert trainer.anneal(1.0, 1.0, 0.01, span) == 0.01
    assert trainer.anneal(0.9, 2.0, None, span) == 2.0


def test_training_records_temperatures_and_hard_figures(digits):
    cfg = tiny(epochs=4, gate_temp_end=0.1, gate_anneal=(0.5, 1.0), conn_temp=2.0, conn_temp_end=0.5,
               conn_anneal=(0.0, 0.5))
    res = trainer.train(cfg, digits, progress=False)
    h = res.history
    assert [r["epoch"] for r in h] == [1, 2, 3, 4]
    assert {"soft_train", "hard_train", "hard_val", "gap", "t_g", "t_c"} <= set(h[0])
    # the last step of epoch e runs at run fraction (e*steps - 1)/(4*steps): T_c is at its end after epoch 2
    assert h[0]["t_g"] == 1.0 and h[0]["t_c"] < 2.0 and h[2]["t_c"] == 0.5 and h[3]["t_g"] < 0.2
    assert res.val_accuracy == max(r["hard_val"] for r in h)
    assert h[res.best_epoch - 1]["hard_val"] == res.val_accuracy


def test_softmax_checkpoint_compiles_to_the_trained_network(tmp_path, digits):
    res = trainer.train(tiny(ste=True, gumbel=1.0, residual=None), digits, progress=False)
    path = tmp_path / "m.pt"
    export.save(export.to_checkpoint(res, digits, sample=20), path)
    nl = load_model(path).netlist
    X = np.concatenate([digits.test.X, digits.val.X])
    np.testing.assert_array_equal(res.model.hard_group_sums(encoder.encode(X, res.thresholds)),
                                  sim.simulate(nl, X).group_sums)


# ---- best epoch, warnings (issue 17 item 8) ---------------------------------------------------

def wine():
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    return data.Dataset("wine", *data.split(X.astype(np.float64), y.astype(np.int64), 0, 0.1, 0.2), 3)


def test_small_data_keeps_a_trained_network_not_an_early_all_wire_one():
    """Issue 17 item 8: on wine (124 training rows) the default batch of 128 made one step an
    epoch, the residual init's wires never turned into logic, and epoch 10 of 100 (an all-wire
    network, 0 logic gates) was kept as "best". A default batch now gives an epoch at least 16
    steps, and a tie on hard validation keeps the later epoch."""
    ds = wine()
    cfg = trainer.TrainConfig(dataset="wine", epochs=40, widths=(100, 30))
    assert cfg.resolved(3, num_train=len(ds.train)).batch_size == 8
    res = trainer.train(cfg, ds, progress=False)
    vals = [r["hard_val"] for r in res.history]
    assert res.best_epoch == max(i + 1 for i, v in enumerate(vals) if v == max(vals))
    assert trainer.logic_gates(res.model) > 0
    assert not any("logic gates" in w for w in res.warnings)
    assert res.test_accuracy >= 0.8


def test_warns_about_an_all_wire_network_and_collapsed_thresholds(digits):
    res = trainer.train(tiny(epochs=1, interconnect="fixed", encoding="distributive", thresholds=4), digits,
                        progress=False)
    assert trainer.logic_gates(res.model) == 0
    assert any("0 logic gates of 110" in w for w in res.warnings)
    assert any(w.startswith("thresholds:") for w in res.warnings)


def test_collapse_counts_repeated_and_constant_bits():
    X = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0], [1.0, 4.0]])
    thr = np.array([[0.5, 0.6, 2.0], [1.5, 2.5, 3.5]])  # feature 0: two equal bits, one constant
    assert thermometer.collapse(X, thr) == (1, 2)
    assert thermometer.collapse(X[:, 1:], thr[1:]) == (0, 0)


# ---- learned thresholds -------------------------------------------------------------------------

def test_learned_thermometer_forward_is_the_encoder():
    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32).astype(np.float64)
    thr = encoder.thresholds(X, 4, "distributive")
    therm = thermometer.LearnedThermometer(thr, X)
    bits = therm(torch.tensor(X, dtype=torch.float32))
    assert np.array_equal(bits.detach().numpy().astype(np.uint8), encoder.encode(X, therm.thresholds()))
    bits.sum().backward()
    assert therm.thresholds_.grad.abs().sum() > 0  # the sigmoid surrogate reaches the thresholds


def test_learned_thresholds_are_exported_as_the_encoder(tmp_path, digits):
    res = trainer.train(tiny(learn_thresholds=True, lr=0.05), digits, progress=False)
    start = encoder.thresholds(digits.train.X, 2, "uniform")
    assert not np.array_equal(res.thresholds, start)  # they moved
    path = tmp_path / "m.pt"
    export.save(export.to_checkpoint(res, digits, sample=20), path)
    nl = load_model(path).netlist
    np.testing.assert_array_equal(nl.encoder.thresholds, res.thresholds)
    X = digits.test.X
    np.testing.assert_array_equal(res.model.hard_group_sums(encoder.encode(X, res.thresholds)),
                                  sim.simulate(nl, X).group_sums)
    assert np.mean(sim.simulate(nl, X).classes == digits.test.y) == pytest.approx(res.test_accuracy)


# ---- resume -------------------------------------------------------------------------------------

def test_resume_continues_the_epoch_count(tmp_path, digits):
    first = trainer.train(tiny(epochs=2), digits, progress=False)
    path = tmp_path / "m.pt"
    export.save(export.to_checkpoint(first, digits, sample=0, save_candidates=True), path)
    state = export.load_train_state(path)
    assert state["epoch"] == 2 and state["model"]["layers.0.interconnect.weights"].shape == (60, 2, 6)
    more = trainer.train(tiny(epochs=4), digits, progress=False, resume=state)
    assert [r["epoch"] for r in more.history] == [1, 2, 3, 4]
    assert more.history[:2] == first.history
    # training went on from the saved weights (a fresh first epoch's loss is far higher)
    assert more.history[2]["loss"] < first.history[1]["loss"] < first.history[0]["loss"]
    assert more.train_state["epoch"] == 4
    assert more.val_accuracy >= first.val_accuracy
    with pytest.raises(LgnError, match="does not fit"):
        trainer.train(tiny(epochs=4, widths=(40, 50)), digits, progress=False, resume=state)


def test_resume_needs_a_saved_state(tmp_path, digits):
    res = trainer.train(tiny(epochs=1), digits, progress=False)
    path = tmp_path / "m.pt"
    export.save(export.to_checkpoint(res, digits, sample=0), path)
    with pytest.raises(LgnError, match="--save-candidates"):
        export.load_train_state(path)


# ---- widths, splits -----------------------------------------------------------------------------

def test_group_size():
    assert trainer.default_widths(2, 2000, 10) == (2000, 640)  # at most 64 output bits per class by default
    assert trainer.default_widths(2, 100, 3) == (100, 99)
    assert trainer.default_widths(2, 2000, 10, None) == (2000, 2000)
    cfg = tiny(widths=(60, 50), group_size=3).resolved(10)
    assert cfg.widths == (60, 30)


def test_val_and_test_split_and_test_file(tmp_path):
    ds = data.load_dataset("digits", val_fraction=0.25, test_fraction=0.25)
    n = 1797
    assert len(ds.test) == round(n * 0.25) and len(ds.val) == round(n * 0.25)
    X, y = ds.test.X, ds.test.y
    f = tmp_path / "test.npz"
    np.savez(f, X=X[:50], y=y[:50])
    other = tmp_path / "train.npz"
    np.savez(other, X=ds.train.X, y=ds.train.y)
    ds2 = data.load_dataset(str(other), val_fraction=0.2, test_data=str(f))
    assert len(ds2.test) == 50 and np.array_equal(ds2.test.X, X[:50])
    assert len(ds2.val) == round(len(ds.train) * 0.2) and len(ds2.train) + len(ds2.val) == len(ds.train)
    with pytest.raises(LgnError, match="val"):
        data.load_dataset("digits", val_fraction=0.5, test_fraction=0.5)


# ---- CLI ----------------------------------------------------------------------------------------

def test_cli_help_states_the_splits_and_the_new_options(capsys):
    from lgn2hw.cli import main

    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for opt in ("--val-split", "--test-split", "--test-data", "--interconnect [fixed|learnable|softmax]",
                "--gate-temp-end", "--conn-temp-end", "--conn-anneal", "--ste", "--learn-thresholds",
                "--weight-decay", "--task", "--group-size", "--save-candidates", "--resume"):
        assert opt in text, opt
    assert "70/10/20" in text


def test_cli_softmax_training_summary_and_resume(tmp_path, capsys):
    from lgn2hw.cli import main

    out = tmp_path / "m.pt"
    args = ["train", "--dataset", "yinyang", "--widths", "24,9", "--thresholds", "4", "--interconnect", "softmax",
            "--candidates", "8", "--gate-temp-end", "0.1", "--conn-temp-end", "0.2", "--quiet", "--save-candidates"]
    assert main([*args, "--epochs", "1", "--out", str(out)]) == 0
    text = " ".join(capsys.readouterr().err.split())
    assert "softmax interconnect (N_c=8, T_c 1 -> 0.2), T_g 1 -> 0.1" in text
    assert "data: 5000 train / 1000 validation / 1000 test" in text
    assert "hard validation" in text and "soft train" in text and "hard train" in text and "gap" in text
    more = tmp_path / "m2.pt"
    assert main([*args, "--epochs", "2", "--resume", str(out), "--out", str(more)]) == 0
    capsys.readouterr()
    cfg = load_model(more).config
    assert cfg["results"]["epochs_run"] == 2 and export.load_train_state(more)["epoch"] == 2
