# SPDX-License-Identifier: MIT
"""`lgn2hw report`: re-render a pass report JSON and plot gates per pass."""
from __future__ import annotations

import click


@click.command()
@click.argument("report_json", type=click.Path())
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write a PNG of gates per pass.")
def report(report_json, plot_path):
    """Show a pass report (from `lgn2hw opt/compile --report`) as a table.

    REPORT_JSON may also be a synth.json or a compile output folder: its pass report,
    synth/synth.json and board/synth.json are shown together.

    \b
    Example:
      lgn2hw report build/digits/report.json --plot gates.png
      lgn2hw report build/digits
    """
    from pathlib import Path

    from .. import report as rep
    from ..outputs import check_outputs
    from ..synth.report import find_synth_reports
    from ._ui import render_pass_report, render_synth_report

    path = Path(report_json)
    synth_docs = find_synth_reports(path)
    pass_json = path / "report.json" if path.is_dir() else path
    show_passes = not synth_docs or (pass_json.is_file() and not path.is_file())
    doc = rep.read_report(pass_json) if show_passes else None
    # the model the report describes counts as an input: `--plot m.pt` used to replace it with a PNG
    model = doc.get("model") if isinstance(doc, dict) and isinstance(doc.get("model"), str) else None
    check_outputs({"--plot": plot_path}, inputs=[path, pass_json, model, *(p for p, _ in synth_docs)])
    if show_passes:
        render_pass_report(doc)
        if plot_path:
            rep.plot(doc, plot_path)
            click.echo(f"wrote {plot_path}")
    for synth_path, synth_doc in synth_docs:
        render_synth_report(synth_path, synth_doc)
