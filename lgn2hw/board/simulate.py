# SPDX-License-Identifier: MIT
"""Simulate a whole board top (UART bridge + core) with cocotb: ``sim/board/board_tb.py``.

The UART runs at ``clocks_per_bit`` clock cycles per bit (a real board uses ~100) so a
simulation of a few dozen vectors takes seconds on Icarus.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..errors import LgnError, ToolError
from ..resources import data_dir
from .boards import Board, load_board
from .build import write_board_top

SIM_DIR = data_dir("sim") / "board"
TIMESCALE = ("1ns", "1ps")  # Amaranth emits no `timescale


def simulate_board(core_dir: str | Path, work_dir: str | Path, in_bits: np.ndarray, board: Board | str = "icebreaker",
                   clocks_per_bit: int = 4, simulator: str = "icarus", testcase: str | None = None) -> dict:
    """Run the board testbench; returns {test name: {vectors, mismatches, first_mismatch, ...}}."""
    from cocotb_tools.runner import get_runner

    board = load_board(board) if isinstance(board, str) else board
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    info = write_board_top(core_dir, work, board, clocks_per_bit=clocks_per_bit,
                           frame_timeout=30 * clocks_per_bit, simulation=True)
    vectors = work / "vectors.npy"
    np.save(vectors, np.asarray(in_bits, dtype=np.uint8))
    result = work / "result.json"
    result.unlink(missing_ok=True)
    runner = get_runner(simulator)
    build = work / f"build_{simulator}"
    try:
        runner.build(sources=[work / f for f in info["files"]],
                     hdl_toplevel=info["top"], build_dir=build, timescale=TIMESCALE,
                     log_file=build / "build.log", always=True)
    except (RuntimeError, SystemExit) as e:
        raise ToolError(f"{simulator} could not build the board top ({e}); see {build / 'build.log'}") from None
    env = {"LGN2HW_BOARD_JSON": str(work / "board.json"), "LGN2HW_VECTORS": str(vectors),
           "LGN2HW_RESULT": str(result)}
    # cocotb's runner hands the simulator's Python this process's sys.path as PYTHONPATH
    # (overriding extra_env), so the testbench folder joins sys.path for the call only.
    added = [p for p in (str(SIM_DIR), str(SIM_DIR.parents[1])) if p not in sys.path]
    sys.path[:0] = added
    try:
        runner.test(test_module="board_tb", hdl_toplevel=info["top"], build_dir=build, test_dir=work,
                    testcase=testcase, timescale=TIMESCALE, extra_env=env, log_file=work / "sim.log",
                    results_xml=str(work / "results.xml"))
    except (RuntimeError, SystemExit):
        pass  # failing tests still write their JSON; a crash shows up as a missing result
    finally:
        for p in added:
            sys.path.remove(p)
    if not result.is_file():
        raise LgnError(f"board simulation wrote no result (simulator crash?); see {work / 'sim.log'}")
    return json.loads(result.read_text())
