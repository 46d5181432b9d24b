# SPDX-License-Identifier: MIT
"""`lgn2hw compile`: import -> passes -> RTL -> (verify) -> (synthesis).

Each stage lives in its own module and is imported when reached (z3, amaranth and cocotb load slowly).
"""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from .. import analysis, ir
from ..frontends import load_model
from ..backend.options import rtl_options
from ..synth.options import synth_options
from .inspect import FORMAT_CHOICE, import_options


@click.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: build/<model name>).")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the input format.")
@click.option("--target", type=click.Choice(["none", "ice40", "ecp5"]), default="none",
              help="Synthesize for this FPGA family after emitting RTL.")
@click.option("--verify", "verify_sim", type=click.Choice(["icarus", "verilator"]), default=None,
              is_flag=False, flag_value="icarus",
              help="After emitting RTL, check it bit-exactly in a simulator (alone: icarus; see `lgn2hw verify`).")
@click.option("--passes", default=None,
              help="Optimization pipeline (default: the exact pipeline; 'none' skips optimization).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Pass report JSON (default: <out>/report.json).")
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="npz with 'bits' or 'X' (and 'y') for data-driven passes (default: the checkpoint's samples).")
@click.option("--verify-passes", is_flag=True, help="Re-simulate after every exact pass and name the first that changed the function.")
@import_options
@rtl_options
@synth_options
def compile_cmd(model, out_dir, fmt, target, import_opts, rtl_opts, synth_opts, verify_sim=None, passes=None,
                report_path=None, data_path=None, verify_passes=False):
    """Compile a trained LGN checkpoint into an optimized netlist and hardware.

    \b
    Example:
      lgn2hw compile examples/digits.pt --target ice40
      lgn2hw compile examples/digits.pt --verify verilator
      lgn2hw compile examples/digits.pt --target ice40 --device hx8k --clock 100
      lgn2hw compile examples/digits.pt --board icebreaker
    """
    console = Console()
    out = Path(out_dir) if out_dir else Path("build") / Path(model).stem
    imp = load_model(model, fmt, **import_opts)
    nl = imp.netlist
    counts = analysis.gate_counts(nl)
    console.print(f"imported {model} ({imp.format}): {nl.num_inputs} inputs, {counts['gates']} gates "
                  f"({counts['logic_gates']} logic), depth {counts['depth']}, {nl.num_classes} classes")
    from ..passes import DEFAULT_PIPELINE
    from .opt import run_passes
    nl, _ = run_passes(imp, passes or DEFAULT_PIPELINE, data_path, verify_passes,
                       report_path or out / "report.json", model, console)
    ir.save(nl, out / "netlist.npz")
    console.print(f"wrote {out / 'netlist.npz'}")
    from ..backend.stage import rtl_stage
    rtl_stage(console, nl, out, rtl_opts)
    if verify_sim:
        from .verify import checkpoint_data, run_and_report
        run_and_report(console, out, verify_sim, data=checkpoint_data(imp.data))
    from ..synth.stage import synth_stage
    synth_stage(console, out, target, synth_opts)
