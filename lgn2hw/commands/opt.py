# SPDX-License-Identifier: MIT
"""`lgn2hw opt`: import + optimization passes only; saves the netlist and the pass report."""
from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from .. import ir
from ..errors import LgnError
from ..frontends import load_model
from .inspect import FORMAT_CHOICE


def pass_data(data_path, imported):
    """PassData from ``--data`` (npz with 'bits' or 'X', optional 'y') or the checkpoint's samples."""
    from ..passes import PassData
    from .predict import read_inputs

    nl = imported.netlist
    if data_path:
        bits, y = read_inputs(data_path, nl)
        return PassData(bits, y)
    data = imported.data or {}
    if "bits" in data or "X" in data:
        if "bits" in data:
            bits = np.asarray(data["bits"]).astype(np.uint8)
        elif nl.encoder is not None:
            bits = nl.encoder.encode(np.asarray(data["X"], np.float64))
        else:
            return None
        if bits.ndim != 2 or bits.shape[1] != nl.num_inputs:
            raise LgnError(f"the checkpoint's samples have shape {list(bits.shape)}, expected [N, {nl.num_inputs}]")
        y = np.asarray(data["y"]) if "y" in data else None
        return PassData(bits, y)
    return None


def run_passes(imported, passes: str, data_path, verify: bool, report_path, model: str, console):
    """Shared by opt and compile: run the pipeline, print one row per pass, write the report."""
    from ..passes import run_pipeline
    from ..report import make_report, print_passes, write_report

    data = pass_data(data_path, imported)
    nl0 = imported.netlist
    nl, reports = run_pipeline(nl0, passes, data=data, verify=verify)
    doc = make_report(nl0, nl, reports, passes, model)
    if reports:
        print_passes(console, doc["passes"], title=f"passes: {passes}")
    if report_path:
        write_report(doc, report_path)
        console.print(f"wrote {report_path}")
    return nl, doc


PASSES_HELP = ("Pass pipeline, e.g. 'const-fold,strash,sat-sweep{conflict-limit=2000},dce' "
               "('none' to skip; default: the exact pipeline).")


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
def opt(model, out_path, passes, report_path, data_path, verify, fmt):
    """Import a model, run optimization passes and save the netlist.

    \b
    Example:
      lgn2hw opt examples/digits.pt -o digits.opt.npz --report report.json
      lgn2hw opt model.pt -o m.npz --passes "const-fold,greedy-prune{threshold=0.98},dce" --data train.npz
    """
    from rich.console import Console

    from ..passes import DEFAULT_PIPELINE

    console = Console()
    imported = load_model(model, fmt)
    nl, doc = run_passes(imported, passes or DEFAULT_PIPELINE, data_path, verify, report_path, model, console)
    ir.save(nl, out_path)
    f = doc["final"]
    console.print(f"wrote {out_path}: {f['gates']:,} gates ({f['logic_gates']:,} logic), depth {f['depth']}")
    if Path(out_path).suffix != ".npz":
        console.print("note: the netlist is an .npz file whatever its name")
