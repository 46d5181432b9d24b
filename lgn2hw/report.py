# SPDX-License-Identifier: MIT
"""The pass report: JSON document and plot of gates per pass (the CLI's tables: commands/_ui.py).

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
