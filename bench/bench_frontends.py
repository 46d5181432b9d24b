#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checkpoint import speed: peer formats at CIFAR-10 scale (one core).

    .venv/bin/python bench/bench_frontends.py [--gates 12000] [--layers 3] [--inputs 30720]

Writes synthetic checkpoints to a temporary folder (difflogic state_dict + indices, the same
network as a full-model pickle, a torchlogix state_dict, a torch_dwn 6-LUT state_dict) and
prints, per file: reading time with torch.load(weights_only=True) where torch accepts it, with
lgn2hw's restricted unpickler, the full import (read + convert + Netlist.build) and peak
extra memory. The ratio column compares the restricted unpickler with torch's own
weights-only loader on the same file.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import types
from pathlib import Path

import torch

from lgn2hw.frontends import load_model, safe_pickle


def timed(fn, repeats=3):
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def fake_difflogic():
    """Classes named like difflogic's, so torch.save can write a full pickle without difflogic."""
    mod = types.ModuleType("difflogic.difflogic")
    for name in ("LogicLayer", "GroupSum"):
        setattr(mod, name, type(name, (torch.nn.Module,), {"__module__": "difflogic.difflogic"}))
    sys.modules.setdefault("difflogic", types.ModuleType("difflogic"))
    sys.modules["difflogic.difflogic"] = mod
    return mod


def write_checkpoints(folder: Path, inputs: int, gates: int, layers: int, classes: int):
    rng = torch.Generator().manual_seed(0)
    widths = [inputs] + [gates] * layers
    weights = [torch.randn(g, 16, generator=rng) for g in widths[1:]]
    indices = [torch.randint(0, w, (2, g), generator=rng) for w, g in zip(widths, widths[1:])]
    files = {}
    files["difflogic state_dict+indices"] = folder / "dl_indices.pt"
    torch.save({"state_dict": {f"{i}.weights": w for i, w in enumerate(weights)},
                "indices": {str(i): idx for i, idx in enumerate(indices)},
                "config": {"in_dim": inputs, "k": classes, "tau": 10.0}}, files["difflogic state_dict+indices"])
    mod = fake_difflogic()
    mods = []
    for i, (w, idx) in enumerate(zip(weights, indices)):
        m = mod.LogicLayer()
        m.in_dim, m.out_dim = widths[i], widths[i + 1]
        m.weights, m.indices = torch.nn.Parameter(w), (idx[0], idx[1])
        mods.append(m)
    gs = mod.GroupSum()
    gs.k, gs.tau = classes, 10.0
    files["difflogic full pickle"] = folder / "dl_full.pt"
    torch.save(torch.nn.Sequential(torch.nn.Flatten(), *mods, gs), files["difflogic full pickle"])
    sys.modules.pop("difflogic.difflogic")
    files["torchlogix state_dict"] = folder / "tl.pt"
    torch.save({**{f"{i}.weight": w for i, w in enumerate(weights)},
                **{f"{i}.connections.indices": idx for i, idx in enumerate(indices)}}, files["torchlogix state_dict"])
    files["torch_dwn state_dict (n=6)"] = folder / "dwn.pt"
    dwn_widths = [inputs] + [max(gates // 6, classes)] * layers
    torch.save({**{f"{i}.luts": torch.randn(g, 64, generator=rng) for i, g in enumerate(dwn_widths[1:])},
                **{f"{i}.mapping": torch.randint(0, w, (g, 6), generator=rng, dtype=torch.int32)
                   for i, (w, g) in enumerate(zip(dwn_widths, dwn_widths[1:]))}}, files["torch_dwn state_dict (n=6)"])
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=30_720)
    ap.add_argument("--gates", type=int, default=12_000)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--classes", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_checkpoints(Path(tmp), args.inputs, args.gates, args.layers, args.classes)
        print(f"{args.layers} x {args.gates} gates over {args.inputs} inputs, {args.classes} classes")
        print(f"{'file':32s} {'MB':>6s} {'torch wo=True':>14s} {'safe_pickle':>12s} {'ratio':>6s} "
              f"{'import':>8s} {'nodes':>8s} {'peak MB':>8s}")
        for name, path in files.items():
            try:
                t_torch, _ = timed(lambda: torch.load(path, map_location="cpu", weights_only=True))
                torch_txt = f"{t_torch * 1e3:11.1f} ms"
            except Exception:  # full pickles: torch refuses them without code execution
                t_torch, torch_txt = None, f"{'refused':>14s}"
            t_safe, _ = timed(lambda: safe_pickle.load(path))
            ratio = f"{t_safe / t_torch:6.2f}" if t_torch else f"{'-':>6s}"
            tracemalloc.start()
            t_imp, imp = timed(lambda: load_model(path, classes=args.classes), repeats=1)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            print(f"{name:32s} {path.stat().st_size / 2**20:6.1f} {torch_txt} {t_safe * 1e3:9.1f} ms {ratio} "
                  f"{t_imp:7.2f}s {imp.netlist.num_nodes:8d} {peak:8.1f}")


if __name__ == "__main__":
    main()
