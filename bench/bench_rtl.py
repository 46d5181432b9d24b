#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""RTL backend figures: emission time and memory, iCE40 LUT4/FF counts, HX8K Fmax.

1. Elaboration + Verilog emission of random layered nets (3 x 12,000 gates on 30,720 inputs;
   10^6 gates), each in a fresh process: wall time and peak RSS.
2. yosys ``synth_ice40`` (Debian's native yosys, through lgn2hw.synth's flow, -abc9 -dff) on
   256 inputs -> 3 x 1,500 gates -> 10 classes: the naive behavioural core
   (lgn2hw.synth.baseline) vs lgn2hw cores at several pipeline settings, with ratios; and
   one 150-bit popcount module per style (Wallace, Dadda, carry-chain tree, behavioural ``+``).
   ``--passes``: the net after the default exact passes (the issue-6 LUT4 figure).
3. nextpnr-ice40 --hx8k Fmax of the pipelined core (bounded by --timeout).

    .venv/bin/python bench/bench_rtl.py                 # everything (about 20-30 minutes)
    .venv/bin/python bench/bench_rtl.py --only emit     # emission only (seconds)
    .venv/bin/python bench/bench_rtl.py --only luts,fmax --configs 1:1,2:1
    .venv/bin/python bench/bench_rtl.py --only luts,fmax --passes --no-naive --configs 0:0,1:2,3:2,1:2:u --styles carry,wallace

``--model`` measures a checkpoint instead, e.g. a trained net of the same shape (62 s on one CPU core):

    .venv/bin/lgn2hw train --dataset digits --layers 3 --width 1500 --thresholds 4 --epochs 60 --seed 0 --out d1500.pt
    .venv/bin/python bench/bench_rtl.py --only luts,fmax --passes --model d1500.pt --configs 1:2,3:2 --styles carry

Each LUT run first prints the gate fabric's LUT4 alone (the net's outputs as ports) and an
estimated floor: that plus one logic cell per bit the GroupSums remove.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EMIT_CHILD = r"""
import json, resource, sys, time
from lgn2hw.generate import random_layered
from lgn2hw.backend import emit, EmitOptions
inputs, widths, classes, every, out = int(sys.argv[1]), [int(w) for w in sys.argv[2].split(",")], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
nl = random_layered(inputs, widths, classes, seed=0)
t = time.perf_counter()
res = emit(nl, out, EmitOptions(pipeline_every=every))
wall = time.perf_counter() - t
size = sum((res.out_dir / f).stat().st_size for f in res.files)
print(json.dumps({"seconds": wall, "parts": res.seconds, "latency": res.latency, "bytes": size,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_emit(tmp: Path) -> None:
    cases = [("3 x 12,000 gates, 30,720 inputs", 30720, "12000,12000,12000", 10, 1),
             ("10^6 gates (5 x 200,000), 30,720 inputs", 30720, ",".join(["200000"] * 5), 10, 1)]
    print("== elaboration + Verilog emission (fresh process each; includes netlist.npz and metadata.json)")
    for name, inputs, widths, classes, every in cases:
        out = subprocess.run([sys.executable, "-c", EMIT_CHILD, str(inputs), widths, str(classes), str(every),
                              str(tmp / "emit")], capture_output=True, text=True, cwd=REPO)
        if out.returncode:
            print(f"{name}: FAILED\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in r["parts"].items())
        print(f"{name}: {r['seconds']:.1f} s ({parts}), peak RSS {r['peak_rss_mb']:.0f} MB, "
              f"{r['bytes'] / 1e6:.1f} MB written, latency {r['latency']}")


def yosys_figures(core_dir: Path, work: Path, pnr: bool, timeout: float) -> dict:
    from lgn2hw.synth import DoesNotFit, SynthConfig, ooc_design, synthesize
    t = time.perf_counter()
    try:
        rep = synthesize(ooc_design(core_dir, work), work,
                         SynthConfig(target="ice40", device="hx8k", clock_mhz=100, pnr=pnr, timeout_s=timeout))
    except DoesNotFit as e:
        return {"error": f"does not fit: {e}", "wall_s": time.perf_counter() - t}
    except Exception as e:  # a timeout or tool failure is a figure too
        return {"error": f"{type(e).__name__}: {str(e)[:200]}", "wall_s": time.perf_counter() - t}
    core = rep["resources"]["core"]
    out = {"lut": core["lut"], "ff": core["ff"], "carry": core["carry"], "wall_s": time.perf_counter() - t}
    if pnr:
        out["fmax"] = rep["pnr"]["timing"]["fmax_mhz"]
        out["logic_pct"] = rep["pnr"]["utilization"]["logic"]["percent"]
        out["logic_cells"] = rep["pnr"]["utilization"]["logic"].get("used")
    return out


def counted_bits(nl) -> tuple[int, int, int]:
    """(variable output bits, bits the carry popcounts add after the GroupSum rewrites — copies
    by weight, complement pairs as one —, bits left after counting: the sum widths)."""
    from lgn2hw.backend import EmitOptions
    from lgn2hw.backend.metadata import sum_width
    from lgn2hw.backend.plan import plan_core
    groups = nl.outputs.reshape(nl.num_classes, -1)
    rewritten = plan_core(nl, EmitOptions(popcount="carry")).popcount.bits
    return int((groups >= 2).sum()), rewritten, nl.num_classes * sum_width(nl.group_size)


def fabric_luts(nl, tmp: Path, timeout: float) -> int | None:
    """LUT4 of the gate fabric alone: the net's outputs as module ports (yosys synth_ice40)."""
    from lgn2hw.export import to_blif
    src = tmp / "fabric_only.blif"
    src.write_text(to_blif(nl))
    stat = tmp / "fabric_only.txt"
    subprocess.run(["timeout", str(int(timeout)), "yosys", "-q", "-p",
                    f"read_blif {src}; synth_ice40 -abc9; tee -q -o {stat} stat"], capture_output=True, text=True)
    for ln in stat.read_text().splitlines() if stat.exists() else []:
        if ln.strip().startswith("SB_LUT4"):
            return int(ln.split()[1])
    return None


