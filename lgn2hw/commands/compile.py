# SPDX-License-Identifier: MIT
"""`lgn2hw compile`: import -> passes -> RTL -> (verify) -> (synthesis), through ``lgn2hw.compile``."""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ..backend.options import rtl_options
from ..synth.options import synth_options
from ._ui import CompileDisplay
from .options import FORMAT_CHOICE, import_options


@click.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: build/<model name>).")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the input format.")
@click.option("--target", type=click.Choice(["none", "ice40", "ecp5", "gowin", "xilinx"]), default="none",
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
@click.option("--conv", "conv_mode", type=click.Choice(["streaming", "unrolled"]), default=None,
              help="Conv models: the streaming core (default: pixels in, one instance of each kernel) or the "
                   "unrolled netlist through the dense core.")
@click.option("--verify-passes", is_flag=True, help="Re-simulate after every exact pass and name the first that changed the function.")
@import_options
@rtl_options
@synth_options
def compile_cmd(model, out_dir, fmt, target, import_opts, rtl_opts, synth_opts, verify_sim=None, passes=None,
                report_path=None, data_path=None, verify_passes=False, conv_mode=None):
    """Compile a trained LGN checkpoint into an optimized netlist and hardware.

    \b
    Example:
      lgn2hw compile examples/digits.pt --target ice40
      lgn2hw compile examples/digits.pt --verify verilator
      lgn2hw compile examples/digits.pt --target ice40 --device hx8k --clock 100
      lgn2hw compile examples/digits.pt --board icebreaker
      lgn2hw compile examples/digits.pt --target xilinx --device xcvu9p   (yosys LUT6 estimate + Vivado script)
      lgn2hw compile examples/digits.pt --board tangnano9k
      lgn2hw compile examples/mnist_conv.pt --target ice40          (streaming conv core)
      lgn2hw compile examples/mnist_conv.pt --conv unrolled --verify
    """
    from .. import api

    out = Path(out_dir) if out_dir else Path("build") / Path(model).stem
    report = Path(report_path) if report_path else out / "report.json"
    from ..outputs import check_outputs
    check_outputs({"--report": report, "netlist": out / "netlist.npz"}, inputs=[model, data_path])
    show = CompileDisplay(Console(), model, out, report)
    with show.running(f"compiling {model}"):
        api.compile(model, out, format=fmt, import_options=import_opts, passes=passes, rtl=rtl_opts, target=target,
                    verify=verify_sim, synth=synth_opts, data=data_path, report=report,
                    verify_passes=verify_passes, progress=show.progress, on_step=show.on_step, conv=conv_mode)
