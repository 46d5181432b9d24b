# SPDX-License-Identifier: MIT
"""The synthesis stage of ``lgn2hw compile`` / ``lgn2hw synth``: out-of-context or board build."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from ..errors import LgnError
from .flow import SynthConfig, ooc_design, synthesize
from .report import render_table, summary_line

DEFAULT_CLOCK_MHZ = 100.0


def synth_stage(console: Console, core_dir: str | Path, target: str, opts: dict) -> dict | None:
    """Synthesize the core in ``core_dir`` (its metadata.json); None when nothing was asked."""
    core_dir = Path(core_dir)
    board = opts.get("board")
    if target == "none" and not board:
        for flag, key in (("--device", "device"), ("--clock", "clock_mhz"), ("--synth-opts", "synth_opts"),
                          ("--pnr-opts", "pnr_opts")):
            if opts.get(key):
                raise LgnError(f"{flag} needs --target ice40|ecp5 or --board")
        return None
    common = dict(device=opts.get("device"), package=opts.get("package"), seed=opts.get("seed"),
                  synth_opts=opts.get("synth_opts"), pnr_opts=opts.get("pnr_opts"),
                  timeout_s=opts.get("tool_timeout"))
    if board:
        from ..board.boards import load_board
        from ..board.build import build_board
        b = load_board(board)
        if target not in ("none", b.target):
            raise LgnError(f"--board {b.name} is an {b.target} board; got --target {target}")
        if opts.get("clock_mhz") and opts["clock_mhz"] != b.clock_mhz:
            raise LgnError(f"--board {b.name} runs at its {b.clock_mhz:g} MHz clock; --clock applies to "
                           f"out-of-context builds only")
        if opts.get("device") and opts["device"] != b.device:
            raise LgnError(f"--board {b.name} has a {b.device} device; got --device {opts['device']}")
        work = core_dir / "board"
        with console.status(f"building for {b.description}: yosys, nextpnr, bitstream"):
            rep = build_board(core_dir, work, b, SynthConfig(target=b.target, **common))
    else:
        work = core_dir / "synth"
        cfg = SynthConfig(target=target, clock_mhz=opts.get("clock_mhz") or DEFAULT_CLOCK_MHZ,
                          pnr=opts.get("pnr", True), **common)
        with console.status(f"synthesizing for {target} ({'yosys + nextpnr' if cfg.pnr else 'yosys'})"):
            rep = synthesize(ooc_design(core_dir, work), work, cfg)
    console.print(render_table(rep))
    console.print(summary_line(rep))
    console.print(f"wrote {work / 'synth.json'}" + (f" and {work / rep['bitstream']}" if rep.get("bitstream") else ""))
    if board and rep.get("bitstream"):
        from ..board.boards import load_board
        prog = load_board(board).program
        if prog:
            console.print(f"flash it: {prog.format(bitstream=work / rep['bitstream'])}; then "
                          f"lgn2hw run-board {core_dir} --port <serial port>")
    return rep
