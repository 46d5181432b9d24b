# SPDX-License-Identifier: MIT
import json

import numpy as np
import pytest

from conftest import EXAMPLE_MODEL
from lgn2hw import sim
from lgn2hw.cli import main
from lgn2hw.frontends import load_model


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_writes_a_checkpoint_that_inspect_reads(tmp_path, capsys):
    out = tmp_path / "m.pt"
    code, stdout, err = run(capsys, "train", "--dataset", "yinyang", "--widths", "12,9", "--epochs", "1",
                            "--thresholds", "4", "--quiet", "--seed", "2", "--out", str(out))
    assert code == 0, err
    assert "hard test accuracy" in err and "21 gates" in err and f"wrote {out}" in stdout
    code, stdout, _ = run(capsys, "inspect", str(out), "--json")
    info = json.loads(stdout)
    assert code == 0 and info["gates"] == 21 and info["classes"] == 3 and info["inputs"] == 16
    imp = load_model(out)
    assert imp.config["seed"] == 2 and imp.config["dataset"] == "yinyang" and imp.data["X"].shape == (256, 4)


def test_width_rounds_the_last_layer_to_the_classes(tmp_path, capsys):
    out = tmp_path / "m.pt"
    code, _, err = run(capsys, "train", "--dataset", "yinyang", "--layers", "2", "--width", "10", "--epochs", "1",
                       "--interconnect", "fixed", "--thresholds", "2", "--quiet", "--out", str(out))
    assert code == 0, err
    assert load_model(out).config["widths"] == [10, 9]


@pytest.mark.parametrize("args, message", [
    (["--dataset", "mnist"], "unknown dataset 'mnist'"),
    (["--dataset", "yinyang", "--widths", "10,10"], "10 gates cannot form 3 equal class groups"),
    (["--dataset", "yinyang", "--widths", "10,x"], "--widths: expected comma-separated"),
    (["--dataset", "yinyang", "--interconnect", "fixed", "--sampling", "gradient"], "needs --interconnect learnable"),
])
def test_errors_are_one_line(tmp_path, capsys, args, message):
    out = tmp_path / "m.pt"
    code, _, err = run(capsys, "train", *args, "--epochs", "1", "--quiet", "--out", str(out))
    assert code == 1
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists() and not list(tmp_path.iterdir())


def test_malformed_npz_dataset(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, X=np.array([[1.0, np.nan], [0.0, 1.0]]), y=np.array([0, 1]))
    code, _, err = run(capsys, "train", "--dataset", str(bad), "--out", str(tmp_path / "m.pt"))
    assert code == 1 and "NaN" in err and str(bad) in err and err.count("\n") == 1


def test_help_shows_an_example(capsys):
    assert main(["train", "--help"]) == 0
    assert "lgn2hw train --dataset digits" in capsys.readouterr().out


def test_shipped_example_model():
    """examples/digits.pt (made by examples/make_example.sh) is small and accurate on its own held-out sample."""
    imp = load_model(EXAMPLE_MODEL)
    nl = imp.netlist
    assert nl.num_classes == 10 and nl.encoder is not None and nl.num_nodes <= 1500
    res = sim.simulate(nl, imp.data["X"])
    assert np.mean(res.classes == imp.data["y"]) >= 0.88
    assert imp.config["results"]["test_accuracy"] >= 0.9
