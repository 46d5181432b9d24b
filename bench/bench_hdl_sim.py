#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cocotb bench speed on a ~6,000-gate core: build seconds and vectors/s, Icarus and Verilator.

    .venv/bin/python bench/bench_hdl_sim.py [--gates 6000] [--icarus-vectors 300]
        [--verilator-vectors 5000] [--baseline]

Emits a random layered net (3 layers, 256 inputs, 10 classes) with the default RTL options and
runs ``lgn2hw.verify`` on it. Verilator is built cold (ccache off: everything compiled) and warm
(ccache holding Verilator's runtime library; a fresh design of the same size); with
``--baseline`` also cold with cocotb's default VPI access to every signal (--public-flat-rw),
the build the issue measured at 4-8 minutes. Prints the figures, the ratios, and the 60 s bar.
Build CPU seconds are printed next to wall seconds: on a shared machine wall time follows load.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from lgn2hw import analysis, verify
from lgn2hw.backend import emit
from lgn2hw.generate import random_layered

BAR_VERILATOR_BUILD_S = 60.0


def make_core(gates: int, seed: int, out: Path) -> Path:
    width = gates // 3 // 10 * 10
    nl = random_layered(256, [width] * 3, 10, seed=seed)
    t = time.perf_counter()
    emit(nl, out)
    print(f"core {out.name}: {analysis.gate_counts(nl)['gates']} gates, emitted in {time.perf_counter() - t:.1f} s")
    return out


def run(label: str, core: Path, simulator: str, vectors: int, build: Path, no_ccache=False, **kw):
    old = os.environ.get("CCACHE_DISABLE")
    if no_ccache:
        os.environ["CCACHE_DISABLE"] = "1"
    try:
        res = verify.verify(core, simulator, vectors=vectors, build_dir=build, bubble_vectors=64, **kw)
    finally:
        if no_ccache and old is None:
            os.environ.pop("CCACHE_DISABLE", None)
    status = "ok" if res.ok else f"FAILED ({res.mismatches} mismatches)"
    print(f"{label:<28} build {res.build_seconds:7.1f} s ({res.build_cpu_seconds:6.1f} s CPU)   run {res.run_seconds:7.1f} s   "
          f"{res.vectors:6d} vectors   {res.vectors_per_second:9,.0f} vectors/s   {status}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gates", type=int, default=6000)
    ap.add_argument("--icarus-vectors", type=int, default=300)
    ap.add_argument("--verilator-vectors", type=int, default=5000)
    ap.add_argument("--baseline", action="store_true",
                    help="also build with VPI access to every signal, cocotb's default (minutes)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_hdl_sim_") as tmp:
        tmp = Path(tmp)
        core = make_core(args.gates, args.seed, tmp / "core")
        # a second design of the same size: its C++ is new to ccache, the runtime library is not
        core2 = make_core(args.gates, args.seed + int(time.time()) % 1000 + 1, tmp / "core2")
        ic = run("icarus", core, "icarus", args.icarus_vectors, tmp / "icarus")
        cold = run("verilator, cold", core, "verilator", args.verilator_vectors, tmp / "vl-cold", no_ccache=True)
        warm = run("verilator, warm ccache", core2, "verilator", args.verilator_vectors, tmp / "vl-warm")
        base = None
        if args.baseline:
            base = run("verilator all signals, cold", core, "verilator", args.verilator_vectors,
                       tmp / "vl-base", no_ccache=True, all_signals=True)

    print()
    for what, secs in (("wall", cold.build_seconds), ("CPU", cold.build_cpu_seconds)):
        print(f"Verilator build (cold), {what}: {secs:.1f} s, "
              f"{'under' if secs < BAR_VERILATOR_BUILD_S else 'OVER'} the {BAR_VERILATOR_BUILD_S:.0f} s bar")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall times stretch with load, CPU times do not)")
    if ic.vectors_per_second:
        print(f"Verilator / Icarus vectors/s: {cold.vectors_per_second / ic.vectors_per_second:.1f}x")
    print(f"warm / cold Verilator build CPU: {warm.build_cpu_seconds / cold.build_cpu_seconds:.2f}")
    if base is not None:
        print(f"all-signals / ports-only: build CPU {base.build_cpu_seconds / cold.build_cpu_seconds:.1f}x, "
              f"build wall {base.build_seconds / cold.build_seconds:.1f}x, "
              f"vectors/s {base.vectors_per_second / cold.vectors_per_second:.2f}x")


if __name__ == "__main__":
    main()
