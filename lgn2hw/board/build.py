# SPDX-License-Identifier: MIT
"""A board build: bridge top + core -> constraints -> synthesis -> bitstream, and board.json.

``board.json`` is what a host needs to talk to the board (frame format, baud) and what the
board simulation reads; it sits next to the bitstream.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from .. import ir
from ..errors import LgnError
from ..backend.metadata import load_metadata
from ..synth.flow import Design, SynthConfig, render, synthesize
from .boards import Board
from .bridge import TOP, BoardBridge, board_top_verilog, uart_divisor
from .protocol import FrameFormat

FRAME_TIMEOUT_S = 0.02  # a pause this long inside an input frame drops the partial frame


def _write(path: Path, text: str) -> None:
    ir.atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_board_top(core_dir: str | Path, out_dir: str | Path, board: Board, baud: int | None = None,
                    clocks_per_bit: int | None = None, frame_timeout: int | None = None,
                    fifo_depth: int = 4, simulation: bool = False) -> dict:
    """Write ``board_top.v`` (+ constraints unless ``simulation``) and ``board.json``; return the latter.

    ``clocks_per_bit``/``frame_timeout`` (cycles) override the values derived from the board
    clock, so a simulation can run a fast UART; ``simulation`` also clocks the top from a
    ``clk`` port even on boards with an on-chip oscillator.
    """
    core_dir, out = Path(core_dir).resolve(), Path(out_dir).resolve()
    meta = load_metadata(core_dir)
    frame = FrameFormat.from_metadata(meta, fifo_depth)
    baud = baud or board.baud
    clock_hz = board.clock_mhz * 1e6
    divisor = clocks_per_bit or uart_divisor(clock_hz, baud)
    timeout = frame_timeout or max(16 * divisor, round(FRAME_TIMEOUT_S * clock_hz))
    bridge = BoardBridge(meta.top, frame, divisor, timeout,
                         hfosc_div=None if simulation else board.hfosc_div, led_active_low=board.led_active_low)
    _write(out / "board_top.v", board_top_verilog(bridge))
    info = {"board": board.name, "top": TOP, "core_top": meta.top, "kind": meta.kind, "baud": baud,
            "clock_mhz": board.clock_mhz, "clocks_per_bit": divisor, "frame_timeout_cycles": timeout,
            "frame": frame.as_dict(), "core_dir": os.path.relpath(core_dir, out), "core_latency": meta.latency,
            "input_format": meta.input_format,
            # paths relative to this folder, so a build folder can be moved or copied whole
            "files": [os.path.relpath(f, out) for f in meta.file_paths] + ["board_top.v"],
            "netlist_sha256": meta.netlist_sha256, "program": board.program}
    if not simulation:
        name = "board." + {"ice40": "pcf", "ecp5": "lpf", "gowin": "cst"}[board.target]
        _write(out / name, render(f"board_{board.target}.{name.split('.')[1]}.j2", board=board))
        info["constraints"] = name
    _write(out / "board.json", json.dumps(info, indent=2) + "\n")
    return info


def build_board(core_dir: str | Path, out_dir: str | Path, board: Board, config: SynthConfig | None = None,
                baud: int | None = None) -> dict:
    """Bridge + core for ``board``: synthesis, place-and-route at the board clock, bitstream."""
    out = Path(out_dir).resolve()
    config = config or SynthConfig()
    if config.target != board.target or (config.device and config.device != board.device):
        raise LgnError(f"board {board.name} is {board.target} {board.device}; "
                       f"got --target {config.target} --device {config.device}")
    info = write_board_top(core_dir, out, board, baud=baud)
    design = Design(files=tuple(out / f for f in info["files"]),
                    top=TOP, core_top=info["core_top"], constraints=out / info["constraints"], name=TOP,
                    extra={"uart": {"baud": info["baud"], "clocks_per_bit": info["clocks_per_bit"]},
                           "clock_source": f"the {board.name} board clock"})
    cfg = dataclasses.replace(config, device=board.device, package=board.package, clock_mhz=board.clock_mhz,
                              pnr=True, bitstream=True)
    rep = synthesize(design, out, cfg, board=board.name)
    info["bitstream"] = rep["bitstream"]
    _write(out / "board.json", json.dumps(info, indent=2) + "\n")
    return rep
