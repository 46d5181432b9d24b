# SPDX-License-Identifier: MIT
"""`lgn2hw opt`: import + optimization passes only (``lgn2hw.optimize``); saves the netlist and the pass report."""
from __future__ import annotations

from pathlib import Path

import click

from .options import FORMAT_CHOICE, PASSES_HELP


@click.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Netlist .npz to write (predict, inspect and compile accept it).")
@click.option("--passes", default=None, help=PASSES_HELP)
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Pass report JSON (docs/report-schema.md).")
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="npz with 'bits' or 'X' (and 'y') for data-driven passes and sat-sweep patterns.")
@click.option("--verify", is_flag=True, help="Re-simulate after every exact pass; name the first that changed the function.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the input format.")
@click.option("--unroll", is_flag=True,
              help="Conv model: run the passes on its unrolled flat netlist and write that (default: keep the "
                   "stages; exact passes per kernel, data-driven ones on the dense head).")
def opt(model, out_path, passes, report_path, data_path, verify, fmt, unroll):
    """Import a model, run optimization passes and save the netlist.

    \b
    Example:
      lgn2hw opt examples/digits.pt -o digits.opt.npz --report report.json
      lgn2hw opt model.pt -o m.npz --passes "const-fold,greedy-prune{threshold=0.98},dce" --data train.npz

    A conv model keeps its stages (a conv netlist file): the exact passes run on every
    kernel and the head, data-driven passes on the head, fed by the conv stages.
    """
    from rich.console import Console

    from .. import api, conv, ir
    from ..report import write_report
    from ._ui import show_passes

    from ..outputs import check_outputs
    check_outputs({"--out": out_path, "--report": report_path}, inputs=[model, data_path])
    console = Console()
    imp = api.load(model, fmt)
    if imp.conv is not None and not unroll:
        new, res = api.optimize_conv(imp, passes, verify, data_path)
    else:
        new, res = None, api.optimize(imp, passes, data_path, verify)
    doc = {**res.report, "model": str(model)}
    if report_path:
        write_report(doc, report_path)
    show_passes(console, res, report_path)
    if new is not None:
        conv.save(new, out_path)
        g = new.gate_counts()
        console.print(f"wrote {out_path}: conv model, {g['shared']:,} gates shared ({g['unrolled']:,} unrolled)")
    else:
        ir.save(res.netlist, out_path)
        f = doc["final"]
        console.print(f"wrote {out_path}: {f['gates']:,} gates ({f['logic_gates']:,} logic), depth {f['depth']}")
    if Path(out_path).suffix != ".npz":
        console.print("note: the netlist is an .npz file whatever its name")
