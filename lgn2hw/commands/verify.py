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
              help="Where to compile a checkpoint (default: build/<model name>-verify, so a build made "
                   "by `lgn2hw compile` with other settings is never overwritten).")
@click.option("--build-dir", type=click.Path(file_okay=False), default=None,
              help="Simulator build folder (default: <core>/sim_build/<sim>).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_cmd(target, simulator, vectors, data_path, seed, out_dir, build_dir, as_json):
    """Check an emitted core bit-exactly against the reference simulator, in Icarus or Verilator.

    TARGET is a folder written by `lgn2hw compile` (metadata.json, Verilog, netlist.npz) or a
    checkpoint / netlist, which is first compiled with the default settings into a folder of its
    own, build/<model name>-verify (to verify other settings, use `lgn2hw compile ... --verify`
    or verify the compile folder; an --out that holds a build made with other settings is refused). Every vector is streamed one per clock and
    again with idle cycles; every group sum and the class must match, at the declared latency.
    Exits non-zero on any mismatch or when the simulator is missing.

    \b
    Example:
      lgn2hw verify examples/digits.pt --sim verilator --vectors 5000
      lgn2hw verify build/digits --sim icarus --data samples.npz
    """
    from .. import api
    from ..outputs import check_folder_writable
    from ..verify import VerificationFailed, read_data_file, verify
    from ._ui import CompileDisplay, show_verify

    console = Console(stderr=as_json)
    data = read_data_file(data_path) if data_path else None
    path = Path(target)
    core = path if path.is_dir() else Path(out_dir) if out_dir else Path("build") / f"{path.stem}-verify"
    if not path.is_dir():
        check_rebuild(core)
    # before a compile or a simulator build, not after it
    check_folder_writable(build_dir or core, f"--build-dir {build_dir}" if build_dir else
                          str(core) if path.is_dir() else f"--out {core}")
    if not path.is_dir():
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


def check_rebuild(core: Path) -> None:
    """``core`` may take a build with the default settings: it holds none, or one made so.
    (``verify MODEL`` used to recompile over a ``--pipeline-every 3`` build without a word.)"""
    from ..backend.options import EmitOptions
    from ..datafile import load_json
    from ..errors import LgnError
    meta_path = core / "metadata.json"
    if not meta_path.is_file():
        return
    meta = load_json(meta_path, "a compile folder's metadata", "no metadata.json")
    defaults = EmitOptions()
    want = {"top": defaults.top, "pipeline_every": defaults.pipeline_every, "adder_stages": defaults.adder_stages,
            "popcount": defaults.popcount, "fabric": defaults.fabric, "fuse_popcount": defaults.fuse_popcount}
    pipeline = meta.get("pipeline") if isinstance(meta, dict) and isinstance(meta.get("pipeline"), dict) else {}
    have = {"top": meta.get("top") if isinstance(meta, dict) else None, **pipeline}
    differ = [f"{k}={have[k]!r}" for k in want if k in have and have[k] != want[k]]
    fixed = isinstance(meta, dict) and isinstance(meta.get("input_format"), dict) and \
        meta["input_format"].get("kind") not in (None, "bits")
    if fixed:
        differ.append("an on-chip encoder")
    if differ:
        raise LgnError(f"--out {core}: holds a build made with other settings ({', '.join(differ)}); "
                       f"verify that build with `lgn2hw verify {core}`, or give another --out")
