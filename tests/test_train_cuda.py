# SPDX-License-Identifier: MIT
"""Training on a CUDA device (``-m gpu``; CI has no GPU, so these are not in the default run):
the checkpoint a GPU training writes compiles to exactly the network it evaluated, and the
wiring, gate sampling and op choice behave as on the CPU."""
import numpy as np
import pytest
import torch

from lgn2hw import sim
from lgn2hw.frontends import load_model
from lgn2hw.train import data, encoder, export, trainer

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def digits():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return data.load_dataset("digits", seed=0)


@pytest.mark.parametrize("kw", [
    dict(interconnect="fixed", residual=None),
    dict(interconnect="learnable", sampling="gradient", resample_every=5),
    dict(interconnect="learnable", sampling="uniform", schedule="layerwise", gumbel=1.0),
], ids=lambda kw: kw["interconnect"] + "-" + kw.get("sampling", "none"))
def test_cuda_checkpoint_is_exact(tmp_path, digits, kw):
    cfg = trainer.TrainConfig(dataset="digits", widths=(600, 600, 500), epochs=8, thresholds=3,
                              device="cuda", seed=0, **kw)
    res = trainer.train(cfg, digits, progress=False)
    assert next(res.model.parameters()).device.type == "cuda"
    path = tmp_path / "m.pt"
    export.save(export.to_checkpoint(res, digits, sample=50), path)
    nl = load_model(path).netlist
    X = np.concatenate([digits.test.X, digits.val.X])
    torch_sums = res.model.hard_group_sums(encoder.encode(X, res.thresholds))
    result = sim.simulate(nl, X)
    np.testing.assert_array_equal(torch_sums, result.group_sums)
    acc = np.mean(result.classes[:len(digits.test)] == digits.test.y)
    assert acc == pytest.approx(res.test_accuracy)
    assert acc > 0.5  # 8 epochs of 1,700 gates learn digits well past chance (10%)
