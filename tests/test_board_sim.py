# SPDX-License-Identifier: MIT
"""The whole board top (UART bridge + core) in cocotb on Icarus: real UART bytes, bit-exact results."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import require_tool
from lgn2hw import ir
from lgn2hw.generate import random_layered
from lgn2hw.synth.baseline import write_baseline_core

pytestmark = pytest.mark.sim


def _net():
    nl = random_layered(20, [40, 40, 15], 3, seed=4, op_mix="uniform")
    # output polarity: a third of the outputs inverted (the naive core's sums and the fabric apply it)
    return nl.replace(output_inv=np.arange(nl.num_outputs) % 3 == 1)


def _backend_core(nl, out):
    backend = pytest.importorskip("lgn2hw.backend")
    backend.emit(nl, out, backend.EmitOptions(pipeline_every=1, adder_stages=1))


@pytest.mark.parametrize("core", ["naive", "backend"])
def test_board_top_is_bit_exact_over_uart(tmp_path, rng, core):
    require_tool("iverilog")
    from lgn2hw.board.simulate import simulate_board
    nl = _net()
    (write_baseline_core if core == "naive" else _backend_core)(nl, tmp_path / "rtl")
    bits = rng.integers(0, 2, size=(20, nl.num_inputs), dtype=np.uint8)
    res = simulate_board(tmp_path / "rtl", tmp_path / "sim", bits, board="icebreaker", clocks_per_bit=4)
    main = res["classify_over_uart"]
    assert main["vectors"] == 20 and main["mismatches"] == 0 and main["framing_errors"] == 0
    resync = res["partial_frame_is_dropped"]
    assert resync["mismatches"] == 0 and resync["extra_bytes"] == 0


def test_board_testbench_catches_a_wrong_core(tmp_path, rng):
    """The checker is not vacuous: a reference that differs from the hardware is reported."""
    require_tool("iverilog")
    from lgn2hw.board.simulate import simulate_board
    nl = _net()
    write_baseline_core(nl, tmp_path / "rtl")
    # the hardware keeps the original network; the reference gets one output gate inverted
    out_node = int(nl.outputs[0]) - nl.base
    tables = nl.tables.copy()
    tables[out_node] ^= np.uint64(0xF)
    ir.save(nl.replace(tables=tables), tmp_path / "rtl" / "netlist.npz")
    bits = rng.integers(0, 2, size=(8, nl.num_inputs), dtype=np.uint8)
    res = simulate_board(tmp_path / "rtl", tmp_path / "sim", bits, testcase="classify_over_uart")
    assert res["classify_over_uart"]["mismatches"] == 8  # class-0 sum is off by one on every vector


def test_streaming_conv_board_top_over_uart(tmp_path, rng):
    """The streaming conv core behind the UART bridge: images as pixel frames, one answer each;
    half an image followed by a pause is dropped."""
    require_tool("iverilog")
    from _convgen import random_model
    from lgn2hw.backend.options import EmitOptions
    from lgn2hw.backend.stream import emit_stream
    from lgn2hw.board.inputs import image_pixels
    from lgn2hw.board.simulate import simulate_board
    model = random_model(rng, (1, 6, 6), 2, (("conv", 3, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)), widths=(12,), classes=3)
    emit_stream(model, tmp_path / "rtl", EmitOptions())
    flat = rng.integers(0, 2, size=(6, model.num_input_bits), dtype=np.uint8)
    res = simulate_board(tmp_path / "rtl", tmp_path / "sim", image_pixels(model, flat), board="icebreaker",
                         clocks_per_bit=4)
    main = res["classify_over_uart"]
    assert main["vectors"] == 6 and main["mismatches"] == 0 and main["framing_errors"] == 0
    resync = res["partial_frame_is_dropped"]
    assert resync["mismatches"] == 0 and resync["extra_bytes"] == 0
