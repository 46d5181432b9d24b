# SPDX-License-Identifier: MIT
"""lgn2hw opt / equiv / report / sweep-prune from the command line."""
import json

import numpy as np
import pytest

from lgn2hw import ir
from lgn2hw.cli import main
from lgn2hw.generate import plant_redundancy, random_layered
from lgn2hw.sim import simulate_bits


@pytest.fixture
def files(tmp_path):
    nl = plant_redundancy(random_layered(16, [80, 80, 20], 4, seed=1), 0.2, seed=2)
    ir.save(nl, tmp_path / "m.npz")
    bits = np.random.default_rng(0).integers(0, 2, (400, 16), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", bits=bits, y=simulate_bits(nl, bits).classes)
    return nl, tmp_path


def test_opt_writes_netlist_and_report(files, capsys):
    nl, d = files
    assert main(["opt", str(d / "m.npz"), "-o", str(d / "o.npz"), "--report", str(d / "r.json"), "--verify"]) == 0
    out = ir.load(d / "o.npz")
    doc = json.loads((d / "r.json").read_text())
    assert doc["final"]["gates"] == out.num_nodes
    assert {"logic_gates", "gates", "depth", "inverters"} <= set(doc["final"])
    assert [p["name"] for p in doc["passes"]][:4] == ["const-fold", "wire-collapse", "strash", "sat-sweep"]
    assert out.num_nodes < nl.num_nodes
    assert main(["equiv", str(d / "m.npz"), str(d / "o.npz")]) == 0
    assert "equivalent" in capsys.readouterr().out
    assert main(["report", str(d / "r.json"), "--plot", str(d / "g.png")]) == 0
    assert (d / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_equiv_reports_a_difference(files, capsys):
    nl, d = files
    assert main(["opt", str(d / "m.npz"), "-o", str(d / "p.npz"), "--passes",
                 "greedy-prune{threshold=0.8},dce", "--data", str(d / "d.npz")]) == 0
    with pytest.raises(SystemExit) as e:
        main(["equiv", str(d / "m.npz"), str(d / "p.npz")])
    assert e.value.code == 2
    assert "different" in capsys.readouterr().out


def test_bad_pipeline_is_one_line_error(files, capsys):
    _, d = files
    assert main(["opt", str(d / "m.npz"), "-o", str(d / "x.npz"), "--passes", "strash{nope=1}"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: pass 'strash' has no option 'nope' (options: none)"]
    assert not (d / "x.npz").exists()


def test_report_rejects_other_json(files, capsys):
    _, d = files
    (d / "x.json").write_text("{}")
    assert main(["report", str(d / "x.json")]) == 1
    assert "not an lgn2hw pass report" in capsys.readouterr().err


def test_sweep_prune_writes_csv_and_plot(files):
    _, d = files
    assert main(["sweep-prune", str(d / "m.npz"), "--data", str(d / "d.npz"), "--thresholds", "0.9,1.0",
                 "--csv", str(d / "s.csv"), "--plot", str(d / "s.png")]) == 0
    lines = (d / "s.csv").read_text().splitlines()
    assert lines[0].startswith("pass,value,gates,logic_gates")
    assert len(lines) == 1 + 4
    assert (d / "s.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("width", [80, 160])
def test_pass_table_keeps_counters_on_narrow_consoles(width):
    import io

    from rich.console import Console

    from lgn2hw.passes import run_pipeline
    from lgn2hw.commands._ui import print_passes
    from lgn2hw.report import make_report
    nl0 = random_layered(16, [40, 40, 20], 2, seed=1)
    nl, reports = run_pipeline(nl0, "const-fold,wire-collapse,dce")
    doc = make_report(nl0, nl, reports, "const-fold,wire-collapse,dce", "m.pt")
    out = io.StringIO()
    print_passes(Console(file=out, width=width), doc["passes"])
    text = out.getvalue()
    removed = doc["passes"][0]["counters"]["removed"]
    assert max(map(len, text.splitlines())) <= width
    assert f"removed={removed}" in text  # the counters are shown whole, in the table or beneath it
    assert ("counters" in text) == (width >= 120)


def test_opt_keeps_a_conv_model_and_prunes_its_head(tmp_path, capsys):
    """A conv model stays a conv model (its stages in the file); greedy-prune runs on the head,
    fed by the conv stages from the --data images; --unroll writes the flat netlist."""
    from _convgen import random_model
    from lgn2hw import conv, conv_sim
    from lgn2hw.frontends import load_model
    rng = np.random.default_rng(3)
    model = random_model(rng)
    conv.save(model, tmp_path / "c.npz")
    bits = rng.integers(0, 2, (300, model.num_input_bits), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", bits=bits, y=conv_sim.simulate_conv_bits(model, bits).classes)
    assert main(["opt", str(tmp_path / "c.npz"), "-o", str(tmp_path / "o.npz"), "--data", str(tmp_path / "d.npz"),
                 "--passes", "const-fold,greedy-prune{threshold=0.6},const-fold,dce",
                 "--report", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "head" in out and "conv model" in out
    got = load_model(tmp_path / "o.npz").conv
    assert got is not None and got.head.num_nodes < model.head.num_nodes
    assert [type(s).__name__ for s in got.stages] == [type(s).__name__ for s in model.stages]
    doc = json.loads((tmp_path / "r.json").read_text())
    assert {"stage": "head", "name": "greedy-prune"}.items() <= [p for p in doc["passes"]
                                                                 if p["name"] == "greedy-prune"][0].items()
    assert main(["opt", str(tmp_path / "c.npz"), "-o", str(tmp_path / "f.npz"), "--unroll"]) == 0
    flat = ir.load(tmp_path / "f.npz")
    assert load_model(tmp_path / "f.npz").conv is None
    assert np.array_equal(simulate_bits(flat, bits).group_sums, conv_sim.simulate_conv_bits(model, bits).group_sums)
