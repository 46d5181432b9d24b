# SPDX-License-Identifier: MIT
"""lgn2hw.synth: tool discovery, options, templates, report parsing, and real tiny builds."""
from __future__ import annotations

import json
import os
import stat
import subprocess

import numpy as np
import pytest

from conftest import EXAMPLE_MODEL, REPO, require_tool
from lgn2hw import ir, sim
from lgn2hw.cli import main
from lgn2hw.errors import LgnError, ToolError
from lgn2hw.generate import random_layered
from lgn2hw.synth import (FAMILIES, DoesNotFit, SynthConfig, find_tool, get_device, load_report, ooc_design,
                          parse_options, synthesize)
from lgn2hw.synth import report as rpt
from lgn2hw.synth.baseline import naive_core_verilog, write_baseline_core
from lgn2hw.synth.flow import render


def tiny_net(seed=1):
    return random_layered(16, [24, 24, 12], 3, seed=seed)


# ---------------------------------------------------------------- tools
def _fake_tool(tmp_path, name, version_line):
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_env_override_wins_and_reports_version(tmp_path):
    fake = _fake_tool(tmp_path, "my-yosys", "Yosys 9.99 (fake)")
    tool = find_tool("yosys", env={"LGN2HW_YOSYS": str(fake)})
    assert tool.argv == (str(fake),)
    assert tool.source == "env LGN2HW_YOSYS"
    assert tool.version == "Yosys 9.99 (fake)"


def test_env_override_to_a_missing_binary_names_the_variable():
    with pytest.raises(ToolError, match="LGN2HW_NEXTPNR_ICE40=.*not an executable"):
        find_tool("nextpnr-ice40", env={"LGN2HW_NEXTPNR_ICE40": "/nonexistent/nextpnr"})


def test_missing_tool_is_one_line_with_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))  # no YoWASP next to it
    with pytest.raises(ToolError) as e:
        find_tool("icepack", env={})
    msg = str(e.value)
    assert "\n" not in msg and "icepack not found" in msg and "fpga-icestorm" in msg


def test_native_preferred_over_yowasp(monkeypatch, tmp_path):
    (tmp_path / "bin").mkdir()
    native = _fake_tool(tmp_path / "bin", "ecppack", "ecppack 1.0")
    yowasp = _fake_tool(tmp_path, "yowasp-ecppack", "ecppack 2.0")
    monkeypatch.setenv("PATH", f"{native.parent}{os.pathsep}{yowasp.parent}")
    assert find_tool("ecppack", env={}).source == "native"
    native.unlink()
    t = find_tool("ecppack", env={})
    assert t.source == "yowasp" and t.version == "ecppack 2.0"


# ---------------------------------------------------------------- devices and options
def test_devices_and_aliases():
    assert get_device("ice40").name == "up5k"
    assert get_device("ice40", "iCE40HX8K").package == "ct256"
    assert get_device("ecp5", "LFE5U-85F").name == "85k"
    assert get_device("ecp5", "85k", "cabga256").package == "CABGA256"
    with pytest.raises(LgnError, match="unknown ice40 device 'hx9k'; expected one of: up5k"):
        get_device("ice40", "hx9k")
    with pytest.raises(LgnError, match="unknown target"):
        get_device("altera")


def test_parse_options_types_and_errors():
    d = FAMILIES["ice40"].synth_opts
    o = parse_options("abc9=0, retime,no-dff", d, "--synth-opts")
    assert (o["abc9"], o["retime"], o["dff"]) == (False, True, False)
    assert parse_options(None, d, "x") == d
    p = parse_options("seed=7,placer=sa", FAMILIES["ice40"].pnr_opts, "--pnr-opts")
    assert p["seed"] == 7 and p["placer"] == "sa"
    with pytest.raises(LgnError, match="--synth-opts: unknown option 'abc10'; known: abc9"):
        parse_options("abc10=1", d, "--synth-opts")
    with pytest.raises(LgnError, match=r"--pnr-opts: option seed='x', expected int"):
        parse_options("seed=x", FAMILIES["ice40"].pnr_opts, "--pnr-opts")


