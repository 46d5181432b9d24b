#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Conv simulator vs simulating the unrolled netlist, same model, same images, one run.

    .venv/bin/python bench/bench_conv_sim.py [--model examples/mnist_conv.pt] [--images 2000]

Without --model it builds a random model of the MNIST conv shape (1x28x28, 2 thresholds,
conv(k=16,d=3,rf=3,pad=1)-pool(2)-conv(k=32,d=3,rf=3,pad=1)-pool(2)-dense(2000,1000), 10 classes).
Both sides compute group sums and classes only (output bits not unpacked); the unrolled side
is timed without the unroll and with its SimPlan (as `predict` would run it), and both results
are compared bit for bit. Pin one core with `taskset -c 0` for the issue's one-core figure.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def mnist_shaped(seed: int = 0):
    from _convgen import random_model
    rng = np.random.default_rng(seed)
    return random_model(rng, (1, 28, 28), 2, (("conv", 16, 3, 3, 1, 1, 1), ("pool", 2, 2, 0),
                                            ("conv", 32, 3, 3, 1, 1, 1), ("pool", 2, 2, 0)),
                        widths=(2000, 1000), classes=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a conv checkpoint or conv netlist file (default: random MNIST-shaped)")
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import os
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from lgn2hw.conv_sim import simulate_conv_bits
    from lgn2hw.sim import simulate_bits

    if args.model:
        from lgn2hw.frontends import load_model
        model = load_model(args.model).conv
        if model is None:
            sys.exit(f"{args.model}: not a conv model")
        name = args.model
    else:
        model = mnist_shaped()
        name = "random MNIST-shaped conv model"
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, size=(args.images, model.num_input_bits), dtype=np.uint8)
    t = time.perf_counter()
    flat = model.unroll()
    t_unroll = time.perf_counter() - t
    counts = model.gate_counts()
    print(f"{name}: {counts['shared']:,} gates shared, {counts['unrolled']:,} unrolled "
          f"(unroll {t_unroll:.2f} s, netlist {flat.num_nodes:,} nodes, depth {flat.depth})")

    def best(fn):
        times, out = [], None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return min(times), out

    t_conv, a = best(lambda: simulate_conv_bits(model, bits))
    t_flat, b = best(lambda: simulate_bits(flat, bits, return_output_bits=False))
    same = np.array_equal(a.group_sums, b.group_sums) and np.array_equal(a.classes, b.classes)
    print(f"{'simulator':<34}{'seconds':>10}{'images/s':>12}")
    print(f"{'conv simulator (lgn2hw.conv_sim)':<34}{t_conv:>10.3f}{args.images / t_conv:>12,.0f}")
    print(f"{'unrolled netlist (lgn2hw.sim)':<34}{t_flat:>10.3f}{args.images / t_flat:>12,.0f}")
    print(f"conv simulator speed-up: {t_flat / t_conv:.1f}x; results identical: {same}")
    if not same:
        sys.exit("MISMATCH between the conv simulator and the unrolled netlist")


if __name__ == "__main__":
    main()
