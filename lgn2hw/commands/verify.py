# SPDX-License-Identifier: MIT
"""`lgn2hw verify`: run the cocotb bench on an emitted core (compiling a checkpoint first)."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click
from rich.console import Console

from ..errors import LgnError

SIM_CHOICE = click.Choice(["icarus", "verilator"])


def checkpoint_data(data: dict | None) -> dict | None:
    """The samples a checkpoint carries, if they are usable as vectors."""
    return {k: v for k, v in data.items() if k in ("X", "bits")} if data and ("X" in data or "bits" in data) else None


def run_and_report(console: Console, out_dir, simulator: str, vectors: int = 1000, data: dict | None = None,
                   seed: int = 0, build_dir=None, as_json: bool = False):
    """Verify ``out_dir``, print the outcome; LgnError (exit 1) on any mismatch."""
    from ..verify import describe, verify

    with console.status(f"verifying {out_dir} on {simulator} (build + run)"):
        res = verify(out_dir, simulator, vectors=vectors, data=data, seed=seed, build_dir=build_dir)
    if as_json:
        click.echo(json.dumps(res.to_dict(), indent=2))
    else:
        style = "green" if res.ok else "red"
        console.print(f"[bold {style}]{'PASS' if res.ok else 'FAIL'}[/bold {style}] bit-exact check of {out_dir}")
        for line in describe(res):
            console.print(line, highlight=False, markup=False)
    if not res.ok:
        why = (f"{res.mismatches} of {res.vectors} vectors mismatched" if res.mismatches else
               "; ".join(res.protocol_errors[:2]) or
               f"measured latency {res.measured_latency}, metadata.json declares {res.latency}")
        raise LgnError(f"verification failed on {simulator}: {why}" + (f" (waves: {res.waves})" if res.waves else ""))
    return res


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
@click.pass_context
def verify_cmd(ctx, target, simulator, vectors, data_path, seed, out_dir, build_dir, as_json):
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
    from ..verify import read_data_file

    console = Console(stderr=as_json)
    data = read_data_file(data_path) if data_path else None
    path = Path(target)
    if path.is_dir():
        core = path
    else:
        from ..frontends import load_model
        from .compile import compile_cmd

        core = Path(out_dir) if out_dir else Path("build") / path.stem
        # with --json, stdout carries only the result: the compile report goes to stderr
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            ctx.invoke(compile_cmd, model=str(path), out_dir=str(core))
        if data is None:
            data = checkpoint_data(load_model(path).data)
    if not (core / "metadata.json").is_file():
        raise LgnError(f"{core}: no metadata.json (not a folder written by `lgn2hw compile`)")
    run_and_report(console, core, simulator, vectors, data, seed, build_dir, as_json)