def test_yosys_script_template_honours_options():
    dev = get_device("ice40", "hx8k")
    opts = parse_options("abc9=0,retime", FAMILIES["ice40"].synth_opts, "")
    text = render("synth_ice40.ys.j2", device=dev, files=["a.v", "b.v"], top="t", core_top="c", opts=opts,
                  stat_json="s.json", json_out="o.json")
    synth_line = next(line for line in text.splitlines() if line.startswith("synth_ice40"))
    assert "-abc9" not in synth_line and "-retime" in synth_line and "-dff" in synth_line
    assert "read_verilog -defer a.v" in text and "setattr -mod -set keep_hierarchy 1 c" in text
    assert "delete t:$scopeinfo" in text  # nextpnr 0.4 cannot read newer yosys's scopeinfo cells


def test_nextpnr_args_template():
    dev = get_device("ice40", "up5k")
    opts = parse_options("seed=5,opt-timing", FAMILIES["ice40"].pnr_opts, "")
    args = render("nextpnr_ice40.args.j2", device=dev, opts=opts, json_in="d.json", placed_out="d.asc",
                  report_out="r.json", clock_mhz="48", constraints="").split()
    assert args[:3] == ["--up5k", "--package", "sg48"]
    assert args[args.index("--freq") + 1] == "48" and args[args.index("--seed") + 1] == "5"
    assert "--opt-timing" in args and "--pcf-allow-unconstrained" in args and "--timing-allow-fail" in args


# ---------------------------------------------------------------- report parsing (inputs written here)
def test_parse_nextpnr_report_picks_slowest_path(tmp_path):
    rep = {"utilization": {"ICESTORM_LC": {"used": 528, "available": 5280}, "SB_IO": {"used": 5, "available": 96}},
           "fmax": {"clk": {"achieved": 87.5, "constraint": 100}},
           "critical_paths": [
               {"from": "a", "to": "b", "path": [{"type": "logic", "delay": 1.0, "from": {"cell": "x"}, "to": {"cell": "y"}}]},
               {"from": "a", "to": "b", "path": [
                   {"type": "clk-to-q", "delay": 1.5, "from": {"cell": "r1"}, "to": {"cell": "r1"}},
                   {"type": "routing", "delay": 4.0, "from": {"cell": "r1"}, "to": {"cell": "l1"}},
                   {"type": "logic", "delay": 2.0, "from": {"cell": "l1"}, "to": {"cell": "l1"}},
                   {"type": "setup", "delay": 0.5, "from": {"cell": "l1"}, "to": {"cell": "r2"}}]}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rep))
    out = rpt.parse_nextpnr_report(path, FAMILIES["ice40"], 100.0)
    assert out["utilization"]["logic"] == {"used": 528, "available": 5280, "percent": 10.0}
    assert out["timing"]["fmax_mhz"] == 87.5 and out["timing"]["met"] is False
    cp = out["critical_path"]
    assert (cp["from"], cp["to"], cp["delay_ns"], cp["routing_ns"], cp["logic_ns"], cp["cells"]) == \
        ("r1", "r2", 8.0, 4.0, 2.0, 1)


def test_cell_counts_classify_by_family():
    counts = rpt.cell_counts({"SB_LUT4": 10, "SB_DFFE": 3, "SB_DFF": 2, "SB_CARRY": 4, "SB_RAM40_4K": 1}, FAMILIES["ice40"])
    assert (counts["lut"], counts["ff"], counts["carry"], counts["bram"]) == (10, 5, 4, 1)
    counts = rpt.cell_counts({"LUT4": 7, "TRELLIS_FF": 9, "CCU2C": 2, "PFUMX": 3}, FAMILIES["ecp5"])
    assert (counts["lut"], counts["ff"], counts["carry"], counts["widemux"]) == (7, 9, 2, 3)


