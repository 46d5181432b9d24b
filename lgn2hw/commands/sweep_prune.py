# SPDX-License-Identifier: MIT
"""`lgn2hw sweep-prune`: accuracy vs gate count for greedy-prune and similarity-merge."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from ..ir import atomic_write
from .options import FORMAT_CHOICE

DEFAULT_THRESHOLDS = "0.9,0.95,0.98,0.99,0.995,0.999,1.0"


@click.command("sweep-prune")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="npz with 'bits' or 'X' and 'y' (default: the checkpoint's samples).")
@click.option("--thresholds", default=DEFAULT_THRESHOLDS, show_default=True,
              help="Comma-separated values, used as greedy-prune threshold and similarity-merge rho.")
@click.option("--csv", "csv_path", default="sweep_prune.csv", show_default=True, type=click.Path(dir_okay=False))
@click.option("--plot", "plot_path", default="sweep_prune.png", show_default=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the input format.")
def sweep_prune(model, data_path, thresholds, csv_path, plot_path, fmt):
    """Sweep the data-driven passes' threshold; write a CSV and a PNG of held-out accuracy vs logic gates.

    Each point runs the exact pipeline, then the data-driven pass, then the exact pipeline again.

    \b
    Example:
      lgn2hw sweep-prune examples/digits.pt --data test.npz --plot tradeoff.png
    """
    from .. import api
    from ..errors import LgnError
    from ..outputs import check_outputs
    from ..passes import DEFAULT_PIPELINE, run_pipeline

    check_outputs({"--csv": csv_path, "--plot": plot_path}, inputs=[model, data_path])
    try:
        values = [float(v) for v in thresholds.split(",") if v.strip()]
    except ValueError:
        raise LgnError(f"--thresholds: expected comma-separated numbers, got {thresholds!r}") from None
    if not values:
        raise LgnError(f"--thresholds: expected at least one number, got {thresholds!r}")
    bad = [v for v in values if not 0.0 <= v <= 1.0]
    if bad:
        raise LgnError(f"--thresholds: {bad[0]:g} out of range 0..1 (a fraction of the baseline's accuracy "
                       f"for greedy-prune, a similarity for similarity-merge)")
    imported = api.load(model, fmt)
    data = api.pass_data(imported, data_path)
    if data is None:
        raise LgnError(f"{model}: no samples: give --data samples.npz")
    base, _ = run_pipeline(imported.netlist, DEFAULT_PIPELINE, data=data)
    rows, reps_first = [], None
    for pass_name, opt in (("greedy-prune", "threshold"), ("similarity-merge", "rho")):
        for v in values:
            nl, reps = run_pipeline(base, f"{pass_name}{{{opt}={v}}},{DEFAULT_PIPELINE}", data=data)
            c = reps[0].counters
            reps_first = reps_first or reps
            rows.append({"pass": pass_name, "value": v, "gates": nl.num_nodes,
                         "logic_gates": int(reps[-1].after["logic_gates"]), "depth": nl.depth,
                         "accuracy": c.get("accuracy", ""), "agreement": c["agreement"]})
            click.echo(f"{pass_name}{{{opt}={v}}}: {rows[-1]['logic_gates']} logic gates, "
                       f"held-out accuracy {c.get('accuracy', float('nan')):.4f}, agreement {c['agreement']:.4f}")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write(csv_path, lambda tmp: open(tmp, "w").write(buf.getvalue()))
    metric = "accuracy" if data.y is not None else "agreement"
    first = reps_first[0].counters if reps_first else {}
    base_value = first.get("accuracy_before") if metric == "accuracy" else 1.0
    from .. import analysis
    baseline = (analysis.gate_counts(base)["logic_gates"], base_value) if base_value is not None else None
    _plot(rows, plot_path, metric, title=Path(model).name, baseline=baseline)
    click.echo(f"wrote {csv_path} and {plot_path}")


def _plot(rows, path, metric, title: str = "", baseline: tuple | None = None):
    """Held-out ``metric`` vs logic gates per pass, each point labelled with its threshold; the
    unpruned network (exact pipeline only) as a reference point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, opt, marker in (("greedy-prune", "threshold", "o"), ("similarity-merge", "rho", "s")):
        pts = sorted((r["logic_gates"], r[metric], r["value"]) for r in rows if r["pass"] == name)
        line, = ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, label=f"{name} ({opt})")
        for x, y, v in pts:
            ax.annotate(f"{v:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7,
                        color=line.get_color())
    if baseline is not None:
        ax.plot([baseline[0]], [baseline[1]], marker="*", markersize=12, color="black", linestyle="none",
                label=f"unpruned ({baseline[0]} logic gates)")
        ax.axhline(baseline[1], color="black", linewidth=0.6, linestyle=":")
    ax.set_xlabel("logic gates")
    ax.set_ylabel(f"held-out {metric}")
    ax.set_title(f"{title}: {metric} vs logic gates" if title else f"{metric} vs logic gates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)
