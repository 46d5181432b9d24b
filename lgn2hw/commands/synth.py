# SPDX-License-Identifier: MIT
"""`lgn2hw synth`: synthesize an already emitted RTL folder (no re-import, no re-emit)."""
from __future__ import annotations

import click
from rich.console import Console

from ..synth.options import synth_options


@click.command("synth")
@click.argument("rtl_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--target", type=click.Choice(["ice40", "ecp5", "gowin", "xilinx"]), default=None,
              help="FPGA family (default ice40, or the board's).")
@synth_options
def synth(rtl_dir, target, synth_opts):
    """Synthesize the core in RTL_DIR (written by `lgn2hw compile`) with Yosys and nextpnr.

    Writes RTL_DIR/synth/synth.json (or RTL_DIR/board/ with --board): LUTs, carries, FFs,
    RAM, IO, utilization, Fmax against --clock, critical path, tool versions and times.

    \b
    Example:
      lgn2hw synth build/digits --target ice40 --device hx8k --clock 100
      lgn2hw synth build/digits --board icebreaker
    """
    from .. import api
    from ._ui import show_synth

    console = Console()
    from ..progress import status as progress_status
    with progress_status(console, "synthesizing") as status:
        rep = api.synthesize(rtl_dir, target or ("none" if synth_opts["board"] else "ice40"),
                             progress=status.update, **synth_opts)
    if rep is not None:
        show_synth(console, rtl_dir, rep)