def bench_luts(tmp: Path, configs: list[tuple[int, int]], fmax: bool, timeout: float, styles: list[str],
               passes: bool, naive: bool, model: str | None = None) -> None:
    from lgn2hw.backend import EmitOptions, emit
    from lgn2hw.generate import random_layered
    from lgn2hw.synth.baseline import write_baseline_core
    if model:
        from lgn2hw.frontends import load_model
        nl = load_model(model).netlist
        name = f"{model}: {nl.num_inputs} inputs -> {nl.num_nodes} gates -> {nl.num_classes} classes"
    else:
        nl = random_layered(256, [1500, 1500, 1500], 10, seed=0)
        name = "256 inputs -> 3 x 1,500 random gates -> 10 classes"
    if passes:
        from lgn2hw.passes import DEFAULT_PIPELINE, run_pipeline
        nl = run_pipeline(nl, DEFAULT_PIPELINE)[0]
    print(f"== iCE40 (synth_ice40 -abc9 -dff, native yosys): {name}"
          f"{', default passes: ' + str(nl.num_nodes) + ' gates' if passes else ''}")
    # A floor for any exact design built from LUT4s and carry chains: the fabric's LUTs plus one
    # logic cell per bit the GroupSums remove (a carry-chain adder cell, the cheapest known
    # counter on iCE40, removes one bit; a LUT full adder removes half a bit per LUT).
    raw, bits, left = counted_bits(nl)
    fab = fabric_luts(nl, tmp, timeout)
    print(f"gate fabric alone: {fab} LUT4; GroupSums count {raw} variable output bits, {bits} after the "
          f"rewrites, into {left}: estimated floor {fab} + {bits - left} = {(fab or 0) + bits - left} LUT4",
          flush=True)
    base = None
    if naive:
        write_baseline_core(nl, tmp / "naive")
        base = yosys_figures(tmp / "naive", tmp / "naive_syn", False, timeout)
        print(f"naive behavioural core (latency 2): {base}", flush=True)
    for every, m, fuse in configs:
        for style in styles:
            d = tmp / f"core_{every}_{m}_{fuse}_{style}"
            res = emit(nl, d, EmitOptions(pipeline_every=every, adder_stages=m, popcount=style, fuse_popcount=fuse))
            fuse = res.metadata["pipeline"]["fuse_popcount"]
            r = yosys_figures(d, tmp / f"syn_{every}_{m}_{fuse}_{style}", fmax and every > 0, timeout)
            ratio = f", LUT4 ratio naive/lgn2hw {base['lut'] / r['lut']:.2f}" if base and "lut" in r and "lut" in base else ""
            print(f"lgn2hw --pipeline-every {every} --adder-stages {m} --popcount {style}"
                  f"{' --fuse-popcount' if fuse else ''} (latency {res.latency}): "
                  f"{r}{ratio}", flush=True)


def bench_popcount(tmp: Path, timeout: float) -> None:
    print("== one 150-bit popcount module (plain synth_ice40), by style")
    from lgn2hw.backend.popcount import popcount_verilog
    for style in ("wallace", "dadda", "carry", "behavioural"):
        text, _ = popcount_verilog(150, "pc", 0, style)
        (tmp / f"pc_{style}.v").write_text(text)
        stat = tmp / f"pc_{style}.txt"
        subprocess.run(["timeout", str(int(timeout)), "yosys", "-q", "-p",
                        f"read_verilog {tmp / f'pc_{style}.v'}; synth_ice40 -top pc; tee -q -o {stat} stat"],
                       capture_output=True, text=True)
        cells = {ln.split()[0]: int(ln.split()[1]) for ln in stat.read_text().splitlines()
                 if ln.strip().startswith("SB_")} if stat.exists() else {}
        print(f"popcount(150) {style}: {cells.get('SB_LUT4')} LUT4, {cells.get('SB_CARRY', 0)} carry")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="emit,popcount,luts,fmax",
                    help="comma-separated: emit, popcount, luts, fmax (fmax: place and route the pipelined configs)")
    ap.add_argument("--configs", default="0:0,1:1,2:1",
                    help="pipeline-every:adder-stages[:f|:u] for the LUT/Fmax runs (f/u: --fuse-popcount / "
                         "--no-fuse-popcount; default: the backend's)")
    ap.add_argument("--styles", default="carry,wallace", help="comma-separated popcount styles for the LUT/Fmax runs")
    ap.add_argument("--passes", action="store_true", help="apply the default exact passes to the net first")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive behavioural baseline")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per tool run")
    ap.add_argument("--model", help="a checkpoint or netlist to measure instead of the random 3 x 1,500 net "
                                    "(e.g. a trained one: examples/make_example.sh shows how to train)")
    args = ap.parse_args()
    from lgn2hw.backend.options import EmitOptions
    parts = set(args.only.split(","))
    configs = [(int(c.split(":")[0]), int(c.split(":")[1]),
                c.endswith(":f") if c.endswith((":f", ":u")) else EmitOptions.fuse_popcount)
               for c in args.configs.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench_rtl_") as tmp:
        tmp = Path(tmp)
        if "emit" in parts:
            bench_emit(tmp)
        if "popcount" in parts:
            bench_popcount(tmp, args.timeout)
        if parts & {"luts", "fmax"}:
            bench_luts(tmp, configs, "fmax" in parts, args.timeout, args.styles.split(","), args.passes,
                       not args.no_naive, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
