# SPDX-License-Identifier: MIT
"""The AMD (xilinx) and Gowin targets: device data, the Vivado batch script (golden text),
Gowin constraints, the Tang Nano boards, --popcount auto, and small real tool runs."""
import importlib
import json
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from lgn2hw.board.boards import list_boards, load_board
from lgn2hw.cli import main
from lgn2hw.errors import LgnError
from lgn2hw.generate import random_layered
from lgn2hw.synth import DEVICES, FAMILIES, get_device
from lgn2hw.synth.flow import ooc_constraints, render, vivado_files
from lgn2hw.synth.report import cell_counts, min_logic_cells
from lgn2hw.synth.tools import have_tool

GOLDEN = REPO / "tests" / "golden" / "vivado"


# ---------------------------------------------------------------- device data
def test_every_device_is_complete_and_resolves():
    for target, devices in DEVICES.items():
        fam = FAMILIES[target]
        assert fam.default_device in devices
        assert fam.synth_template and (REPO / "rtl_templates" / fam.synth_template).is_file()
        if fam.pnr_template:
            assert (REPO / "rtl_templates" / fam.pnr_template).is_file() and fam.pnr_tool and fam.pack_tool
        for name, dev in devices.items():
            assert dev.family == target and dev.logic > 0
            assert get_device(target, name) == dev
            if target in ("xilinx", "gowin"):  # the full part name is accepted too
                assert get_device(target, dev.part).name == name
            if target in ("xilinx", "gowin"):
                assert dev.variant and dev.ff and dev.ff > 0
            if target == "gowin":
                assert len(dev.ooc_pins) == 5 and len(set(dev.ooc_pins)) == 5


@pytest.mark.parametrize("target,names,family", [
    ("xilinx", ["xc7a35t", "xc7a100t", "xc7z020"], "xc7"),
    ("xilinx", ["xcku5p", "xcvu9p"], "xcup"),
    ("gowin", ["GW1NR-9"], "GW1N-9C"),
    ("gowin", ["GW2AR-18"], "GW2A-18C"),
])
def test_issue_devices_map_to_tool_families(target, names, family):
    for name in names:
        assert get_device(target, name).variant == family


def test_unknown_devices_name_the_known_ones():
    with pytest.raises(LgnError, match="unknown xilinx device 'xc7a50t'; expected one of: xc7a35t"):
        get_device("xilinx", "xc7a50t")
    with pytest.raises(LgnError, match="unknown gowin device 'gw1n-4'"):
        get_device("gowin", "gw1n-4")


def test_cell_counts_of_the_new_families():
    xil = cell_counts({"LUT6": 10, "LUT2": 5, "INV": 2, "CARRY4": 3, "CARRY8": 1, "FDRE": 7, "FDSE": 1,
                       "MUXF7": 2, "SRLC32E": 1, "RAMB36E2": 1, "DSP48E2": 1, "IBUF": 4}, FAMILIES["xilinx"])
    assert xil["lut"] == 17 and xil["carry"] == 4 and xil["ff"] == 8 and xil["widemux"] == 2
    assert xil["srl"] == 1 and xil["bram"] == 1 and xil["dsp"] == 1 and xil["io"] == 4
    assert min_logic_cells(xil, FAMILIES["xilinx"]) == 17
    gw = cell_counts({"LUT4": 9, "LUT1": 1, "ALU": 6, "DFFE": 3, "DFFR": 2, "SDPB": 1, "MUX2_LUT5": 2,
                      "IBUF": 2}, FAMILIES["gowin"])
    assert gw["lut"] == 10 and gw["carry"] == 6 and gw["ff"] == 5 and gw["bram"] == 1 and gw["widemux"] == 2
    assert min_logic_cells(gw, FAMILIES["gowin"]) == 16
    # ECP5 line buffers too small for a DP16KD become distributed RAM: reported, and counted as LUTs
    ecp = cell_counts({"LUT4": 9, "CCU2C": 2, "TRELLIS_FF": 5, "TRELLIS_DPR16X4": 3, "PFUMX": 1}, FAMILIES["ecp5"])
    assert ecp["lut"] == 9 and ecp["carry"] == 2 and ecp["lutram"] == 3 and ecp["bram"] == 0
    assert min_logic_cells(ecp, FAMILIES["ecp5"]) == 9 + 2 * 2 + 4 * 3


# ---------------------------------------------------------------- Vivado script (golden text)
def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; rerun with --update-golden if deliberate"


