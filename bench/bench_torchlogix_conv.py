#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""torchlogix 0.2.2 import: bit-exactness against torchlogix's own outputs (the issue's bar).

    .venv/bin/python bench/bench_torchlogix_conv.py

For each torchlogix fixture in tests/fixtures/peers (the torchlogix_conv fixture, and the
torchlogix_extra models made with the real torchlogix 0.2.2: a warp/light conv model with two
blocks, and a dense warp/light model), from the full pickle and from state_dict + config:
how many of the 200 reference inputs agree in every bit of the encoded input map, of every
stage (conv simulator with stages=True), of the last logic layer, in the group sums and in the
argmax — through the conv simulator and through simulating the unrolled netlist. Exits 1 if
any count is below the number of inputs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from lgn2hw.conv_sim import simulate_conv_bits
from lgn2hw.frontends import load_model
from lgn2hw.sim import simulate, simulate_bits

PEERS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "peers"
# (folder, stem, input map key, stage keys in order, last logic layer key)
CONV = [("torchlogix_conv", "torchlogix_conv", "input_bits_4d", ["conv1_bits", "pool1_bits"], "dense1_bits"),
        ("torchlogix_extra", "torchlogix_conv_warp_light", "layer0_bits",
         ["layer1_bits", "layer2_bits", "layer3_bits", "layer4_bits"], "layer6_bits")]
DENSE = [("torchlogix_extra", "torchlogix_dense_warp", "layer4_bits")]


def rows(a, b) -> int:
    a, b = np.asarray(a), np.asarray(b)
    return int((a.reshape(len(a), -1) == b.reshape(len(b), -1)).all(axis=1).sum())


def forms(folder: str, stem: str):
    d = PEERS / folder
    yield "full pickle", d / f"{stem}_full_model.pt", {}
    yield "state_dict+config", d / f"{stem}_state_dict.pt", {"config": d / f"{stem}_config.json"}


def main() -> int:
    worst = None
    for folder, stem, map_key, stage_keys, last in CONV:
        ref = np.load(PEERS / folder / f"{stem}_ref.npz")
        n = len(ref["argmax"])
        for form, path, opts in forms(folder, stem):
            imp = load_model(path, **opts)
            m = imp.conv
            bits = m.encode(ref["inputs_real"])
            res = simulate_conv_bits(m, bits, stages=True, return_output_bits=True)
            flat = simulate_bits(imp.netlist, bits)
            counts = {"input map": rows(m.image_bits(bits), ref[map_key])}
            counts.update({key: rows(got, ref[key]) for key, got in zip(stage_keys, res.stages)})
            counts.update({last: rows(res.output_bits, ref[last]), "group sums": rows(res.group_sums, ref["group_sums"]),
                           "argmax": int((res.classes == ref["argmax"]).sum()),
                           f"unrolled ({imp.netlist.num_nodes} gates) {last}": rows(flat.output_bits, ref[last]),
                           "unrolled group sums": rows(flat.group_sums, ref["group_sums"]),
                           "unrolled argmax": int((flat.classes == ref["argmax"]).sum())})
            print(f"{stem} [{form}]: " + ", ".join(f"{k} {v}/{n}" for k, v in counts.items()))
            worst = min(counts.values()) if worst is None else min(worst, *counts.values())
    for folder, stem, last in DENSE:
        ref = np.load(PEERS / folder / f"{stem}_ref.npz")
        n = len(ref["argmax"])
        for form, path, opts in forms(folder, stem):
            res = simulate(load_model(path, **opts).netlist, ref["inputs_real"])
            counts = {last: rows(res.output_bits, ref[last]), "group sums": rows(res.group_sums, ref["group_sums"]),
                      "argmax": int((res.classes == ref["argmax"]).sum())}
            print(f"{stem} [{form}]: " + ", ".join(f"{k} {v}/{n}" for k, v in counts.items()))
            worst = min(counts.values()) if worst is None else min(worst, *counts.values())
    ok = worst == 200
    print("all bit-exact" if ok else f"NOT bit-exact: worst count {worst}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
