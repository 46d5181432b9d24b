#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Synthesis figures: lgn2hw's pipelined core vs a naive behavioural design of the same netlist.

For each model (the shipped example, a random 256 -> 3 x 1,500-gate net) and each device
(iCE40 UP5K, HX8K), both designs go through the same out-of-context flow (yosys synth_ice40
-abc9 -dff, nextpnr at the requested clock) and the script prints LUT4, carry, FF, logic
utilization, Fmax and tool times side by side, with the naive/lgn2hw ratios.

The naive design (lgn2hw.synth.baseline) is what one writes by hand: one assign per gate,
``+`` popcounts, a behavioural argmax, registers only at the inputs and the outputs.

    .venv/bin/python bench/bench_synth.py                 # both models, UP5K and HX8K
    .venv/bin/python bench/bench_synth.py --quick         # the example on HX8K only
    .venv/bin/python bench/bench_synth.py --models random --devices hx8k --pipeline-every 1,2,3
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lgn2hw import analysis  # noqa: E402
from lgn2hw.generate import random_layered  # noqa: E402
from lgn2hw.synth import DoesNotFit, SynthConfig, ooc_design, synthesize  # noqa: E402
from lgn2hw.synth.baseline import write_baseline_core  # noqa: E402


def models(names: list[str]):
    from lgn2hw.frontends import load_model
    example = REPO / "examples" / "digits.pt"
    if "example" in names and example.is_file():
        yield "digits.pt (example)", load_model(example).netlist
    if "random" in names:
        yield "random 256 -> 3 x 1500", random_layered(256, [1500, 1500, 1500], 10, seed=0)


def emit_pipelined(nl, out: Path, every: int, adder_stages: int) -> None:
    from lgn2hw.backend import EmitOptions, emit
    emit(nl, out, EmitOptions(pipeline_every=every, adder_stages=adder_stages))


def run_one(core_dir: Path, work: Path, device: str, clock: float, timeout: float) -> dict:
    t0 = time.perf_counter()
    try:
        rep = synthesize(ooc_design(core_dir, work), work, SynthConfig(target="ice40", device=device,
                                                                      clock_mhz=clock, timeout_s=timeout))
    except DoesNotFit as e:
        return {"fits": False, "error": str(e), "wall_s": time.perf_counter() - t0}
    core = rep["resources"]["core"]
    return {"fits": True, "lut": core["lut"], "carry": core["carry"], "ff": core["ff"],
            "logic_pct": rep["pnr"]["utilization"]["logic"]["percent"], "fmax": rep["pnr"]["timing"]["fmax_mhz"],
            "yosys_s": rep["times_s"]["yosys"], "nextpnr_s": rep["times_s"]["nextpnr"],
            "wall_s": time.perf_counter() - t0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the shipped example, on HX8K")
    ap.add_argument("--devices", default=None, help="comma-separated iCE40 devices (default up5k,hx8k)")
    ap.add_argument("--clock", type=float, default=100.0, help="requested clock, MHz")
    ap.add_argument("--models", default="example,random", help="comma-separated: example, random")
    ap.add_argument("--pipeline-every", default="1", help="comma-separated settings, one lgn2hw design each")
    ap.add_argument("--adder-stages", type=int, default=2)
    ap.add_argument("--passes", default="", help='exact pass pipeline applied first to both designs ("default": '
                                                 "lgn2hw compile's); empty: the raw netlist")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per tool run")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    devices = (args.devices or ("hx8k" if args.quick else "up5k,hx8k")).split(",")
    console = Console(width=150)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp:
        tmp = Path(tmp)
        for mi, (name, nl) in enumerate(models(["example"] if args.quick else args.models.split(","))):
            if args.passes:
                from lgn2hw.passes import DEFAULT_PIPELINE, run_pipeline
                nl, _ = run_pipeline(nl, DEFAULT_PIPELINE if args.passes == "default" else args.passes)
            counts = analysis.gate_counts(nl)
            console.print(f"[bold]{name}[/bold]: {counts['gates']} gates ({counts['logic_gates']} logic), "
                          f"{nl.num_inputs} inputs, {nl.num_classes} classes")
            cores = {"naive": tmp / f"m{mi}_naive"}
            write_baseline_core(nl, cores["naive"])
            for every in (int(e) for e in args.pipeline_every.split(",")):
                cores[f"lgn2hw/p{every}"] = tmp / f"m{mi}_p{every}"
                emit_pipelined(nl, cores[f"lgn2hw/p{every}"], every, args.adder_stages)
            for dev in devices:
                for design, core in cores.items():
                    console.print(f"  {dev} {design} ...", end="")
                    r = run_one(core, tmp / f"m{mi}_{design.replace('/', '_')}_{dev}", dev, args.clock, args.timeout)
                    console.print(f" {r['wall_s']:.0f} s")
                    rows.append({"model": name, "device": dev, "design": design, **r})
    table = Table(title=f"iCE40 out-of-context builds, requested {args.clock:g} MHz "
                        f"(lgn2hw/pK: register every K logic levels, {args.adder_stages} adder levels/stage; "
                        f"passes: {args.passes or 'none'})")
    for col in ("model", "device", "design", "LUT4", "carry", "FF", "logic %", "Fmax MHz", "yosys s", "nextpnr s"):
        table.add_column(col, justify="left" if col in ("model", "device", "design") else "right")
    for r in rows:
        if r["fits"]:
            table.add_row(r["model"], r["device"], r["design"], f"{r['lut']:,}", f"{r['carry']:,}", f"{r['ff']:,}",
                          f"{r['logic_pct']:g}", f"{r['fmax']:.1f}", f"{r['yosys_s']:.1f}", f"{r['nextpnr_s']:.1f}")
        else:
            table.add_row(r["model"], r["device"], r["design"], "does not fit", "", "", "", "", "", "")
    console.print(table)
    for (m, d) in dict.fromkeys((r["model"], r["device"]) for r in rows):
        by = {r["design"]: r for r in rows if r["model"] == m and r["device"] == d}
        a = by.get("naive")
        for design, b in by.items():
            if design != "naive" and a and a["fits"] and b["fits"]:
                console.print(f"{m} on {d}: {design}/naive LUT4 {b['lut'] / a['lut']:.2f}x, "
                              f"FF {b['ff'] / max(1, a['ff']):.2f}x, Fmax {b['fmax'] / a['fmax']:.2f}x "
                              f"({a['fmax']:.1f} -> {b['fmax']:.1f} MHz)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