def test_vivado_build_script_golden(update_golden):
    files = vivado_files(["../lgn_core_fabric.v", "../lgn_core.v"], "lgn_core", "xcvu9p-flga2104-2L-e", 250.0)
    assert sorted(files) == ["build.tcl", "constraints.xdc"]
    check_golden("build.tcl", files["build.tcl"], update_golden)
    check_golden("constraints.xdc", files["constraints.xdc"], update_golden)
    tcl = files["build.tcl"]
    for step in ("synth_design -top lgn_core -part xcvu9p-flga2104-2L-e -mode out_of_context", "place_design",
                 "route_design", "report_utilization", "report_timing_summary", "read_xdc -mode out_of_context"):
        assert step in tcl
    assert "create_clock -period 4.000 -name clk [get_ports clk]" in files["constraints.xdc"]


@pytest.mark.parametrize("bad", [["x.v; exec rm"], ["-rf.v"], ["$(x).v"], ["a\nb.v"]])
def test_vivado_script_refuses_unsafe_file_names(bad):
    with pytest.raises(LgnError, match="cannot go into a tool script"):
        vivado_files(bad, "lgn_core", "xc7a35tcpg236-1", 100.0)
    with pytest.raises(LgnError, match="not a Verilog identifier"):
        vivado_files(["a.v"], "lgn core", "xc7a35tcpg236-1", 100.0)


# ---------------------------------------------------------------- Gowin constraints and boards
def test_gowin_ooc_constraints_pin_the_harness():
    text = ooc_constraints(get_device("gowin", "gw1nr-9"))
    assert 'IO_LOC "clk" 52;' in text and 'IO_LOC "sout" 28;' in text and text.count("IO_LOC") == 5


def test_tang_nano_boards_load_and_render_constraints():
    assert {"tangnano9k", "tangnano20k"} <= set(list_boards())
    for name, device, clk, rx, tx in (("tangnano9k", "gw1nr-9", "52", "18", "17"),
                                      ("tangnano20k", "gw2ar-18", "4", "70", "69")):
        b = load_board(name)
        assert (b.target, b.device, b.clock_pin, b.uart_rx, b.uart_tx, b.clock_mhz) == ("gowin", device, clk, rx,
                                                                                        tx, 27.0)
        get_device(b.target, b.device)
        cst = render("board_gowin.cst.j2", board=b)
        assert f'IO_LOC "clk" {clk};' in cst and f'IO_LOC "uart_rx" {rx};' in cst and f'IO_LOC "uart_tx" {tx};' in cst


def test_tang_nano_9k_pins_match_amaranth_boards():
    board = load_board("tangnano9k")
    module, cls = board.amaranth_platform.split(":")
    platform = getattr(importlib.import_module(module), cls)()
    assert get_device("gowin", board.device).part == platform.part
    clk = platform.lookup(platform.default_clk, 0)
    assert clk.ios[0].names == [board.clock_pin] and clk.clock.frequency == board.clock_mhz * 1e6
    uart = platform.lookup("uart", 0)
    pins = {sub.name: sub.ios[0].names for sub in uart.ios}
    assert pins["rx"] == [board.uart_rx] and pins["tx"] == [board.uart_tx]
    assert platform.lookup("led", 0).ios[0].names == [board.led]


# ---------------------------------------------------------------- --popcount auto
def test_popcount_auto_follows_the_target(tmp_path, monkeypatch):
    import dataclasses
    from lgn2hw import api
    monkeypatch.setattr(api, "synthesize", lambda *a, **k: None)  # the RTL step is what is checked
    monkeypatch.setitem(FAMILIES, "xilinx", dataclasses.replace(FAMILIES["xilinx"], popcount="gpc"))
    nl = random_layered(8, [12, 6], 2, seed=1)
    assert api.compile(nl, tmp_path / "a", rtl={"popcount": "auto"}, report=False).plan.popcount.style == "carry"
    res = api.compile(nl, tmp_path / "b", rtl={"popcount": "auto"}, target="xilinx", report=False)
    assert res.plan.popcount.style == "gpc"
    assert json.loads((tmp_path / "b" / "metadata.json").read_text())["pipeline"]["popcount"] == "gpc"
    res = api.compile(nl, tmp_path / "c", rtl={"popcount": "auto"}, synth={"board": "tangnano9k"}, report=False)
    assert res.plan.popcount.style == FAMILIES["gowin"].popcount
    from lgn2hw.backend import EmitOptions, emit
    with pytest.raises(LgnError, match="popcount style 'auto'"):  # the library resolves it in compile() only
        emit(nl, tmp_path / "d", EmitOptions(popcount="auto"))


