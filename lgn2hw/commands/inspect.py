# SPDX-License-Identifier: MIT
from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from .. import analysis
from ..frontends import load_model
from .options import FORMAT_CHOICE, import_options

@click.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the input format (default: detect).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@import_options
def inspect(model, fmt, as_json, import_opts):
    """Show a model's inputs, layers, gate counts by kind, classes and source format.

    \b
    Example:
      lgn2hw inspect examples/digits.pt
      lgn2hw inspect dwn_state_dict.pt --classes 10 --tau 3.33
    """
    imp = load_model(model, fmt, **import_opts)
    nl = imp.netlist
    info = analysis.summary(nl)
    info["format"] = imp.format
    info["ops"] = analysis.op_histogram(nl)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    console = Console()
    console.print(f"[bold]{model}[/bold]  format: [cyan]{imp.format}[/cyan]")
    enc = f", thermometer encoder {info['encoder'][0]} features x {info['encoder'][1]} thresholds" if info["encoder"] else ""
    console.print(f"inputs: {nl.num_inputs} bits{enc}")
    console.print(f"classes: {nl.num_classes} (GroupSum of {nl.group_size} bits each, tau={nl.tau:g}); "
                  f"node arity: {nl.arity}")
    table = Table(title="gates per level")
    for col in ("level", "gates", "logic", "wire", "inverter", "constant"):
        table.add_column(col, justify="right")
    kinds = nl.kinds()
    ptr = nl.level_ptr
    for lvl in range(1, nl.depth + 1):
        k = kinds[ptr[lvl - 1]:ptr[lvl]]
        table.add_row(str(lvl), str(k.size), *(str(int((k == i).sum())) for i in (3, 1, 2, 0)))
    table.add_row("total", str(info["gates"]), str(info["logic_gates"]), str(info["wires"]),
                  str(info["inverters"]), str(info["constants"]), style="bold")
    console.print(table)
