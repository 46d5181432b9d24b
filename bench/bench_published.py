#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""lgn2hw's MNIST models next to the published LUT-network rows, in one run.

For each model (checkpoints trained with ``lgn2hw train`` on ``mnist8k.npz``): hard accuracy
on the held-out test split the trainer used (re-made from the checkpoint's recorded seed and
split), gates after the exact passes, and yosys ``synth_xilinx -family xcup`` LUT6 / FF /
CARRY figures of the core out of context, combinational (``--pipeline-every 0 --adder-stages 0``)
and pipelined (the defaults), with the latency in cycles. Then the published rows of
``bench/published_mnist.toml``, every figure of which is labelled "published" and printed
as given: no ratio is formed between a published number and one measured here (different
training sets, different synthesis tools, different accounting of the encoder).

    .venv/bin/python bench/bench_published.py --model ../shared/models/mnist_dense_2x2000.pt \\
        --data ../shared/datasets/mnist8k.npz
    .venv/bin/python bench/bench_published.py --published-only      # the published table alone

Our LUT6 counts are yosys 0.23 estimates (INV cells counted as LUTs, an instantiated LUT6_2 as one),
not Vivado's.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PUBLISHED = REPO / "bench" / "published_mnist.toml"
CONFIGS = {"comb": dict(pipeline_every=0, adder_stages=0), "pipelined": {}}


def published_rows(path: Path = PUBLISHED) -> list[dict]:
    rows = tomllib.loads(path.read_text())["row"]
    for r in rows:
        if not r.get("source"):
            raise SystemExit(f"{path}: row {r.get('name')!r} has no source")
    return rows


def test_accuracy(imp, data_path: str | None) -> tuple[float | None, str]:
    """Hard accuracy on the checkpoint's own held-out split (its recorded seed / split)."""
    from lgn2hw import api
    from lgn2hw.train import data
    cfg = imp.config or {}
    if not data_path:
        return None, "no --data"
    split = cfg.get("split")
    ds = data.load_dataset(data_path, seed=int(cfg.get("seed", 0)),
                           sizes=tuple(split) if split else None)
    res = api.simulate(imp, ds.test.X)
    return float(np.mean(res.classes == ds.test.y)), f"{len(ds.test.y)} held-out images of {Path(data_path).name}"


def measure(model: str, data_path: str | None, device: str, popcount: str, console: Console) -> dict:
    from lgn2hw import api
    imp = api.load(model)
    acc, acc_note = test_accuracy(imp, data_path)
    row = {"name": Path(model).name, "accuracy": acc, "accuracy_note": acc_note}
    for label, rtl in CONFIGS.items():
        with tempfile.TemporaryDirectory(prefix="lgn2hw-published-") as tmp:
            t0 = time.perf_counter()
            res = api.compile(imp, Path(tmp) / "core", rtl={**rtl, "popcount": popcount}, target="xilinx",
                              synth={"device": device}, report=False)
            core = res.synth["resources"]["core"]
            row["gates"] = res.report["final"]["gates"] if "final" in res.report else None
            row[label] = {"lut": core["lut"], "ff": core["ff"], "carry": core["carry"],
                          "latency": res.plan.latency, "popcount": res.plan.popcount.style,
                          "seconds": round(time.perf_counter() - t0, 1)}
            console.print(f"  {row['name']} {label}: {core['lut']:,} LUT6, {core['ff']:,} FF, "
                          f"{core['carry']:,} CARRY, latency {res.plan.latency} "
                          f"({res.plan.popcount.style} GroupSum, {row[label]['seconds']} s)")
    return row


def fmt(v, spec=",") -> str:
    return "–" if v is None else format(v, spec)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", default=[], help="lgn2hw checkpoint trained on mnist8k (repeat)")
    p.add_argument("--data", default=str(REPO.parent / "shared" / "datasets" / "mnist8k.npz"),
                   help="the data set the models were trained on (for the held-out accuracy)")
    p.add_argument("--device", default="xcvu9p", help="xilinx device for the yosys estimate (default xcvu9p)")
    p.add_argument("--popcount", default="auto", help="GroupSum style (default: the xilinx target's)")
    p.add_argument("--published-only", action="store_true")
    args = p.parse_args(argv)
    console = Console(width=max(Console().width, 150))  # a log file gets the whole table too
    ours = []
    if not args.published_only:
        if not args.model:
            default = REPO.parent / "shared" / "models" / "mnist_dense_2x2000.pt"
            args.model = [str(default)] if default.exists() else []
        data_path = args.data if Path(args.data).exists() else None
        for m in args.model:
            console.print(f"measuring {m} (yosys synth_xilinx, two configurations)")
            ours.append(measure(m, data_path, args.device, args.popcount, console))

    table = Table(title="MNIST LUT networks: lgn2hw (measured here) and published rows (as published)")
    for col in ("model", "figures", "accuracy", "gates", "LUT6 comb", "LUT6 pipelined", "FF pipelined", "latency",
                "device"):
        table.add_column(col, justify="left" if col in ("model", "figures", "device") else "right")
    notes = []
    for r in ours:
        acc = f"{100 * r['accuracy']:.2f} %" if r["accuracy"] is not None else "–"
        notes.append(f"lgn2hw {r['name']}: trained on mnist8k (6,400 training images), accuracy on "
                     f"{r['accuracy_note']}; LUT6/FF: yosys 0.23 synth_xilinx -family xcup estimate of the core "
                     f"out of context (INV counted, a LUT6_2 as one), {r['pipelined']['popcount']} GroupSum; latency combinational / "
                     f"pipelined (defaults)")
        table.add_row(f"lgn2hw {r['name']}", f"measured here [{len(notes)}]", acc, fmt(r.get("gates")),
                      fmt(r["comb"]["lut"]), fmt(r["pipelined"]["lut"]), fmt(r["pipelined"]["ff"]),
                      f"{r['comb']['latency']} / {r['pipelined']['latency']} cycles", f"{args.device} (yosys)")
    for r in published_rows():
        notes.append(f"{r['name']}: PUBLISHED by {r['source']}; MNIST 60,000 training images, Vivado"
                     f"{'; ' + r['note'] if r.get('note') else ''}")
        pub = " (pub.)"
        lat = (f"{r['latency_cycles']} cycles{pub}" if "latency_cycles" in r else
               f"{r['latency_ns']} ns{pub}" if "latency_ns" in r else "–")
        table.add_row(r["name"], f"published [{len(notes)}]", f"{r['accuracy']:g} %{pub}" if "accuracy" in r else "–",
                      "–", f"{r['luts']:,}{pub}" if "luts" in r else "–", "–",
                      f"{r['ffs']:,}{pub}" if "ffs" in r else "–", lat, f"{r.get('device', '–')} (Vivado)")
    console.print(table)
    for i, note in enumerate(notes, 1):
        console.print(f"[{i}] {note}", highlight=False, markup=False)
    console.print("Published figures are printed as their sources give them and are not compared by ratio with "
                  "the figures measured here: different training data (mnist8k vs the 60,000-image MNIST), "
                  "different tools (yosys estimate vs Vivado place-and-route) and encoder accounting.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
