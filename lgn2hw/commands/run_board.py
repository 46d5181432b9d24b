# SPDX-License-Identifier: MIT
"""`lgn2hw run-board`: stream vectors to a flashed board over its serial port."""
from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np
from rich.console import Console


@click.command("run-board")
@click.argument("build_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--port", required=True, help="Serial port of the board, e.g. /dev/ttyUSB1 or COM5.")
@click.option("--inputs", "inputs_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help=".npy of input bits [N, inputs] or features [N, F] (default: --random vectors).")
@click.option("--random", "num_random", type=click.IntRange(min=1), default=100, show_default=True,
              help="Number of random input vectors when no --inputs is given.")
@click.option("--baud", type=int, default=None, help="Override the baud rate in board.json.")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Compare every class and sum with the reference simulator.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Write the board's classes and sums to this .npz.")
def run_board(build_dir, port, inputs_path, num_random, baud, check, out_path):
    """Send input vectors to the board built by `lgn2hw compile --board`, print its answers.

    BUILD_DIR is the compile output folder (or its board/ subfolder, holding board.json).

    \b
    Example:
      lgn2hw compile examples/digits.pt --board icebreaker && iceprog build/digits/board/lgn_board.bin
      lgn2hw run-board build/digits --port /dev/ttyUSB1 --random 1000
    """
    from .. import ir
    from ..board import inputs
    from ..board.host import BoardClient, read_board_json
    from ..errors import LgnError

    from ..outputs import check_outputs
    check_outputs({"--out": out_path}, inputs=[inputs_path])
    console = Console()
    bdir = Path(build_dir)
    bdir = bdir / "board" if (bdir / "board" / "board.json").is_file() else bdir
    info = read_board_json(bdir)
    stream = info.get("kind") == "stream"  # a streaming conv core: images, pixel after pixel
    fmt = info["input_format"]
    x = None
    if inputs_path:
        try:
            x = np.load(inputs_path, allow_pickle=False)
        except ValueError as e:
            raise LgnError(f"{inputs_path}: not a numpy .npy array ({e})") from None
    rng = np.random.default_rng(0)
    if stream:
        from .. import conv
        from ..inputs import array_bits
        model = conv.load(bdir / info["core_dir"] / "netlist.npz")
        flat = (array_bits(model.unroll(), x.reshape(len(x), -1)) if x is not None else
                rng.integers(0, 2, size=(num_random, model.num_input_bits), dtype=np.uint8))
        in_bits = inputs.image_pixels(model, flat)
    else:
        nl = ir.load(bdir / info["core_dir"] / "netlist.npz")
        in_bits = (inputs.to_in_data(x, fmt, nl) if x is not None else
                   rng.integers(0, 2, size=(num_random, info["frame"]["in_width"]), dtype=np.uint8))
    t0 = time.perf_counter()
    with BoardClient.open(bdir, port, baud) as board:
        classes, sums = board.run(in_bits)
    secs = time.perf_counter() - t0
    console.print(f"{len(classes)} vectors in {secs:.2f} s ({len(classes) / secs:.0f} vectors/s) over {port}")
    console.print(f"classes: {np.bincount(classes, minlength=info['frame']['classes']).tolist()} (count per class)")
    if out_path:
        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, classes=classes, sums=sums)
        ir.atomic_write(out_path, write)
    if check:
        ref = inputs.stream_reference(model, in_bits) if stream else inputs.reference(nl, fmt, in_bits)
        bad = np.flatnonzero((ref.classes != classes) | np.any(ref.group_sums != sums, axis=1))
        if bad.size:
            i = int(bad[0])
            raise LgnError(f"{bad.size} of {len(classes)} vectors differ from the reference; first: vector {i}, "
                           f"board class {classes[i]} sums {sums[i].tolist()}, expected class {ref.classes[i]} "
                           f"sums {ref.group_sums[i].tolist()}")
        console.print("[green]all classes and sums match the reference simulator[/green]")
