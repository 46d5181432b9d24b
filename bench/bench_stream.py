#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Streaming conv core vs the unrolled design of the same conv model, synthesized in one run.

    .venv/bin/python bench/bench_stream.py examples/mnist_conv.pt [--out build/bench_stream]
        [--devices up5k,hx8k] [--pipeline-every 2] [--unrolled-pnr]

Both designs come from ``lgn2hw.compile`` on the same checkpoint with the same exact passes:
``--conv streaming`` (one instance of each kernel, line buffers, the head) and ``--conv
unrolled`` (every kernel at every position, through the dense core). The streaming core is
placed and routed on each device (LUT4, FF, block RAM, Fmax); the unrolled design goes through
yosys only (its LUT count; a design too big for the part is reported with yosys's counts)
unless --unrolled-pnr. Prints the
table and the LUT ratio; writes <out>/bench_stream.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--out", default="build/bench_stream")
    ap.add_argument("--devices", default="up5k,hx8k")
    ap.add_argument("--pipeline-every", type=int, default=2)
    ap.add_argument("--unrolled-pnr", action="store_true", help="also place and route the unrolled design")
    args = ap.parse_args()

    import lgn2hw
    from lgn2hw.api import synthesize
    from lgn2hw.synth.flow import DoesNotFit

    def synth(core, dev, **kw):
        """The report, or for a design too big for the part, yosys's counts (fits: False)."""
        try:
            return synthesize(core, "ice40", device=dev, **kw)
        except DoesNotFit as e:
            print(f"  {core}: {e}")
            return {"resources": {"core": e.counts}, "fits": False}

    out = Path(args.out)
    rtl = {"pipeline_every": args.pipeline_every}
    rows = []
    t = time.perf_counter()
    stream = lgn2hw.compile(args.model, out / "streaming", rtl=rtl, conv="streaming", report=False)
    unrolled = lgn2hw.compile(args.model, out / "unrolled", rtl=rtl, conv="unrolled", report=False)
    print(f"compiled both in {time.perf_counter() - t:.1f} s: streaming latency {stream.plan.latency} cycles, "
          f"{stream.plan.cycles_per_image} cycles per image; unrolled {unrolled.netlist.num_nodes:,} gates, "
          f"latency {unrolled.plan.latency}")
    for dev in args.devices.split(","):
        t = time.perf_counter()
        rep = synth(out / "streaming", dev)
        rows.append(("streaming", dev, rep, time.perf_counter() - t))
    t = time.perf_counter()
    dev = args.devices.split(",")[-1]
    rep = synth(out / "unrolled", dev, pnr=args.unrolled_pnr)
    rows.append(("unrolled", dev, rep, time.perf_counter() - t))

    print(f"{'design':<10}{'device':<8}{'LUT4':>9}{'FF':>9}{'BRAM':>6}{'carry':>7}{'Fmax MHz':>10}{'fits':>6}"
          f"{'seconds':>9}")
    doc = []
    for name, dev, rep, secs in rows:
        core = rep["resources"]["core"]
        fmax = (rep.get("pnr") or {}).get("timing", {}).get("fmax_mhz")
        print(f"{name:<10}{dev:<8}{core['lut']:>9,}{core['ff']:>9,}{core.get('bram', 0):>6}{core.get('carry', 0):>7}"
              f"{'-' if fmax is None else f'{fmax:.1f}':>10}{str(rep.get('fits', '-')):>6}{secs:>9.0f}")
        doc.append({"design": name, "device": dev, "core": core, "fmax_mhz": fmax, "fits": rep.get("fits"),
                    "seconds": round(secs, 1)})
    s_lut = rows[-2][2]["resources"]["core"]["lut"]
    u_lut = rows[-1][2]["resources"]["core"]["lut"]
    print(f"streaming / unrolled LUT4 on {dev}: {s_lut:,} / {u_lut:,} = {s_lut / u_lut:.3f}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_stream.json").write_text(json.dumps({"model": args.model, "rows": doc,
                                                       "lut_ratio": s_lut / u_lut}, indent=1) + "\n")


if __name__ == "__main__":
    main()
