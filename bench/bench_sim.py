#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference-simulator throughput on random networks (one core).

    .venv/bin/python bench/bench_sim.py [--samples 100000]

Prints samples/s for: the full result (output bits + group sums + classes) and the
hardware's outputs only (group sums + classes, output bits not unpacked), next to the
figures the issue quotes for the peers' compiled C (torchlogix 385,000/s, difflogic
236,000/s after a 46 s compile), as ratios.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from lgn2hw.generate import random_layered
from lgn2hw.sim import simulate_bits

PEERS = {"torchlogix C": 385_000, "difflogic C": 236_000}


def best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"threads: OMP={os.environ.get('OMP_NUM_THREADS', 'unset')} (numpy ufuncs are single-threaded)")
    nets = {"784 -> 4 x 2,000 -> 10": (784, [2000] * 4), "784 -> 3 x 12,000 -> 10": (784, [12000] * 3)}
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (args.samples, 784)).astype(np.uint8)
    header = f"{'network':<26}{'mode':<24}{'samples/s':>12}  " + "  ".join(f"{'vs ' + p:>16}" for p in PEERS)
    print(header)
    for name, (inputs, widths) in nets.items():
        nl = random_layered(inputs, widths, 10, seed=1)
        for mode, kw in (("sums+classes", {"return_output_bits": False}), ("+ output bits", {})):
            dt = best_of(lambda: simulate_bits(nl, bits, **kw), args.repeats)
            rate = args.samples / dt
            ratios = "  ".join(f"{rate / v:>15.2f}x" for v in PEERS.values())
            print(f"{name:<26}{mode:<24}{rate:>12,.0f}  {ratios}")


if __name__ == "__main__":
    main()