# ---------------------------------------------------------------- the naive baseline core is correct
@pytest.mark.sim
@pytest.mark.parametrize("arity", [2, 4])
def test_naive_core_matches_reference_on_icarus(tmp_path, rng, arity):
    iverilog = require_tool("iverilog")
    nl = random_layered(12, [20, 20, 9], 3, seed=3, op_mix="uniform", arity=arity)
    n = 64
    bits = rng.integers(0, 2, size=(n, nl.num_inputs), dtype=np.uint8)
    ref = sim.simulate_bits(nl, bits)
    (tmp_path / "core.v").write_text(naive_core_verilog(nl))
    rows = "\n".join("".join(map(str, b[::-1])) for b in bits)
    (tmp_path / "in.txt").write_text(rows + "\n")
    sw = int(nl.group_size).bit_length()
    (tmp_path / "tb.v").write_text(f"""
module tb; reg clk=0, rst=1, v=0; reg [{nl.num_inputs - 1}:0] mem [0:{n - 1}]; reg [{nl.num_inputs - 1}:0] d;
wire ov; wire [1:0] oc; wire [{3 * sw - 1}:0] os; integer i;
lgn_core dut(.clk(clk), .rst(rst), .in_valid(v), .in_data(d), .out_valid(ov), .out_class(oc), .out_sums(os));
always #5 clk = ~clk;
always @(posedge clk) if (ov) $display("%0d %0d %0d %0d", oc, os[{sw - 1}:0], os[{2 * sw - 1}:{sw}], os[{3 * sw - 1}:{2 * sw}]);
initial begin $readmemb("in.txt", mem); @(negedge clk); rst = 0;
  for (i = 0; i < {n}; i = i + 1) begin d = mem[i]; v = 1; @(negedge clk); end
  v = 0; repeat (4) @(negedge clk); $finish; end
endmodule""")
    subprocess.run([iverilog, "-o", "tb.vvp", "tb.v", "core.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    got = np.array([[int(v) for v in line.split()] for line in out.splitlines() if line and line[0].isdigit()])
    assert got.shape == (n, 4)
    np.testing.assert_array_equal(got[:, 0], ref.classes)
    np.testing.assert_array_equal(got[:, 1:], ref.group_sums)


# ---------------------------------------------------------------- real flows on a tiny core
@pytest.mark.synth
@pytest.mark.parametrize("target,device,tool", [("ice40", "up5k", "nextpnr-ice40"), ("ecp5", "25k", "nextpnr-ecp5")])
def test_tiny_ooc_build(tmp_path, target, device, tool):
    require_tool("yosys")
    try:
        find_tool(tool, with_version=False)
    except ToolError as e:
        pytest.skip(str(e))
    meta = write_baseline_core(tiny_net(), tmp_path / "rtl")
    work = tmp_path / "synth"
    rep = synthesize(ooc_design(tmp_path / "rtl", work), work, SynthConfig(target=target, device=device, clock_mhz=25))
    on_disk = load_report(work)
    assert on_disk["fits"] is True and on_disk["resources"] == rep["resources"]
    core, design = rep["resources"]["core"], rep["resources"]["design"]
    # the naive core registers (used) inputs and outputs; the harness adds its shift register
    assert 0 < core["ff"] <= meta["num_inputs"] + meta["class_width"] + meta["classes"] * meta["sum_width"] + 2
    assert design["ff"] > core["ff"] and design["lut"] >= core["lut"] > 0
    pnr = rep["pnr"]
    assert pnr["utilization"]["logic"]["used"] > 0 and pnr["timing"]["fmax_mhz"] > 0
    assert pnr["timing"]["met"] == (pnr["timing"]["fmax_mhz"] >= 25)
    assert rep["tools"]["yosys"]["version"] and rep["times_s"]["yosys"] > 0
    assert (work / "nextpnr.log").is_file() and (work / "synth.ys").is_file()


@pytest.mark.synth
@pytest.mark.parametrize("widths,message", [
    # more LUTs than the device has logic cells: refused right after yosys
    ([900, 900, 240], r"does not fit iCE40LP384: needs at least [\d,]+ logic cells .* the device has 384"),
    # fewer LUTs than cells, but nextpnr packs them (with the flip-flops and carries) into more
    # cells than the device has: refused after a pack-only run, before placement
    ([400, 400, 120], r"does not fit iCE40LP384: nextpnr packs it into [\d,]+ of 384 logic cells .*more than the "
                      r"device has; [\d,]+ LUT4"),
    # packed into 95-100 % of the cells: refused too (nextpnr rarely routes that; --tool-timeout tries)
    ([280, 280, 99], r"does not fit iCE40LP384: nextpnr packs it into 3[6-8]\d of 384 logic cells \(9[5-9]\.\d%\), "
                     r"and above 95% of its cells nextpnr rarely routes \(--tool-timeout S tries anyway\)"),
])
def test_does_not_fit_names_the_figures(tmp_path, widths, message):
    require_tool("yosys")
    require_tool("nextpnr-ice40")
    write_baseline_core(random_layered(64, widths, 3, seed=2, op_mix="uniform"), tmp_path / "rtl")
    work = tmp_path / "synth"
    with pytest.raises(DoesNotFit, match=message) as err:
        synthesize(ooc_design(tmp_path / "rtl", work), work, SynthConfig(target="ice40", device="lp384"))
    rep = load_report(work)
    assert rep["fits"] is False and "does not fit" in rep["error"]
    assert not (work / "core.asc").exists() and not (work / "nextpnr_report.json").exists()  # nothing half-made
    assert err.value.counts["lut"] == rep["resources"]["design"]["lut"] > 0  # yosys's figures ride along


@pytest.mark.synth
def test_a_tool_timeout_lets_a_nearly_full_ice40_try(tmp_path):
    """The same 95 %-packed design with --tool-timeout: no refusal, place and route runs (on this
    small part it routes, or fails on its own terms); the packed figures are in the report."""
    require_tool("yosys")
    require_tool("nextpnr-ice40")
    write_baseline_core(random_layered(64, [280, 280, 99], 3, seed=2, op_mix="uniform"), tmp_path / "rtl")
    work = tmp_path / "synth"
    try:
        synthesize(ooc_design(tmp_path / "rtl", work), work, SynthConfig(target="ice40", device="lp384",
                                                                          timeout_s=600))
    except DoesNotFit as e:
        assert "rarely routes" not in str(e)
    rep = load_report(work)
    assert rep["packed"]["ICESTORM_LC"]["used"] > 0.95 * 384
    assert (work / "nextpnr.log").is_file()


def test_bad_core_folder_is_one_clear_error(tmp_path):
    with pytest.raises(LgnError, match="metadata.json: no such file"):
        ooc_design(tmp_path, tmp_path / "w")
    (tmp_path / "metadata.json").write_text(json.dumps({"top": "x", "files": ["missing.v"]}))
    with pytest.raises(LgnError, match="missing key"):
        ooc_design(tmp_path, tmp_path / "w")


# ---------------------------------------------------------------- CLI
@pytest.mark.synth
def test_cli_synth_on_rtl_folder(tmp_path, capsys):
    require_tool("yosys")
    write_baseline_core(tiny_net(), tmp_path)
    assert main(["synth", str(tmp_path), "--target", "ice40", "--device", "hx1k", "--no-pnr"]) == 0
    rep = load_report(tmp_path / "synth")
    assert rep["device"]["part"] == "iCE40HX1K" and rep["pnr"] is None and rep["resources"]["core"]["lut"] > 0
    assert "LUT4" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "synth" / "synth.json")]) == 0
    assert "core 0 LUT4" not in (shown := capsys.readouterr().out) and "iCE40HX1K" in shown