# ---------------------------------------------------------------- real tool runs
@pytest.mark.synth
def test_tiny_xilinx_synthesis_reports_lut6_and_writes_vivado(tmp_path, capsys):
    require_tool("yosys")
    nl = random_layered(8, [12, 6], 2, seed=1)
    from lgn2hw.backend import emit
    emit(nl, tmp_path)
    assert main(["synth", str(tmp_path), "--target", "xilinx", "--device", "xc7a35t"]) == 0
    out = capsys.readouterr().out
    assert "yosys estimate, no place-and-route" in out
    rep = json.loads((tmp_path / "synth" / "synth.json").read_text())
    assert rep["target"] == "xilinx" and rep["pnr"] is None and rep["fits"] is None
    assert rep["device"]["lut"] == "LUT6" and rep["device"]["part"] == "xc7a35tcpg236-1"
    assert "no place-and-route ran" in rep["estimate"]
    core = rep["resources"]["core"]
    assert 0 < core["lut"] < 40 and core["ff"] > 0
    assert "synth_xilinx -top lgn_core -family xc7 -noiopad" in (tmp_path / "synth" / "synth.ys").read_text()
    tcl = (tmp_path / "synth" / "build.tcl").read_text()
    assert "read_verilog [file join $here ../lgn_core_fabric.v]" in tcl
    assert (tmp_path / "synth" / "constraints.xdc").is_file()


@pytest.mark.synth
def test_xilinx_board_is_refused(tmp_path):
    from lgn2hw.synth.flow import Design, SynthConfig, synthesize
    with pytest.raises(LgnError, match="no open place-and-route"):
        synthesize(Design(files=(), top="t", core_top="t"), tmp_path,
                   SynthConfig(target="xilinx", bitstream=True))


@pytest.mark.slow
@pytest.mark.synth
def test_gowin_place_route_and_tang_nano_9k_bitstream(tmp_path):
    require_tool("yosys")
    if not (have_tool("nextpnr-himbaechel") and have_tool("gowin_pack")):
        pytest.skip("nextpnr-himbaechel / gowin_pack not installed (pip install 'lgn2hw[gowin]')")
    from lgn2hw.synth.baseline import write_baseline_core
    write_baseline_core(random_layered(16, [24, 24, 12], 3, seed=1), tmp_path)
    assert main(["synth", str(tmp_path), "--target", "gowin", "--device", "GW1NR-9"]) == 0
    rep = json.loads((tmp_path / "synth" / "synth.json").read_text())
    assert rep["fits"] and rep["pnr"]["timing"]["fmax_mhz"] > 20
    assert main(["synth", str(tmp_path), "--board", "tangnano9k"]) == 0
    rep = json.loads((tmp_path / "board" / "synth.json").read_text())
    assert rep["board"] == "tangnano9k" and rep["bitstream"].endswith(".fs")
    assert (tmp_path / "board" / rep["bitstream"]).stat().st_size > 10_000
    assert rep["pnr"]["utilization"]["io"]["used"] == 4


# ---------------------------------------------------------------- bench_published's table
def test_published_table_labels_every_published_figure():
    import re
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(REPO / "bench" / "bench_published.py"), "--published-only"],
                         capture_output=True, text=True, check=True, cwd=REPO,
                         env={"PYTHONPATH": str(REPO), "COLUMNS": "200", "PATH": "/usr/bin:/bin"}).stdout
    import tomllib
    rows = tomllib.loads((REPO / "bench" / "published_mnist.toml").read_text())["row"]
    assert rows and all(r["source"] for r in rows)
    for r in rows:
        line = next(ln for ln in out.splitlines() if f"│ {r['name']} " in ln and "published [" in ln)
        assert f"{r['accuracy']:g} % (pub.)" in line and f"{r['luts']:,} (pub.)" in line
        # no bare number in a published row: each figure carries its label
        cells = [c.strip() for c in line.split("│")[3:]]
        assert all(c in ("", "–") or "(pub.)" in c or c.endswith("(Vivado)") for c in cells), cells
    assert "PUBLISHED by" in out and not re.search(r"\d\s*x\b|ratio\s*[:=]", out)
