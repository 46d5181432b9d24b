#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""GroupSum styles on AMD LUT6 fabrics: ``lut6c`` (LUT6_2 and carry-chain (7;3) counter primitives,
the xilinx default), ``gpc`` (generalized parallel counters into a carry-chain adder) against
``carry`` (the adder tree) and ``wallace``, measured with yosys ``synth_xilinx``.

1. One stand-alone popcount module of G bits (``--bits``, default 200, MNIST's group size),
   combinational and pipelined (``--adder-stages``): LUT6, CARRY, FF.
2. Whole cores (``--model``, default the shipped digits example; the MNIST benchmark model when
   given) through ``lgn2hw compile --target xilinx``, combinational and with the defaults.

    .venv/bin/python bench/bench_groupsum_lut6.py
    .venv/bin/python bench/bench_groupsum_lut6.py --model ../shared/models/mnist_dense_2x2000.pt --family xcup

LUT figures are yosys 0.23 estimates (INV cells counted as LUTs, an instantiated LUT6_2 as one LUT6
site: yosys counts the LUTs abc9 maps one cell each, where Vivado may pack two into one site);
nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lgn2hw.synth import FAMILIES  # noqa: E402
from lgn2hw.synth.report import cell_counts  # noqa: E402


def module_figures(bits: int, style: str, every: int, family: str, tmp: Path) -> dict:
    from lgn2hw.backend.popcount import popcount_verilog
    text, regs = popcount_verilog(bits, "pc", every, style, carry="CARRY4" if family == "xc7" else "CARRY8")
    src, stat = tmp / f"pc_{style}_{every}.v", tmp / f"pc_{style}_{every}.json"
    src.write_text(text)
    subprocess.run(["yosys", "-q", "-p", f"read_verilog {src}; synth_xilinx -top pc -family {family} -noiopad "
                    f"-flatten -abc9; tee -q -o {stat} stat -json"], check=True, capture_output=True)
    design = json.loads(stat.read_text())["modules"]["\\pc"]["num_cells_by_type"]
    c = cell_counts(design, FAMILIES["xilinx"])
    return {"lut": c["lut"], "lut6_2": c["lut6_2"], "carry": c["carry"], "ff": c["ff"], "registers": regs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bits", type=int, default=200)
    ap.add_argument("--styles", default="lut6c,carry,gpc,wallace")
    ap.add_argument("--adder-stages", type=int, default=2)
    ap.add_argument("--family", default="xcup", choices=["xc7", "xcup"])
    ap.add_argument("--model", action="append", default=[])
    ap.add_argument("--only", default="module,core")
    args = ap.parse_args()
    styles = args.styles.split(",")
    parts = set(args.only.split(","))
    device = "xcvu9p" if args.family == "xcup" else "xc7a100t"
    with tempfile.TemporaryDirectory(prefix="bench_gs6_") as tmp:
        tmp = Path(tmp)
        if "module" in parts:
            print(f"== one {args.bits}-bit popcount module, yosys synth_xilinx -family {args.family}")
            for style in styles:
                for every in (0, args.adder_stages):
                    f = module_figures(args.bits, style, every, args.family, tmp)
                    print(f"  {style:<8} adder-stages {every}: {f['lut']:>5,} LUT6 ({f['lut6_2']:,} LUT6_2), "
                          f"{f['carry']:>4,} CARRY, {f['ff']:>5,} FF ({f['registers']} register levels)", flush=True)
        if "core" in parts:
            from lgn2hw import api
            for model in args.model or [str(REPO / "examples" / "digits.pt")]:
                print(f"== {model}: whole core, lgn2hw compile --target xilinx --device {device}")
                for label, rtl in (("comb", dict(pipeline_every=0, adder_stages=0)), ("default", {})):
                    for style in styles:
                        res = api.compile(model, tmp / f"core_{label}_{style}", rtl={**rtl, "popcount": style},
                                          target="xilinx", synth={"device": device}, report=False)
                        core = res.synth["resources"]["core"]
                        print(f"  {label:<8} {style:<8}: {core['lut']:>6,} LUT6 ({core['lut6_2']:,} LUT6_2), "
                              f"{core['carry']:>5,} CARRY, {core['ff']:>6,} FF, {core['srl']:,} SRL, "
                              f"latency {res.plan.latency}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
