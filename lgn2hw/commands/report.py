# SPDX-License-Identifier: MIT
"""`lgn2hw report`: re-render a pass report JSON and plot gates per pass."""
from __future__ import annotations

import click


@click.command()
@click.argument("report_json", type=click.Path(dir_okay=False))
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write a PNG of gates per pass.")
def report(report_json, plot_path):
    """Show a pass report (from `lgn2hw opt/compile --report`) as a table.

    \b
    Example:
      lgn2hw report build/digits/report.json --plot gates.png
    """
    from .. import report as rep

    doc = rep.read_report(report_json)
    rep.render(doc)
    if plot_path:
        rep.plot(doc, plot_path)
        click.echo(f"wrote {plot_path}")
