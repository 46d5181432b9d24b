#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference-simulator throughput on random networks (one core).

    .venv/bin/python bench/bench_sim.py [--samples 100000]

Prints samples/s for: the full result (output bits + group sums + classes) and the
hardware's outputs only (group sums + classes, output bits not unpacked). Measured in the
same run: a torch baseline (one uint8 tensor per level, gather + truth-table lookup, the
way a hard forward pass runs in the training libraries). Also shown as ratios: the figures
the issue quotes for the peers' compiled C (torchlogix 385,000/s, difflogic 236,000/s after
a 46 s compile), which cannot be built on this machine.
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


def torch_forward(nl, bits):
    """Hard forward pass in torch: one gather and table lookup per level, uint8 per sample."""
    import torch
    x = torch.zeros((bits.shape[0], nl.num_signals), dtype=torch.uint8)
    x[:, 1] = 1
    x[:, 2:nl.base] = torch.from_numpy(bits)
    ptr = nl.level_ptr
    tables = torch.from_numpy(nl.tables.astype(np.int64))
    fanin = torch.from_numpy(nl.fanin.astype(np.int64))
    for lvl in range(1, nl.depth + 1):
        lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
        addr = 2 * x[:, fanin[lo:hi, 0]].long() + x[:, fanin[lo:hi, 1]].long()
        x[:, nl.base + lo:nl.base + hi] = ((tables[lo:hi] >> (3 - addr)) & 1).to(torch.uint8)
    out = x[:, torch.from_numpy(nl.outputs.astype(np.int64))]
    sums = out.view(bits.shape[0], nl.num_classes, -1).sum(dim=2)
    return sums.argmax(dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"threads: OMP={os.environ.get('OMP_NUM_THREADS', 'unset')} (numpy ufuncs are single-threaded)")
    nets = {"784 -> 4 x 2,000 -> 10": (784, [2000] * 4), "784 -> 3 x 12,000 -> 10": (784, [12000] * 3)}
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (args.samples, 784)).astype(np.uint8)
    import torch
    torch.set_num_threads(1)
    header = (f"{'network':<26}{'mode':<24}{'samples/s':>12}  {'vs torch (measured)':>20}  "
              + "  ".join(f"{'vs ' + p + ' (quoted)':>24}" for p in PEERS))
    print(header)
    for name, (inputs, widths) in nets.items():
        nl = random_layered(inputs, widths, 10, seed=1)
        n_torch = min(args.samples, 20_000)
        torch_rate = n_torch / best_of(lambda: torch_forward(nl, bits[:n_torch]), 1)
        print(f"{name:<26}{'torch baseline':<24}{torch_rate:>12,.0f}")
        for mode, kw in (("sums+classes", {"return_output_bits": False}), ("+ output bits", {})):
            dt = best_of(lambda: simulate_bits(nl, bits, **kw), args.repeats)
            rate = args.samples / dt
            ratios = "  ".join(f"{rate / v:>23.2f}x" for v in PEERS.values())
            print(f"{name:<26}{mode:<24}{rate:>12,.0f}  {rate / torch_rate:>19.1f}x  {ratios}")


if __name__ == "__main__":
    main()
