# SPDX-License-Identifier: MIT
"""Synthesis reports: yosys ``stat -json`` and nextpnr ``--report`` JSON -> one dict, a summary line.

Pure functions over the tools' JSON; the flow (flow.py) runs the tools and calls these.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import LgnError
from .devices import Family


def cell_counts(cells_by_type: dict, family: Family) -> dict:
    """Resource counts from one module's yosys cell histogram (names without yosys's backslash)."""
    out = {kind: 0 for kind in family.cells}
    for cell, n in cells_by_type.items():
        name = cell.lstrip("\\")
        for kind, prefixes in family.cells.items():
            if name.startswith(prefixes):
                out[kind] += int(n)
                break
    if family.name == "xilinx":  # instantiated dual-output LUTs (lut6c): one LUT6 site each, in "lut" too
        out["lut6_2"] = sum(int(n) for cell, n in cells_by_type.items() if cell.lstrip("\\") == "LUT6_2")
    return out


def parse_yosys_stat(path: str | Path, family: Family, top: str, core_top: str | None) -> dict:
    """{"design": counts of the whole flattened design, "core": counts of ``core_top`` alone}."""
    try:
        stat = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise LgnError(f"{path}: cannot read the yosys statistics ({e})") from None
    modules = {name.lstrip("\\"): m for name, m in stat.get("modules", {}).items()}
    design = stat.get("design") or modules.get(top)
    if design is None:
        raise LgnError(f"{path}: no statistics for the design or module {top!r}")
    out = {"design": cell_counts(design.get("num_cells_by_type", {}), family)}
    core = modules.get(core_top) if core_top else None
    out["core"] = cell_counts(core.get("num_cells_by_type", {}), family) if core else dict(out["design"])
    return out


def min_logic_cells(counts: dict, family: Family) -> int:
    """A lower bound on the logic cells place-and-route needs (for the early does-not-fit check)."""
    if family.name == "ice40":  # an LC holds one LUT4, one carry and one FF
        return max(counts["lut"], counts["carry"], counts["ff"])
    if family.name == "xilinx":  # a LUT6 each (carry cells sit beside the LUTs)
        return counts["lut"]
    if family.name == "gowin":  # an ALU takes the LUT4 of its slot
        return counts["lut"] + counts["carry"]
    # a CCU2C takes two LUT slots of an ECP5 slice, a TRELLIS_DPR16X4 (16 x 4 bits) at least four
    return counts["lut"] + 2 * counts["carry"] + 4 * counts["lutram"]


def _critical_path(report: dict) -> dict | None:
    paths = report.get("critical_paths") or []
    if not paths:
        return None
    # nextpnr lists one path per clock pair; the slowest is the one that sets Fmax
    best = max(paths, key=lambda p: sum(s.get("delay", 0.0) for s in p.get("path", [])))
    segs = best.get("path", [])
    logic = [s for s in segs if s.get("type") == "logic"]
    routing = [s for s in segs if s.get("type") == "routing"]
    cell = lambda s, end: (s.get(end) or {}).get("cell", "?")  # noqa: E731
    return {
        "from": cell(segs[0], "from") if segs else best.get("from"),
        "to": cell(segs[-1], "to") if segs else best.get("to"),
        "delay_ns": round(sum(s.get("delay", 0.0) for s in segs), 3),
        "logic_ns": round(sum(s.get("delay", 0.0) for s in logic), 3),
        "routing_ns": round(sum(s.get("delay", 0.0) for s in routing), 3),
        "cells": len(logic),  # cell delays on the path (LUTs, carries)
    }


def parse_nextpnr_report(path: str | Path, family: Family, clock_mhz: float) -> dict:
    """Utilization per resource, Fmax against the requested clock and the critical path."""
    try:
        rep = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise LgnError(f"{path}: cannot read the nextpnr report ({e})") from None
    util = rep.get("utilization", {})
    used = {}
    for kind, bel in family.bels.items():
        u = util.get(bel)
        if u:
            used[kind] = {"used": int(u["used"]), "available": int(u["available"]),
                          "percent": round(100.0 * u["used"] / max(1, u["available"]), 1)}
    fmax = rep.get("fmax", {})
    achieved = min((v["achieved"] for v in fmax.values()), default=None)
    timing = {"requested_mhz": clock_mhz,
              "fmax_mhz": round(achieved, 2) if achieved is not None else None,
              "met": achieved is not None and achieved >= clock_mhz,
              "clocks": {k: round(v["achieved"], 2) for k, v in fmax.items()}}
    return {"utilization": used, "timing": timing, "critical_path": _critical_path(rep)}


def summary_line(rep: dict) -> str:
    """One line: the core's LUT/FF counts, utilization and Fmax."""
    core = rep["resources"]["core"]
    parts = [f"{rep['target']} {rep['device']['name']}: core {core['lut']:,} {rep['device'].get('lut', 'LUT4')}, "
             f"{core['ff']:,} FF, {core['carry']:,} carry"]
    if rep.get("estimate"):
        parts.append("yosys estimate, no place-and-route")
    pnr = rep.get("pnr")
    if pnr:
        logic = pnr["utilization"].get("logic")
        if logic:
            parts.append(f"{logic['percent']:g}% of logic")
        t = pnr["timing"]
        source = f", {rep['clock_source']}" if rep.get("clock_source") else ""
        parts.append(f"Fmax {t['fmax_mhz']} MHz (requested {t['requested_mhz']:g} MHz{source}: "
                     f"{'met' if t['met'] else 'NOT met'})")
    return ", ".join(parts)


def is_synth_report(doc) -> bool:
    return isinstance(doc, dict) and "resources" in doc and "target" in doc and "device" in doc


def find_synth_reports(path: str | Path) -> list[tuple[Path, dict]]:
    """synth.json documents at ``path``: the file itself, or a compile folder's synth/ and board/."""
    path = Path(path)
    candidates = [path] if path.is_file() else [path / "synth.json", path / "synth" / "synth.json",
                                                 path / "board" / "synth.json"]
    found = []
    for p in candidates:
        try:
            doc = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if is_synth_report(doc):
            found.append((p, doc))
    return found