def test_report_rejects_a_mangled_synth_json(tmp_path, capsys):
    (tmp_path / "synth.json").write_text(json.dumps({"target": "ice40", "device": {}, "resources": {}}))
    assert main(["report", str(tmp_path / "synth.json")]) == 1
    assert "synth.json: synthesis report lacks or mangles a field" in capsys.readouterr().err


def test_cli_option_errors_are_one_line(tmp_path, capsys):
    write_baseline_core(tiny_net(), tmp_path)
    assert main(["synth", str(tmp_path), "--device", "hx9k"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown ice40 device 'hx9k'") and err.count("\n") == 1
    assert main(["synth", str(tmp_path), "--synth-opts", "bogus=1"]) == 1
    assert "error: --synth-opts: unknown option 'bogus'" in capsys.readouterr().err


def test_help_shows_examples(capsys):
    for cmd in ("synth", "run-board"):
        assert main([cmd, "--help"]) == 0
        assert "Example:" in capsys.readouterr().out


@pytest.mark.synth
def test_compile_with_target_runs_the_backend_core_through_the_flow(tmp_path, capsys):
    require_tool("yosys")
    require_tool("nextpnr-ice40")
    ir.save(tiny_net(), tmp_path / "tiny.npz")
    out = tmp_path / "out"
    assert main(["compile", str(tmp_path / "tiny.npz"), "--out", str(out), "--target", "ice40", "--device", "hx8k",
                 "--clock", "40", "--seed", "3", "--pnr-opts", "placer=sa"]) == 0
    rep = load_report(out / "synth")
    meta = json.loads((out / "metadata.json").read_text())
    assert rep["core_top"] == meta["top"] and rep["resources"]["core"]["lut"] > 0
    assert rep["pnr_opts"]["seed"] == 3 and rep["pnr_opts"]["placer"] == "sa" and rep["clock_mhz"] == 40
    log = (out / "synth" / "nextpnr.log").read_text().splitlines()[0]
    assert "--seed 3" in log and "--placer sa" in log and "--freq 40" in log and "--hx8k" in log
    # `lgn2hw report` on the folder shows the pass report and the synthesis report together
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "passes" in shown and "synthesis: ice40 iCE40HX8K" in shown and "Fmax" in shown


@pytest.mark.slow
@pytest.mark.synth
@pytest.mark.skipif(not EXAMPLE_MODEL.is_file(), reason="examples/digits.pt not present")
def test_compile_example_with_target_yosys_only(tmp_path):
    require_tool("yosys")
    assert main(["compile", str(EXAMPLE_MODEL), "--out", str(tmp_path), "--target", "ice40", "--device", "hx8k",
                 "--no-pnr"]) == 0
    rep = load_report(tmp_path / "synth")
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert rep["core_top"] == meta["top"] and rep["resources"]["core"]["lut"] > 0


@pytest.mark.slow
@pytest.mark.synth
@pytest.mark.skipif(not EXAMPLE_MODEL.is_file(), reason="examples/digits.pt not present")
@pytest.mark.parametrize("target,device", [("ice40", "hx8k"), ("ice40", "up5k"), ("ecp5", "25k")])
def test_compile_example_full_flow(tmp_path, target, device):
    require_tool("yosys")
    assert main(["compile", str(EXAMPLE_MODEL), "--out", str(tmp_path), "--target", target, "--device", device,
                 "--clock", "50"]) == 0
    rep = load_report(tmp_path / "synth")
    assert rep["fits"] and rep["pnr"]["timing"]["fmax_mhz"] > 0


def test_templates_exist_for_every_family():
    for fam in FAMILIES.values():
        for t in (fam.synth_template, fam.pnr_template):
            assert t is None and fam.name == "xilinx" or (REPO / "rtl_templates" / t).is_file()


def test_a_rerun_without_pnr_leaves_no_older_placement(tmp_path):
    """Issue 17, item 7: `synth --no-pnr` after a full run must not leave the old core.asc/bitstream."""
    require_tool("yosys")
    write_baseline_core(tiny_net(), tmp_path)
    work = tmp_path / "synth"
    work.mkdir()
    for name in ("core.asc", "core.bin"):
        (work / name).write_text("from an earlier run")
    assert main(["synth", str(tmp_path), "--target", "ice40", "--device", "hx1k", "--no-pnr"]) == 0
    assert not (work / "core.asc").exists() and not (work / "core.bin").exists()
    assert load_report(work)["pnr"] is None


@pytest.mark.parametrize("line,fits", [
    ("ERROR: Unable to find legal placement for all cells, design is probably at utilisation limit.", False),
    ("ERROR: Failed to expand region (0, 0) |_> (25, 31) of 7082 ICESTORM_LCs", False),  # UP5K at 134 %
    ("ERROR: no BELs remaining to implement cell type 'SB_RAM40_4K'", False),
    ("ERROR: Max frequency for clock 'clk': 12.00 MHz (FAIL at 48.00 MHz)", True),
    ("ERROR: cell 'x' of type 'SB_IO' is not placed", True),
])
def test_nextpnr_messages_that_mean_the_design_does_not_fit(line, fits):
    """A placement that fails for lack of room is reported as "does not fit", any other error as
    the tool's failure (nextpnr-ice40 words an over-full device in more than one way)."""
    from lgn2hw.synth.flow import _NOT_FIT

    assert (_NOT_FIT.search(f"Info: placing\n{line}\n") is None) is fits
