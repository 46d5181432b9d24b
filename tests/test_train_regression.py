# SPDX-License-Identifier: MIT
"""Regression heads (issue 16 item 5): MSE on the GroupSum output, a checkpoint that compiles to
a sums-only core (no argmax; metadata.json says so) which cocotb verifies on the sums."""
import json

import numpy as np
import pytest
import torch

from conftest import require_tool
from lgn2hw import api, sim
from lgn2hw.backend import EmitOptions
from lgn2hw.backend.metadata import load_metadata
from lgn2hw.backend.plan import plan_core
from lgn2hw.cli import main
from lgn2hw.errors import LgnError
from lgn2hw.frontends import load_model
from lgn2hw.train import data, encoder, export, trainer


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_regression(tmp_path_factory):
    ds = data.load_dataset("diabetes")
    cfg = trainer.TrainConfig(dataset="diabetes", task="regression", widths=(40, 16), epochs=3, thresholds=3,
                              interconnect="softmax", candidates=8, residual=None)
    res = trainer.train(cfg, ds, progress=False)
    path = tmp_path_factory.mktemp("reg") / "reg.pt"
    export.save(export.to_checkpoint(res, ds, sample=30), path)
    return ds, res, path


def test_diabetes_is_a_regression_set():
    ds = data.load_dataset("diabetes")
    assert ds.task == "regression" and ds.num_classes == 1 and ds.train.y.dtype == np.float64
    assert len(ds.train) + len(ds.val) + len(ds.test) == 442
    with pytest.raises(LgnError, match="regression data set"):
        data.load_dataset("diabetes", task="classification")


def test_regression_checkpoint_maps_sums_to_targets(tiny_regression):
    ds, res, path = tiny_regression
    assert res.config.task == "regression" and res.regression is not None
    assert res.regression.beta == -8 and res.config.tau == pytest.approx(2.0)  # group 16: tau = 16 / 8
    imp = load_model(path)
    assert imp.config["task"] == "regression" and imp.config["regression"]["beta"] == -8
    assert "y" not in imp.data and imp.data["targets"].shape == (30,)  # targets are not class labels
    sums = sim.simulate(imp.netlist, ds.test.X).group_sums
    np.testing.assert_array_equal(sums, res.model.hard_group_sums(encoder.encode(ds.test.X, res.thresholds)))
    pred = res.regression.predict(sums)
    assert res.test_accuracy == pytest.approx(trainer.r2_score(ds.test.y, pred))  # the test figure is R^2


def test_sums_only_plan_has_no_argmax(tiny_regression):
    _, _, path = tiny_regression
    nl = load_model(path).netlist
    nl10 = nl.replace(num_classes=1)
    both, sums = plan_core(nl10, EmitOptions()), plan_core(nl10, EmitOptions(head="sums"))
    assert sums.head == "sums" and sums.argmax_breaks == () and sums.metadata()["head"] == "sums"
    assert "head" not in both.metadata()  # argmax cores keep their metadata bytes
    with pytest.raises(LgnError, match="head"):
        EmitOptions(head="max").check()


@pytest.mark.sim
def test_regression_core_is_sums_only_and_verifies_in_cocotb(tmp_path, tiny_regression):
    require_tool("iverilog")
    _, _, path = tiny_regression
    out = tmp_path / "core"
    result = api.compile(path, out, verify="icarus", vectors=60)
    meta = load_metadata(out)
    assert meta.head == "sums" and json.loads((out / "metadata.json").read_text())["head"] == "sums"
    assert result.verify.ok and result.verify.head == "sums" and result.verify.mismatches == 0
    core_v = (out / "lgn_core.v").read_text()
    assert "argmax" not in core_v  # no comparator tree
    assert "assign out_class = 1'h0;" in core_v
    # the check can fail: a core whose sums are off by one in the low bit is caught
    assert "    out_sums <= sums;" in core_v
    (out / "lgn_core.v").write_text(core_v.replace("    out_sums <= sums;", "    out_sums <= sums ^ 5'h01;")
                                    if meta.sum_width == 5 else core_v)
    from lgn2hw import verify
    bad = verify.verify(out, "icarus", vectors=20, bubble_vectors=0, waves_on_failure=False,
                        build_dir=tmp_path / "bad")
    assert meta.sum_width == 5 and not bad.ok and bad.mismatches > 0


def test_train_cli_regression_summary(tmp_path, capsys):
    out = tmp_path / "r.pt"
    code = main(["train", "--dataset", "diabetes", "--widths", "20,8", "--epochs", "1", "--thresholds", "2",
                 "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    text = " ".join(err.split())  # the console wraps long lines
    assert "hard test R2" in text and "sums-only head" in text
    assert "data: 310 train / 44 validation / 88 test (random split, --val-split 0.1, --test-split 0.2)" in text
