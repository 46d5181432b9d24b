# SPDX-License-Identifier: MIT
"""The foundation commands through click's runner and through main() (exit codes)."""
import json

import numpy as np
import torch
from click.testing import CliRunner

from lgn2hw import __version__, ir
from lgn2hw.cli import COMMANDS, cli, main
from lgn2hw.frontends import load_model
from lgn2hw.sim import simulate, simulate_bits

from test_native import two_layer


def model(tmp_path, rng):
    path = tmp_path / "m.pt"
    torch.save(two_layer(rng), path)
    return path


def test_version_and_help_with_examples():
    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output
    for name in COMMANDS:
        r = CliRunner().invoke(cli, [name, "--help"])
        assert r.exit_code == 0, (name, r.output)
        assert "Example" in r.output and f"lgn2hw {name}" in r.output, name


def test_inspect_counts(tmp_path, rng):
    path = model(tmp_path, rng)
    r = CliRunner().invoke(cli, ["inspect", str(path), "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    nl = load_model(path).netlist
    kinds = nl.kinds()
    assert info["gates"] == 14 and info["format"] == "native" and info["classes"] == 3
    assert info["logic_gates"] == int((kinds == 3).sum()) and info["by_level"] == [8, 6]
    r = CliRunner().invoke(cli, ["inspect", str(path)])
    assert r.exit_code == 0 and "native" in r.output and "total" in r.output


def test_predict_bits_and_features(tmp_path, rng):
    path = model(tmp_path, rng)
    nl = load_model(path).netlist
    bits = rng.integers(0, 2, (70, 12)).astype(np.uint8)
    y = rng.integers(0, 3, 70)
    np.savez(tmp_path / "x.npz", bits=bits, y=y)
    r = CliRunner().invoke(cli, ["predict", str(path), "--inputs", str(tmp_path / "x.npz"), "--out", str(tmp_path / "y.npz")])
    assert r.exit_code == 0, r.output
    ref = simulate_bits(nl, bits)
    with np.load(tmp_path / "y.npz") as z:
        assert (z["group_sums"] == ref.group_sums).all() and (z["classes"] == ref.classes).all()
        assert (z["output_bits"] == ref.output_bits).all()
    assert f"accuracy {np.mean(ref.classes == y) * 100:.2f}%" in r.output
    x = rng.normal(size=(20, 4)).astype(np.float32)
    np.savez(tmp_path / "f.npz", X=x)
    r = CliRunner().invoke(cli, ["predict", str(path), "--inputs", str(tmp_path / "f.npz"), "--out", str(tmp_path / "g.npz")])
    assert r.exit_code == 0, r.output
    with np.load(tmp_path / "g.npz") as z:
        assert (z["classes"] == simulate(nl, x).classes).all()


def test_predict_on_saved_netlist(tmp_path, rng):
    nl = load_model(model(tmp_path, rng)).netlist
    ir.save(nl, tmp_path / "n.npz")
    np.savez(tmp_path / "x.npz", bits=np.ones((3, 12), np.uint8))
    assert main(["predict", str(tmp_path / "n.npz"), "--inputs", str(tmp_path / "x.npz"), "--out", str(tmp_path / "y.npz")]) == 0


def test_errors_are_one_line_nonzero_and_write_nothing(tmp_path, rng, capsys):
    path = model(tmp_path, rng)
    out = tmp_path / "y.npz"
    np.savez(tmp_path / "wrong.npz", bits=np.ones((3, 11), np.uint8))
    cases = [
        (["inspect", str(tmp_path / "missing.pt")], "missing.pt: no such file"),
        (["predict", str(path), "--inputs", str(tmp_path / "wrong.npz"), "--out", str(out)],
         r"wrong.npz: 'bits' has shape [3, 11], expected [N, 12]"),
        (["predict", str(path), "--inputs", str(tmp_path / "nothing.npz"), "--out", str(out)], "nothing.npz: no such file"),
    ]
    for argv, message in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()
