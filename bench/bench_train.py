#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Training quality bars of issue 3, and the interconnect memory figure.

    nice .venv/bin/python bench/bench_train.py [--only yinyang,digits,memory] [--epochs-scale 1.0]
        [--seeds 0] [--threads 1]

- Yin-Yang, 2 layers x 100 gates (last layer 99 = 3 classes x 33): learnable interconnect
  (C=8, gradient-guided gate sampling) vs fixed random wiring, same epochs and seed, plain
  dataset defaults otherwise (as ``lgn2hw train --dataset yinyang --layers 2 --width 100``).
  Published: learnable 96.98% at 2x100, fixed 96.08% needing 4x500.
- digits, 3 x 500 gates (the shipped example's shape): fixed vs learnable at equal gate count.
- Memory: interconnect state of a 3 x 12,000-gate learnable net on 30,720 input bits, against
  the full [G, k, I] float32 weight tensors a dense learnable interconnect would need; and one
  gradient-guided sampling round on its first layer (time, peak RSS growth) against the
  [I, G k] score matrix it avoids.

Accuracies are hard (discretized) test accuracies of the best-validation epoch, i.e. what the
compiled netlist computes. Every figure is printed; nothing is asserted.
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch

from lgn2hw.train import data, interconnect, trainer


def run(ds, label, **kw):
    cfg = trainer.TrainConfig(dataset=ds.name, **kw)
    res = trainer.train(cfg, ds, progress=False)
    c = res.config
    print(f"  {label:<34} {res.gates:>6} gates  test {res.test_accuracy:7.2%}  val {res.val_accuracy:7.2%}"
          f"  (best epoch {res.best_epoch}/{c.epochs}, {res.seconds:6.1f} s)", flush=True)
    return res.test_accuracy


def compare(ds, widths, epochs, seeds, extra=()):
    rows = [("learnable C=8, gradient sampling", dict(interconnect="learnable")),
            ("fixed random", dict(interconnect="fixed")), *extra]
    acc = {label: [] for label, _ in rows}
    for seed in seeds:
        for label, kw in rows:
            acc[label].append(run(ds, f"{label} (seed {seed})", widths=widths, epochs=epochs, seed=seed, **kw))
    lrn, fix = np.mean(acc[rows[0][0]]), np.mean(acc[rows[1][0]])
    print(f"  mean over {len(seeds)} seed(s): learnable {lrn:.2%}, fixed {fix:.2%}, "
          f"learnable - fixed = {100 * (lrn - fix):+.2f} points")
    for label, _ in rows[2:]:
        print(f"  mean {label}: {np.mean(acc[label]):.2%}")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(gates=12000, layers=3, inputs=30720, batch=32):
    dims = [inputs] + [gates] * layers
    gen = torch.Generator().manual_seed(0)
    nets = [interconnect.LearnableInterconnect(dims[i], dims[i + 1], gen) for i in range(layers)]
    ours = sum(n.parameter_bytes() for n in nets)
    dense = sum(gates * 2 * d * 4 for d in dims[:-1])
    dense_all = layers * gates * 2 * inputs * 4
    print(f"  {layers} x {gates:,} gates on {inputs:,} inputs, k=2, C=8: candidates int64 + weights float32 = "
          f"{ours / 2**20:.1f} MiB ({ours / layers / 2**20:.2f} MiB per layer, independent of I)")
    print(f"  dense [G, k, I] float32 weights: {dense / 2**30:.2f} GiB for this net "
          f"({dense_all / 2**30:.2f} GiB if every layer read {inputs:,} inputs); ratio {dense / ours:,.0f}x")
    first = nets[0]
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 2, (batch, inputs), generator=g).float()
    dy = torch.randn(batch, gates, 2, generator=g)
    before = rss_mb()
    t = time.perf_counter()
    new = interconnect.gradient_newcomers(x, dy, 4, exclude=first.kept_candidates(4))
    dt = time.perf_counter() - t
    full = inputs * gates * 2 * 4
    print(f"  gradient-guided sampling round, layer 1, batch {batch}: {dt:.1f} s, peak RSS +{rss_mb() - before:.0f} MiB "
          f"(running top-4 over input chunks; the whole [I, G k] score matrix would be {full / 2**30:.2f} GiB); "
          f"newcomers {list(new.shape)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="yinyang,digits,memory")
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="scale the default epochs (quick looks)")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--extra", action="store_true", help="also uniform sampling and the layer-wise schedule")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    only = set(args.only.split(","))
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = [("learnable, uniform sampling", dict(interconnect="learnable", sampling="uniform")),
             ("learnable, layer-wise schedule", dict(interconnect="learnable", schedule="layerwise"))] \
        if args.extra else []
    print(f"torch {torch.__version__}, {args.threads} thread(s), device {trainer.pick_device('auto')}")
    if "yinyang" in only:
        ds = data.load_dataset("yinyang")
        ep = max(1, round(trainer.DEFAULTS["yinyang"]["epochs"] * args.epochs_scale))
        print(f"Yin-Yang 2 x 100 gates (100, 99), {ep} epochs; bar: learnable >= 96%, fixed below it")
        compare(ds, (100, 99), ep, seeds, extra)
    if "digits" in only:
        ds = data.load_dataset("digits")
        ep = max(1, round(trainer.DEFAULTS["digits"]["epochs"] * args.epochs_scale))
        print(f"digits 3 x 500 gates, 64 x 3 thermometer bits, {ep} epochs: fixed vs learnable at equal gate count")
        compare(ds, (500, 500, 500), ep, seeds, extra)
    if "memory" in only:
        print("interconnect memory")
        memory()


if __name__ == "__main__":
    main()
