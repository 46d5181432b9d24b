# SPDX-License-Identifier: MIT
"""Tiny trainings (seconds) and the exactness contract: torch eval forward == reference simulator."""
import numpy as np
import pytest
import torch

from lgn2hw import sim
from lgn2hw.errors import LgnError
from lgn2hw.frontends import load_model
from lgn2hw.train import data, encoder, export, trainer


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits():
    """digits with a 500-sample training split, so each training below takes a second or two."""
    ds = data.load_dataset("digits", seed=0)
    return data.Dataset(ds.name, data.Split(ds.train.X[:500], ds.train.y[:500]), ds.val, ds.test, ds.num_classes)


def tiny(**kw):
    base = dict(dataset="digits", widths=(60, 50), epochs=2, batch_size=32, thresholds=2)
    base.update(kw)
    return trainer.TrainConfig(**base)


# (config, lowest hard test accuracy it must reach): random op init gives a netlist full of
# logic for the exactness check; residual init keeps wires at first but learns faster
@pytest.mark.parametrize("kw, min_acc", [
    (dict(interconnect="fixed", residual=None), 0.0),
    (dict(interconnect="fixed", epochs=4, batch_size=16, lr=0.05, residual=0.5), 0.3),
    (dict(interconnect="learnable", sampling="gradient", resample_every=3), 0.3),
    (dict(interconnect="learnable", sampling="uniform", resample_every=3, schedule="layerwise", epochs=3), 0.2),
    (dict(interconnect="learnable", residual=None, gumbel=1.0, encoding="distributive"), 0.0),
])
def test_checkpoint_compiles_to_exactly_the_trained_network(tmp_path, digits, kw, min_acc):
    res = trainer.train(tiny(**kw), digits, progress=False)
    path = tmp_path / "m.pt"
    export.save(export.to_checkpoint(res, digits, sample=50), path)
    imp = load_model(path)
    nl = imp.netlist
    assert nl.num_classes == 10 and nl.num_nodes == 110 and nl.num_inputs == 64 * 2
    X = np.concatenate([digits.test.X, digits.val.X])
    bits = encoder.encode(X, res.thresholds)
    torch_sums = res.model.hard_group_sums(bits)
    result = sim.simulate(nl, X)  # through the checkpoint's own encoder
    np.testing.assert_array_equal(torch_sums, result.group_sums)
    acc = np.mean(result.classes[:len(digits.test)] == digits.test.y)
    assert acc == pytest.approx(res.test_accuracy)
    assert acc >= min_acc  # a few epochs already beat chance (10%)
    if kw.get("residual", 0.9) is None:
        assert len(set(nl.tables.tolist())) >= 10  # many distinct ops: a real test of exactness
    assert imp.config["widths"] == [60, 50] and imp.config["interconnect"] == kw["interconnect"]
    assert imp.config["results"]["test_accuracy"] == pytest.approx(res.test_accuracy)
    assert imp.data["X"].shape == (50, 64) and np.array_equal(imp.data["y"], digits.test.y[:50])


def test_learnable_wiring_moves_during_training(digits):
    cfg = tiny(interconnect="learnable", sampling="gradient", resample_every=2, epochs=2)
    start = trainer.LogicNet(128, cfg.widths, 10, 3.0, "learnable", seed=cfg.seed)
    res = trainer.train(cfg, digits, progress=False)
    before = start.layers[0].interconnect.hard_indices()
    after = res.model.layers[0].interconnect.hard_indices()
    assert (before != after).any()
    assert (start.layers[0].interconnect.candidates != res.model.layers[0].interconnect.candidates).any()


def test_seed_reproduces(digits):
    a = trainer.train(tiny(interconnect="learnable", epochs=1), digits, progress=False)
    b = trainer.train(tiny(interconnect="learnable", epochs=1), digits, progress=False)
    for la, lb in zip(a.model.layers, b.model.layers):
        assert np.array_equal(la.hard_ops(), lb.hard_ops())
        assert torch.equal(la.interconnect.hard_indices(), lb.interconnect.hard_indices())
    c = trainer.train(tiny(interconnect="learnable", epochs=1, seed=1), digits, progress=False)
    assert not np.array_equal(a.model.layers[0].interconnect.hard_indices(), c.model.layers[0].interconnect.hard_indices())


def test_layerwise_phases():
    cfg = tiny(interconnect="learnable", schedule="layerwise", epochs=10, widths=(10, 10, 10)).resolved(10)
    assert trainer.phases(cfg) == [(2, 0), (2, 1), (2, 2), (4, -1)]
    assert trainer.phases(tiny(epochs=7).resolved(10)) == [(7, None)]


def test_defaults_and_shapes():
    cfg = trainer.TrainConfig(dataset="yinyang").resolved(3)
    assert cfg.widths == (100, 99)  # the last layer rounded to a multiple of 3 classes
    assert cfg.sampling == "gradient" and cfg.resample == 4 and cfg.candidates == 8
    assert trainer.TrainConfig(dataset="digits", interconnect="fixed").resolved(10).sampling == "none"


@pytest.mark.parametrize("kw, message", [
    (dict(widths=(100, 95)), "95 gates cannot form 10 equal class groups"),
    (dict(interconnect="fixed", sampling="gradient"), "needs --interconnect learnable"),
    (dict(interconnect="fixed", schedule="layerwise"), "needs --interconnect learnable"),
    (dict(candidates=4, resample=4), "resample < candidates"),
])
def test_bad_configs(kw, message):
    with pytest.raises(LgnError, match=message):
        tiny(**kw).resolved(10)
