# SPDX-License-Identifier: MIT
"""The streaming conv core end to end: emitted, checked image by image in Icarus and Verilator
against the conv simulator, planted faults caught, compiled from the CLI."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import PEER_FIXTURES, require_tool
from lgn2hw import api
from lgn2hw.backend.options import EmitOptions
from lgn2hw.backend.pool import pool_axis
from lgn2hw.backend.stream import emit_stream
from lgn2hw.backend.window import WindowGeometry
from lgn2hw.cli import main
from lgn2hw.errors import LgnError
from lgn2hw.verify import verify

from _convgen import random_model

TLX = PEER_FIXTURES / "torchlogix_conv"


def fixture_data() -> dict:
    ref = np.load(TLX / "torchlogix_conv_ref.npz")
    return {"X": ref["inputs_real"].astype(np.float64)}


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_torchlogix_conv_streams_bit_exact(sim, tmp_path):
    require_tool("iverilog") if sim == "icarus" else None
    imp = api.load(TLX / "torchlogix_conv_full_model.pt")
    out = tmp_path / "core"
    res = emit_stream(imp.conv, out, EmitOptions(pipeline_every=1))
    assert res.metadata["kind"] == "stream" and res.metadata["stream"]["cycles_per_image"] == 64
    # the head's argmax visits the classes in turn (one image per 64 cycles leaves the time)
    assert res.metadata["pipeline"]["argmax"] == "serial"
    assert res.metadata["pipeline"]["argmax_latency"] == imp.conv.num_classes - 1 > 0
    vres = verify(out, sim, vectors=8, data=fixture_data(), max_data=200)
    assert vres.ok, vres.first_mismatch or vres.protocol_errors
    assert vres.composition["dataset"] == 48 and vres.mismatches == 0
    assert vres.measured_latency == [res.plan.latency]


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_torchlogix_conv_unrolled_bit_exact(sim, tmp_path):
    """The issue's bar: compile --conv unrolled --verify on both simulators, the fixture's 200 inputs."""
    require_tool("iverilog") if sim == "icarus" else None
    out = tmp_path / "unrolled"
    res = api.compile(TLX / "torchlogix_conv_state_dict.pt", out, format="torchlogix",
                      import_options={"config": str(TLX / "torchlogix_conv_config.json")}, conv="unrolled",
                      report=False)
    assert json.loads((out / "metadata.json").read_text())["kind"] == "dense"
    vres = verify(out, sim, vectors=64, data=fixture_data(), max_data=200)
    assert vres.ok and vres.composition["dataset"] == 200
    assert res.netlist.num_inputs == 1 * 2 * 8 * 8  # C x T x H x W input bits


# planted faults: each must make the bench fail (the tests above prove the unplanted core passes)
def _shift_row_mask(self):
    cols, rows = ORIG_TABLES(self)
    return cols, [(v, (m << 1) & ((1 << self.rf) - 1), f, l) for v, m, f, l in rows]  # padding one row off


def _stride_phase(self):
    cols, rows = ORIG_TABLES(self)
    if self.stride == 1:
        return cols, rows
    return [(w, cols[(i + 1) % len(cols)][1], m, f, l) for i, (w, _, m, f, l) in enumerate(cols)], rows


def _frame_boundary(self):
    cols, rows = ORIG_TABLES(self)
    return cols, [(v, m, f, 0) for v, m, f, l in rows]  # last-row flag lost: o_last never rises


ORIG_TABLES = WindowGeometry.tables
ORIG_POOL_AXIS = pool_axis


@pytest.mark.parametrize("fault", ["padding", "stride", "pool-window", "frame-boundary"])
def test_planted_faults_are_caught(fault, tmp_path, monkeypatch, rng):
    require_tool("iverilog")
    spec = (("conv", 3, 2, 3, 2 if fault == "stride" else 1, 1, 1), ("pool", 2, 2, 0))
    model = random_model(rng, (1, 8, 8), 2, spec, widths=(12,), classes=2)
    if fault == "padding":
        monkeypatch.setattr(WindowGeometry, "tables", _shift_row_mask)
    elif fault == "stride":
        monkeypatch.setattr(WindowGeometry, "tables", _stride_phase)
    elif fault == "frame-boundary":
        import lgn2hw.backend.stream as stream
        # the bank's end of image one position early: the head sees a frame cut short
        monkeypatch.setattr(stream, "bank_last", lambda n: n - 2)
    else:  # the pool (folded into the bank here) misses a window cell: its second cell restarts the OR
        import lgn2hw.backend.pool as pool
        import lgn2hw.backend.stream as stream

        def second_cell_restarts(size, k, padding, out):
            t = ORIG_POOL_AXIS(size, k, padding, out)
            return [(i, int(f or (y > 0 and t[y - 1][0] == i >= 0 and t[y - 1][1] == 1)), last)
                    for y, (i, f, last) in enumerate(t)]
        assert stream.stage_modes(model)[-1] == "bank"
        monkeypatch.setattr(stream, "pool_axis", second_cell_restarts)
        monkeypatch.setattr(pool, "pool_axis", second_cell_restarts)
    out = tmp_path / "core"
    emit_stream(model, out, EmitOptions())
    monkeypatch.undo()
    try:
        vres = verify(out, "icarus", vectors=8, waves_on_failure=False)
    except LgnError:
        return  # the bench itself reported a failure (e.g. missing outputs)
    assert not vres.ok, f"planted fault '{fault}' was not caught"


def _serial_model(rng):
    """A 20 x 20 image through conv-pool-conv(padding 1)-pool-conv-pool, the MNIST layout: the
    padded block finishes an image's border on the next image's first cells, so the bank holds an
    image fewer cycles than its classes' bits need (``bank_hold``: 190 cycles here; counting from
    the image's last pixel alone would give 336): the serial GroupSum's lanes must take their bits
    at once and count on while the next image overwrites the bank."""
    return random_model(rng, (1, 20, 20), 2, (("conv", 3, 2, 5, 1, 0, 1), ("pool", 2, 2, 0), ("conv", 4, 2, 3, 1, 1, 1),
                                              ("pool", 2, 2, 0), ("conv", 48, 2, 3, 1, 0, 1), ("pool", 2, 2, 0)),
                        widths=(400, 600), classes=2)


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_serial_groupsum_past_the_bank_hold_streams_bit_exact(sim, tmp_path, rng):
    require_tool("iverilog") if sim == "icarus" else None
    from lgn2hw.backend import stream
    model = _serial_model(rng)
    res = emit_stream(model, tmp_path / "core", EmitOptions(pipeline_every=1))
    pop = res.plan.head.popcount
    hold = stream.bank_hold(res.plan.stages, 20)
    # the head's first gate layer is registered: the lanes load a cycle after the bank is taken
    assert res.plan.head.fabric_latency == 1
    assert pop.serial and res.metadata["pipeline"]["groupsum_cycles"] == pop.cycles > hold + 20
    assert max(len(lane) for p in pop.shapes for _, lane in p.lanes) == pop.cycles  # the bits decide
    assert res.plan.stages[2].tail > 0 and hold < stream.pixel_of(res.plan.stages, 0, 0, 20) - \
        stream.front_latency(res.plan.stages) - 100
    assert res.plan.latency < 20 * 20  # one image in the head at a time
    vres = verify(tmp_path / "core", sim, vectors=24)
    assert vres.ok, vres.first_mismatch or vres.protocol_errors or vres.measured_latency
    assert vres.measured_latency == [res.plan.latency]


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_head_pipeline_of_its_own_streams_bit_exact(sim, tmp_path, rng):
    """--head-pipeline-every registers the dense head's fabric while the kernels stay
    combinational: the front end's latency is the unpipelined one, the head's one stage more,
    and the serial GroupSum keeps its cycles (its lanes load in one)."""
    require_tool("iverilog") if sim == "icarus" else None
    from lgn2hw.backend import stream
    model = _serial_model(rng)
    flat = emit_stream(model, tmp_path / "flat", EmitOptions(pipeline_every=0))
    res = emit_stream(model, tmp_path / "core", EmitOptions(pipeline_every=0, head_pipeline_every=1))
    assert [st.latency for st in res.plan.stages] == [st.latency for st in flat.plan.stages]
    assert flat.plan.head.fabric_latency == 0 and res.plan.head.fabric_latency == 1
    assert res.metadata["pipeline"]["pipeline_every"] == 0
    assert res.metadata["pipeline"]["head_pipeline_every"] == 1
    assert res.plan.head.popcount.cycles == flat.plan.head.popcount.cycles > stream.bank_hold(res.plan.stages, 20)
    vres = verify(tmp_path / "core", sim, vectors=24)
    assert vres.ok, vres.first_mismatch or vres.protocol_errors or vres.measured_latency
    assert vres.measured_latency == [res.plan.latency]


def test_head_pipeline_option_needs_the_streaming_core(tmp_path, capsys):
    from conftest import EXAMPLE_MODEL
    assert main(["compile", str(EXAMPLE_MODEL), "--head-pipeline-every", "1", "--out", str(tmp_path / "core")]) == 1
    assert "--head-pipeline-every" in capsys.readouterr().err
    assert not (tmp_path / "core").exists()


def test_serial_groupsum_read_early_is_caught(tmp_path, monkeypatch, rng):
    """A planted fault: the head believes its serial GroupSum twice as fast as it is, so the argmax
    takes the sums when half the lanes' bits are in; the images must then mismatch."""
    require_tool("iverilog")
    from lgn2hw.backend import serialsum
    model = _serial_model(rng)
    monkeypatch.setattr(serialsum, "latency", lambda cycles: cycles // 2 + 2)
    emit_stream(model, tmp_path / "core", EmitOptions(pipeline_every=1))
    monkeypatch.undo()
    vres = verify(tmp_path / "core", "icarus", vectors=24, waves_on_failure=False)
    assert not vres.ok and vres.mismatches > 0


def test_groupsum_option(tmp_path, rng):
    """--groupsum parallel keeps the adder trees in the stream head (bit-exact); serial is refused
    where it cannot hold: a dense core, or a bank that holds an image too few cycles."""
    require_tool("iverilog")
    model = _serial_model(rng)
    res = emit_stream(model, tmp_path / "par", EmitOptions(groupsum="parallel"))
    assert res.metadata["pipeline"]["popcount"] == "carry" and "groupsum_cycles" not in res.metadata["pipeline"]
    vres = verify(tmp_path / "par", "icarus", vectors=8)
    assert vres.ok, vres.first_mismatch
    with pytest.raises(LgnError, match="only the streaming conv core's head"):
        api.compile(model.head, tmp_path / "dense", rtl=EmitOptions(groupsum="serial"), report=False)
    small = random_model(rng, (1, 8, 8), 2, (("conv", 3, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)), widths=(12,), classes=2)
    with pytest.raises(LgnError, match="holds an image too few cycles"):
        emit_stream(small, tmp_path / "small", EmitOptions(groupsum="serial"))


def test_compile_conv_cli(tmp_path, rng, capsys):
    import torch

    from lgn2hw.frontends.native import conv_model_checkpoint
    model = random_model(rng, (1, 8, 8), 2, (("conv", 4, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)), widths=(12,), classes=2)
    ck = tmp_path / "conv.pt"
    torch.save(conv_model_checkpoint(model, data={"X": rng.uniform(0, 1, (10, 1, 8, 8)), "y": np.zeros(10, np.int64)}),
               ck)
    assert main(["compile", str(ck), "--out", str(tmp_path / "s")]) == 0
    text = capsys.readouterr().out
    assert "streaming conv core" in text and "cycles per image" in text
    meta = json.loads((tmp_path / "s" / "metadata.json").read_text())
    assert meta["kind"] == "stream" and meta["stream"]["image"] == [2, 8, 8]
    report = json.loads((tmp_path / "s" / "report.json").read_text())
    assert [s["stage"] for s in report["stages"]] == ["stage 0 (conv)", "head"]
    assert main(["compile", str(ck), "--out", str(tmp_path / "u"), "--conv", "unrolled"]) == 0
    assert json.loads((tmp_path / "u" / "metadata.json").read_text())["kind"] == "dense"


def test_conv_option_on_a_dense_model_is_refused(tmp_path, capsys):
    from conftest import EXAMPLE_MODEL
    assert main(["compile", str(EXAMPLE_MODEL), "--out", str(tmp_path / "x"), "--conv", "streaming"]) == 1
    assert "is not a conv model" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_unstreamable_model_is_refused_before_work(tmp_path, rng):
    model = random_model(rng, (1, 8, 8), 2, (("conv", 2, 2, 3, 1, 2, 1),), widths=(12,), classes=2)
    with pytest.raises(LgnError, match=r"stage 0 \(conv\): padding 2 with rf 3 cannot stream"):
        api.compile(api.load(_save_native(model, tmp_path)), tmp_path / "o", report=False)
    assert not (tmp_path / "o").exists()


def _save_native(model, tmp_path) -> Path:
    import torch

    from lgn2hw.frontends.native import conv_model_checkpoint
    path = tmp_path / "m.pt"
    torch.save(conv_model_checkpoint(model), path)
    return path


@pytest.mark.synth
def test_stream_core_synthesizes_out_of_context(tmp_path):
    """The harness wires the stream ports (in_first, in_pixel, in_ready); yosys + nextpnr on iCE40."""
    from lgn2hw.synth import SynthConfig, find_tool, ooc_design, synthesize
    require_tool("yosys")
    find_tool("nextpnr-ice40", with_version=False)
    imp = api.load(TLX / "torchlogix_conv_full_model.pt")
    emit_stream(imp.conv, tmp_path / "rtl", EmitOptions())
    work = tmp_path / "synth"
    rep = synthesize(ooc_design(tmp_path / "rtl", work), work, SynthConfig(target="ice40", device="hx8k", clock_mhz=50))
    core = rep["resources"]["core"]
    assert 0 < core["lut"] < 1000 and core["ff"] > 0
    assert rep["pnr"]["timing"]["fmax_mhz"] > 50


@pytest.mark.synth
def test_line_buffers_map_without_read_during_write_logic(tmp_path, rng):
    """Every line buffer (windows padded or not, an accumulating pool's line) reads a word its
    write cannot touch in that cycle, and yosys proves it: no flip-flop-and-mux bypass or delayed
    write (a logic cell per bit) around the block RAMs."""
    from lgn2hw.synth import SynthConfig, ooc_design, synthesize
    require_tool("yosys")
    model = random_model(rng, (1, 12, 12), 2, (("conv", 4, 2, 3, 1, 0, 1), ("pool", 2, 2, 0),
                                               ("conv", 6, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)),
                         widths=(12,), classes=2)
    plan = emit_stream(model, tmp_path / "rtl", EmitOptions()).plan
    assert [st.mode for st in plan.stages] == ["window", "acc", "window", "bank"]
    work = tmp_path / "synth"
    synthesize(ooc_design(tmp_path / "rtl", work), work, SynthConfig(target="ice40", device="hx8k", pnr=False))
    log = (work / "yosys.log").read_text()
    ports = dict(re.findall(r"Checking read port `\\front\.(\w+)\.lines?'\[0\][^\n]*\n\s*([^\n]*)", log))
    assert set(ports) == {"win0", "pool1", "win2"}, ports
    assert set(ports.values()) == {"Write port 0: don't care on collision."}, ports


def test_later_padded_stage_latency_on_icarus(tmp_path, rng):
    """A later stage with a border of its own (conv-pool-conv, padding 1): bit-exact, and its
    measured latency (the later stage drains after the input is held) equals metadata.json's."""
    require_tool("iverilog")
    model = random_model(rng, (1, 8, 8), 2, (("conv", 3, 2, 3, 1, 1, 1), ("pool", 2, 2, 0), ("conv", 4, 3, 3, 1, 1, 1)),
                         widths=(12,), classes=2)
    res = emit_stream(model, tmp_path / "core", EmitOptions(pipeline_every=2))
    assert res.plan.stages[2].geometry.tail > 0
    vres = verify(tmp_path / "core", "icarus", vectors=12)
    assert vres.ok, vres.first_mismatch or vres.protocol_errors or vres.measured_latency


def test_serial_argmax_ties_go_to_the_lowest_class_on_icarus(tmp_path, rng):
    """The stream head's serial argmax on a head whose group sums tie often (groups of two bits,
    four classes): every image's class and sums bit-exact, and the images do hold ties whose
    maximum is shared by a class above the lowest (a '>=' comparator would pick it)."""
    require_tool("iverilog")
    from lgn2hw import conv_sim
    model = random_model(rng, (1, 8, 8), 2, (("conv", 3, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)), widths=(8,), classes=4)
    x = rng.uniform(0, 1, size=(40, 1, 8, 8))
    sums = conv_sim.simulate_conv(model, x).group_sums
    top = sums == sums.max(axis=1, keepdims=True)
    assert np.sum(top.sum(axis=1) > 1) >= 5, "the images should tie"
    res = emit_stream(model, tmp_path / "core", EmitOptions(pipeline_every=1))
    assert res.plan.head.serial_argmax and res.plan.head.argmax_latency == 3
    vres = verify(tmp_path / "core", "icarus", data={"X": x}, max_data=40)
    assert vres.ok and vres.mismatches == 0 and vres.composition["dataset"] == 40


@pytest.mark.slow
@pytest.mark.parametrize("example", ["mnist_conv.pt", "mnist_conv97.pt"])
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_shipped_mnist_conv_example_streams_bit_exact(sim, example, tmp_path):
    """The issue's bar: examples/mnist_conv.pt and the 97.2 % examples/mnist_conv97.pt streamed
    whole (48 of their stored MNIST digits, back to back, bubbles, gaps, a reset and an in_first
    mid-image), bit-exact, on both simulators; their pools stream as accumulators, the last one
    folded into the bank, the argmax and the GroupSum serial."""
    require_tool("iverilog") if sim == "icarus" else None
    path = Path(__file__).resolve().parents[1] / "examples" / example
    res = api.compile(path, tmp_path / "core", rtl={"pipeline_every": 2}, report=False)
    stream = res.rtl.metadata["stream"]
    assert stream["cycles_per_image"] == 784
    assert [s["mode"] for s in stream["stages"]] == ["window", "acc", "window", "acc", "window", "bank"]
    assert res.rtl.metadata["pipeline"]["argmax"] == "serial"
    assert res.rtl.metadata["pipeline"]["popcount"] == "serial" and res.plan.latency < 784
    vres = verify(tmp_path / "core", sim, data={"X": res.model.data["X"]}, max_data=48)
    assert vres.ok, vres.first_mismatch or vres.protocol_errors
    assert vres.mismatches == 0 and vres.composition["dataset"] == 48
    assert vres.measured_latency == [res.plan.latency]


def test_non_overlapping_pools_stream_with_any_padding(rng):
    """A pool whose stride is its kernel accumulates (no window, so no padding limit), the last one
    in the bank; an overlapping pool still slides a window and keeps the window's padding limit."""
    from lgn2hw.backend.stream import check_streamable, stage_modes
    spec = (("conv", 3, 2, 3, 1, 1, 1), ("pool", 2, 2, 1), ("conv", 2, 2, 3, 1, 1, 1), ("pool", 2, 2, 1))
    model = random_model(rng, (1, 8, 8), 2, spec, widths=(12,), classes=2)
    check_streamable(model, EmitOptions())
    assert stage_modes(model) == ["window", "acc", "window", "bank"]
    overlapping = random_model(rng, (1, 8, 8), 2, (("conv", 3, 2, 3, 1, 1, 1), ("pool", 2, 1, 1)), widths=(12,),
                               classes=2)
    assert stage_modes(overlapping) == ["window", "window"]
    with pytest.raises(LgnError, match=r"stage 1 \(pool\): padding 1 with rf 2 cannot stream"):
        check_streamable(overlapping, EmitOptions())
