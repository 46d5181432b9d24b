# SPDX-License-Identifier: MIT
"""cocotb test of a whole board top (UART bridge + core): real UART bytes in and out.

A ``UartSource`` sends the input frames of ``lgn2hw.board.protocol`` on ``uart_rx``, a
``UartSink`` collects the bytes on ``uart_tx``; the host side keeps at most ``fifo_depth``
vectors in flight, as ``lgn2hw.board.host`` does. Every class and group sum is compared with
the reference simulator (``lgn2hw.sim``) on the core's own ``netlist.npz``.

Configuration from the environment: ``LGN2HW_BOARD_JSON`` (the board.json that
``write_board_top(..., simulation=True)`` wrote), ``LGN2HW_VECTORS`` (.npy of in_data bits
[N, W]), ``LGN2HW_RESULT`` (a JSON summary is written there).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, with_timeout

from lgn2hw import ir
from lgn2hw.board import inputs
from lgn2hw.board.protocol import FrameFormat
from uart_model import UartSink, UartSource

POR_WAIT = 40  # cycles: the board top holds its own power-on reset for 16


def reference(core_dir: Path, info: dict, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes and group sums the core must produce for in_data ``bits`` (a streaming conv
    core: whole images, pixel after pixel)."""
    if info.get("kind") == "stream":
        from lgn2hw import conv
        res = inputs.stream_reference(conv.load(core_dir / "netlist.npz"), bits)
        return res.classes, res.group_sums
    res = inputs.reference(ir.load(core_dir / "netlist.npz"), info["input_format"], bits)
    return res.classes, res.group_sums


def setup():
    info = json.loads(Path(os.environ["LGN2HW_BOARD_JSON"]).read_text())
    fr = info["frame"]
    frame = FrameFormat.from_dict(fr)
    bits = np.load(os.environ["LGN2HW_VECTORS"])
    return info, frame, bits


async def start(dut, info):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    cpb = int(info["clocks_per_bit"])
    src, sink = UartSource(dut.uart_rx, dut.clk, cpb), UartSink(dut.uart_tx, dut.clk, cpb)
    await ClockCycles(dut.clk, POR_WAIT)
    cocotb.start_soon(sink.run())
    return src, sink


async def stream(dut, frame: FrameFormat, src: UartSource, sink: UartSink, bits: np.ndarray) -> bytes:
    """Send every vector, at most fifo_depth in flight; return all response bytes."""
    want = bits.shape[0] * frame.out_bytes
    for i in range(bits.shape[0]):
        while i - len(sink.data) // frame.out_bytes >= frame.fifo_depth:
            await ClockCycles(dut.clk, 8)
        await src.send(frame.encode_inputs(bits[i:i + 1]))
    while len(sink.data) < want:
        await ClockCycles(dut.clk, 8)
    return bytes(sink.data[:want])


def check(frame, info, bits, data) -> dict:
    classes, sums = frame.decode_responses(data)
    ref_classes, ref_sums = reference(Path(os.environ["LGN2HW_BOARD_JSON"]).parent / info["core_dir"], info, bits)
    bad = np.flatnonzero((classes != ref_classes) | np.any(sums != ref_sums, axis=1))
    first = None
    if bad.size:
        i = int(bad[0])
        first = {"vector": i, "class": int(classes[i]), "expected_class": int(ref_classes[i]),
                 "sums": sums[i].tolist(), "expected_sums": ref_sums[i].tolist()}
    return {"vectors": int(bits.shape[0]), "mismatches": int(bad.size), "first_mismatch": first}


def report(name: str, result: dict) -> None:
    path = os.environ.get("LGN2HW_RESULT")
    if path:
        p = Path(path)
        old = json.loads(p.read_text()) if p.is_file() else {}
        old[name] = result
        p.write_text(json.dumps(old, indent=1))


@cocotb.test()
async def classify_over_uart(dut):
    """All vectors through the UART, bit-exact classes and sums, no framing errors."""
    info, frame, bits = setup()
    src, sink = await start(dut, info)
    cycles = bits.shape[0] * (frame.in_bytes + frame.out_bytes + 4) * 10 * int(info["clocks_per_bit"]) + 10_000
    data = await with_timeout(stream(dut, frame, src, sink, bits), cycles * 10, "ns")
    result = check(frame, info, bits, data)
    result["framing_errors"] = sink.framing_errors
    report("classify_over_uart", result)
    assert sink.framing_errors == 0, f"{sink.framing_errors} badly framed bytes from the board"
    assert result["mismatches"] == 0, f"{result['mismatches']} mismatches, first: {result['first_mismatch']}"


@cocotb.test()
async def partial_frame_is_dropped(dut):
    """A frame cut short and followed by a pause longer than the frame timeout is discarded."""
    info, frame, bits = setup()
    src, sink = await start(dut, info)
    bits = bits[:3]
    if frame.pixels > 1:  # a streaming core: half an image, then a pause
        await src.send(frame.encode_inputs(bits[:1])[:frame.in_bytes * (frame.pixels // 2)])
        await ClockCycles(dut.clk, int(info["frame_timeout_cycles"]) + 4 * int(info["clocks_per_bit"]))
    if frame.in_bytes > 1:
        await src.send(frame.encode_inputs(bits[:1])[:frame.in_bytes - 1])  # one byte short
        await ClockCycles(dut.clk, int(info["frame_timeout_cycles"]) + 4 * int(info["clocks_per_bit"]))
    cycles = 3 * (frame.in_bytes + frame.out_bytes + 4) * 10 * int(info["clocks_per_bit"]) + 10_000
    data = await with_timeout(stream(dut, frame, src, sink, bits), cycles * 10, "ns")
    await ClockCycles(dut.clk, 40 * int(info["clocks_per_bit"]))
    result = check(frame, info, bits, data)
    result["extra_bytes"] = len(sink.data) - len(data)
    report("partial_frame_is_dropped", result)
    assert result["extra_bytes"] == 0, "the board answered the partial frame"
    assert result["mismatches"] == 0, f"{result['mismatches']} mismatches, first: {result['first_mismatch']}"
