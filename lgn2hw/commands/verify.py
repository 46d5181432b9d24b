# SPDX-License-Identifier: MIT
"""`lgn2hw verify`: run the cocotb bench on an emitted core (compiling a checkpoint first)."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click
from rich.console import Console

SIM_CHOICE = click.Choice(["icarus", "verilator"])


@click.command("verify")
@click.argument("target", type=click.Path(exists=True))
@click.option("--sim", "simulator", type=SIM_CHOICE, default="icarus", show_default=True,
              help="HDL simulator (Verilator builds take longer and run ~100x faster).")
@click.option("--vectors", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Random vectors; corner cases and dataset samples are added.")
@click.option("--data", "data_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="npz with 'X' (features) or 'bits' (input bits) to use as vectors "
                   "(default: the samples stored in the checkpoint, if any).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random vectors and bubbles.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Where to compile a checkpoint (default: build/<model name>).")
@click.option("--build-dir", type=click.Path(file_okay=False), default=None,
              help="Simulator build folder (default: <core>/sim_build/<sim>).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_cmd(target, simulator, vectors, data_path, seed, out_dir, build_dir, as_json):
    """Check an emitted core bit-exactly against the reference simulator, in Icarus or Verilator.

    TARGET is a folder written by `lgn2hw compile` (metadata.json, Verilog, netlist.npz) or a
    checkpoint / netlist, which is first compiled with the default settings (to verify other
    settings, use `lgn2hw compile ... --verify`). Every vector is streamed one per clock and
    again with idle cycles; every group sum and the class must match, at the declared latency.
    Exits non-zero on any mismatch or when the simulator is missing.

    \b
    Example:
      lgn2hw verify examples/digits.pt --sim verilator --vectors 5000
      lgn2hw verify build/digits --sim icarus --data samples.npz
    """
    from .. import api
    from ..verify import VerificationFailed, read_data_file, verify
    from ._ui import CompileDisplay, show_verify

    console = Console(stderr=as_json)
    data = read_data_file(data_path) if data_path else None
    path = Path(target)
    core = path
    if not path.is_dir():
        core = Path(out_dir) if out_dir else Path("build") / path.stem
        # with --json, stdout carries only the result: the compile report goes to stderr
        show = CompileDisplay(Console(stderr=as_json), str(path), core, core / "report.json")
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext(), \
                show.running(f"compiling {path}"):
            compiled = api.compile(path, core, progress=show.progress, on_step=show.on_step)
        if data is None:
            data = api.checkpoint_vectors(compiled.model)
    from ..progress import status as progress_status
    with progress_status(console, f"verifying {core} on {simulator} (build + run)"):
        res = verify(core, simulator, vectors=vectors, data=data, seed=seed, build_dir=build_dir)
    show_verify(console, res, core, as_json)
    if not res.ok:
        raise VerificationFailed(res)
