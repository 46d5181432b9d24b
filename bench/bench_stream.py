#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Streaming conv core vs the unrolled design of the same conv model, synthesized in one run.

    .venv/bin/python bench/bench_stream.py examples/mnist_conv.pt [--out build/bench_stream]
        [--devices ice40:up5k@50,ice40:hx8k@100,ecp5:25k@100] [--rtl up5k=0/0,hx8k=2/2,25k=2/2]
        [--unrolled-on hx8k] [--unrolled-pnr]

Both designs come from ``lgn2hw.compile`` on the same checkpoint with the same exact passes:
``--conv streaming`` (one instance of each kernel, line buffers, the bank, the head) and
``--conv unrolled`` (every kernel at every position, through the dense core). The streaming core
is placed and routed on each device at its clock (``@MHz``; LUT4, FF, block RAM, Fmax) with
that device's pipelining (``--rtl DEVICE=PIPELINE_EVERY/ADDER_STAGES``: a slower target needs
fewer registers); the unrolled design goes through yosys only on one device (its LUT count; a
design too big for the part is reported with yosys's counts) unless --unrolled-pnr.

The per-part split: the dense head (``{top}_head``: its gates, GroupSum popcounts and argmax) is
synthesized alone with yosys, and the front end (window generators, kernels, pools, bank) is the
rest; the unrolled design's head is the same head netlist as a dense core (its argmax a tree,
the streaming head's one serial comparator). Prints the table, the LUT ratio of the whole
designs and of their conv parts (head taken out of both); writes <out>/bench_stream.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from pathlib import Path


def parse_rtl(text: str) -> dict:
    out = {}
    for item in filter(None, text.split(",")):
        dev, spec = item.split("=")
        pe, adders = spec.split("/")
        out[dev] = (int(pe), int(adders))
    return out


def head_counts(core_dir: Path, top: str, family: str, work: Path) -> dict:
    """yosys's counts of the module ``top`` of ``core_dir`` synthesized alone (no place and route)."""
    from lgn2hw.backend.metadata import load_metadata
    from lgn2hw.synth.devices import FAMILIES
    from lgn2hw.synth.report import parse_yosys_stat
    meta = load_metadata(core_dir)
    work.mkdir(parents=True, exist_ok=True)
    files = [str((core_dir / f).resolve()) for f in meta.files if f.startswith(top)]
    script = "".join(f"read_verilog -defer {f}\n" for f in files)
    script += f"hierarchy -top {top}\nsynth_{family} -top {top}" + (" -dff" if family == "ice40" else "") + "\n"
    script += "tee -q -o stat.json stat -json\n"
    (work / "head.ys").write_text(script)
    subprocess.run(["yosys", "-q", "-s", "head.ys"], cwd=work, check=True, capture_output=True)
    return parse_yosys_stat(work / "stat.json", FAMILIES[family], top, None)["design"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--out", default="build/bench_stream")
    ap.add_argument("--devices", default="ice40:up5k@50,ice40:hx8k@100,ecp5:25k@100",
                    help="FAMILY:DEVICE@MHz, comma separated: the streaming core on each")
    ap.add_argument("--rtl", default="up5k=0/0,hx8k=2/2,25k=2/2",
                    help="DEVICE=PIPELINE_EVERY/ADDER_STAGES per device (default 2/2)")
    ap.add_argument("--unrolled-on", default="hx8k", help="the device the unrolled design is synthesized for")
    ap.add_argument("--unrolled-pnr", action="store_true", help="also place and route the unrolled design")
    args = ap.parse_args()

    import lgn2hw
    from lgn2hw.api import synthesize
    from lgn2hw.synth.flow import DoesNotFit

    def synth(core, family, dev, **kw):
        """The report, or for a design too big for the part, yosys's counts (fits: False)."""
        try:
            return synthesize(core, family, device=dev, **kw)
        except DoesNotFit as e:
            print(f"  {core}: {e}")
            return {"resources": {"core": e.counts}, "fits": False}

    out = Path(args.out)
    rtl_of = parse_rtl(args.rtl)
    devices = []
    for item in args.devices.split(","):
        fam_dev, mhz = item.split("@")
        family, dev = fam_dev.split(":")
        devices.append((family, dev, float(mhz)))
    unrolled_fam = next((f for f, d, _ in devices if d == args.unrolled_on), "ice40")
    compiled = {}

    def streaming(pe_as):
        if pe_as not in compiled:
            pe, adders = pe_as
            t = time.perf_counter()
            res = lgn2hw.compile(args.model, out / f"streaming_p{pe}_a{adders}", conv="streaming", report=False,
                                 rtl={"pipeline_every": pe, "adder_stages": adders})
            print(f"streaming (pipeline every {pe}, adder stages {adders}): compiled in "
                  f"{time.perf_counter() - t:.1f} s, latency {res.plan.latency} cycles, "
                  f"{res.plan.cycles_per_image} cycles per image")
            compiled[pe_as] = res
        return compiled[pe_as]

    rows = []
    for family, dev, mhz in devices:
        pe_as = rtl_of.get(dev, (2, 2))
        res = streaming(pe_as)
        t = time.perf_counter()
        rep = synth(res.out_dir, family, dev, clock_mhz=mhz)
        keep = out / f"synth_{dev}"  # the work folder is the core's, rewritten per device: keep each
        shutil.rmtree(keep, ignore_errors=True)
        if (res.out_dir / "synth").is_dir():
            shutil.copytree(res.out_dir / "synth", keep, ignore=shutil.ignore_patterns("*.json.gz", "core.json"))
        head = head_counts(res.out_dir, res.plan.head.top, family, out / "heads" / f"{dev}_streaming")
        rows.append({"design": "streaming", "family": family, "device": dev, "clock_mhz": mhz, "rtl": pe_as,
                     "latency": res.plan.latency, "rep": rep, "head": head, "seconds": time.perf_counter() - t})
    pe_as = rtl_of.get(args.unrolled_on, (2, 2))
    t = time.perf_counter()
    unrolled = lgn2hw.compile(args.model, out / "unrolled", rtl={"pipeline_every": pe_as[0], "adder_stages": pe_as[1]},
                              conv="unrolled", report=False)
    model = lgn2hw.api.load(args.model).conv
    uhead = lgn2hw.compile(model.head, out / "unrolled_head", passes="none", report=False,
                           rtl={"pipeline_every": pe_as[0], "adder_stages": pe_as[1], "input_register": False})
    print(f"unrolled: {unrolled.netlist.num_nodes:,} gates, latency {unrolled.plan.latency}")
    rep = synth(unrolled.out_dir, unrolled_fam, args.unrolled_on, pnr=args.unrolled_pnr)
    head = head_counts(uhead.out_dir, uhead.plan.top, unrolled_fam, out / "heads" / "unrolled")
    rows.append({"design": "unrolled", "family": unrolled_fam, "device": args.unrolled_on, "clock_mhz": None,
                 "rtl": pe_as, "latency": unrolled.plan.latency, "rep": rep, "head": head,
                 "seconds": time.perf_counter() - t})

    print(f"{'design':<10}{'device':<7}{'rtl':>5}{'LUT4':>7}{'FF':>7}{'BRAM':>5}{'LUTRAM':>7}{'carry':>6}"
          f"{'Fmax':>7}{'@MHz':>5}"
          f"{'fits':>6}{'lat':>5} | {'head LUT':>8}{'FF':>6} | {'front LUT':>9}{'FF':>6}")
    doc = []
    for r in rows:
        core, h = r["rep"]["resources"]["core"], r["head"]
        fmax = (r["rep"].get("pnr") or {}).get("timing", {}).get("fmax_mhz")
        clk = "-" if r["clock_mhz"] is None else f"{r['clock_mhz']:g}"
        print(f"{r['design']:<10}{r['device']:<7}{'%d/%d' % r['rtl']:>5}{core['lut']:>7,}{core['ff']:>7,}"
              f"{core.get('bram', 0):>5}{core.get('lutram', 0):>7}{core.get('carry', 0):>6}"
              f"{'-' if fmax is None else f'{fmax:.1f}':>7}{clk:>5}"
              f"{str(r['rep'].get('fits', '-')):>6}{r['latency']:>5} | {h['lut']:>8,}{h['ff']:>6,} | "
              f"{core['lut'] - h['lut']:>9,}{core['ff'] - h['ff']:>6,}")
        doc.append({"design": r["design"], "family": r["family"], "device": r["device"], "clock_mhz": r["clock_mhz"],
                    "pipeline_every": r["rtl"][0], "adder_stages": r["rtl"][1], "latency": r["latency"],
                    "core": core, "head": h, "fmax_mhz": fmax, "fits": r["rep"].get("fits"),
                    "seconds": round(r["seconds"], 1)})
    same = next((r for r in rows if r["design"] == "streaming" and r["device"] == args.unrolled_on
                 and r["rtl"] == pe_as), None)
    ratio = conv_ratio = None
    if same is not None:
        u = rows[-1]
        s_lut, u_lut = same["rep"]["resources"]["core"]["lut"], u["rep"]["resources"]["core"]["lut"]
        ratio = s_lut / u_lut
        conv_ratio = (s_lut - same["head"]["lut"]) / (u_lut - u["head"]["lut"])
        print(f"streaming / unrolled LUT4 on {args.unrolled_on}: {s_lut:,} / {u_lut:,} = {ratio:.3f}; "
              f"without the head: {s_lut - same['head']['lut']:,} / {u_lut - u['head']['lut']:,} = {conv_ratio:.3f}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_stream.json").write_text(json.dumps({"model": args.model, "rows": doc, "lut_ratio": ratio,
                                                       "lut_ratio_without_head": conv_ratio}, indent=1) + "\n")


if __name__ == "__main__":
    main()
