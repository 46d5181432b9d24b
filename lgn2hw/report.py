# SPDX-License-Identifier: MIT
"""The pass report: JSON document, rich table, plot of gates per pass.

Schema (``lgn2hw-pass-report`` version 1; see docs/report-schema.md)::

    {"format": "lgn2hw-pass-report", "version": 1,
     "model": str, "pipeline": str,
     "initial": gate_counts, "final": gate_counts,
     "seconds": float,                     # all passes
     "passes": [ {"name", "options", "exact", "round", "changed", "seconds",
                  "before": gate_counts, "after": gate_counts, "counters": {...}}, ... ]}

    gate_counts = {"gates", "logic_gates", "wires", "inverters", "constants", "depth",
                   "by_level": [int, ...]}   # lgn2hw.analysis.gate_counts
"""
from __future__ import annotations

import json

from . import analysis
from .errors import LgnError
from .ir import Netlist, atomic_write

FORMAT = "lgn2hw-pass-report"
VERSION = 1


def make_report(initial: Netlist, final: Netlist, reports, pipeline: str, model: str = "") -> dict:
    passes = [r.to_dict() for r in reports]
    return {"format": FORMAT, "version": VERSION, "model": str(model), "pipeline": pipeline,
            "initial": analysis.gate_counts(initial), "final": analysis.gate_counts(final),
            "seconds": round(sum(p["seconds"] for p in passes), 6), "passes": passes}


def write_report(doc: dict, path) -> None:
    def write(tmp):
        with open(tmp, "w") as fh:
            json.dump(doc, fh, indent=2, default=float)
            fh.write("\n")
    atomic_write(path, write)


def read_report(path) -> dict:
    try:
        with open(path) as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise LgnError(f"{path}: no such file") from None
    except json.JSONDecodeError as e:
        raise LgnError(f"{path}: not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LgnError(f"{path}: not an lgn2hw pass report (expected \"format\": \"{FORMAT}\")")
    if not isinstance(doc.get("passes"), list) or not isinstance(doc.get("final"), dict):
        raise LgnError(f"{path}: report needs a 'passes' list and a 'final' object")
    return doc


def _counter_text(counters: dict) -> str:
    keep = {k: v for k, v in counters.items() if v and k not in ("sim_seconds", "sat_seconds", "patterns")}
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in keep.items())


def pass_table(passes: list[dict], title: str = "passes", counters: bool = True):
    from rich.table import Table

    table = Table(title=title)
    cols = [("#", "right"), ("pass", "left"), ("round", "right"), ("gates", "right"), ("logic", "right"),
            ("inv", "right"), ("depth", "right"), ("seconds", "right")] + [("counters", "left")] * counters
    for col, just in cols:
        table.add_column(col, justify=just, no_wrap=col != "counters")
    for i, p in enumerate(passes, 1):
        b, a = p["before"], p["after"]
        table.add_row(str(i), p["name"], str(p.get("round", 1)), f"{b['gates']:,} → {a['gates']:,}",
                      f"{a['logic_gates']:,}", f"{a['inverters']:,}", f"{a['depth']}", f"{p['seconds']:.3f}",
                      *[_counter_text(p.get("counters", {}))] * counters)
    return table


def print_passes(console, passes: list[dict], title: str = "passes") -> None:
    """The pass table; on a console too narrow for the counters column (under 120 characters)
    the counters follow the table, one line per pass that has any."""
    wide = console.width >= 120
    console.print(pass_table(passes, title, counters=wide))
    if not wide:
        for i, p in enumerate(passes, 1):
            text = _counter_text(p.get("counters", {}))
            if text:
                console.print(f"  {i} {p['name']}: {text}", soft_wrap=False, highlight=False)


def render(doc: dict, console=None) -> None:
    from rich.console import Console

    console = console or Console()
    print_passes(console, doc["passes"], title=f"passes: {doc.get('pipeline', '')}")
    i, f = doc.get("initial", {}), doc["final"]
    console.print(f"final: {f['gates']:,} gates ({f['logic_gates']:,} logic, {f['inverters']:,} inverters), "
                  f"depth {f['depth']}" + (f"; from {i['gates']:,} gates, depth {i['depth']}" if i else "")
                  + f"; {doc.get('seconds', 0):.2f} s")


def plot(doc: dict, path) -> None:
    """PNG: gates and logic gates after each pass."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    passes = doc["passes"]
    labels = ["input"] + [f"{p['name']}" + (f" ({p['round']})" if p.get("round", 1) > 1 else "") for p in passes]
    first = passes[0]["before"] if passes else doc["final"]
    gates = [first["gates"]] + [p["after"]["gates"] for p in passes]
    logic = [first["logic_gates"]] + [p["after"]["logic_gates"] for p in passes]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels)), 4))
    ax.plot(range(len(labels)), gates, marker="o", label="gates")
    ax.plot(range(len(labels)), logic, marker="s", label="logic gates")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_ylabel("gates")
    ax.set_title(f"gates per pass: {doc.get('model', '')}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()

    def write(tmp):
        fig.savefig(tmp, format="png", dpi=100)
    atomic_write(path, write)
    plt.close(fig)
