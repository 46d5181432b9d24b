# SPDX-License-Identifier: MIT
"""``greedy-prune{threshold=0.95}``: a gate that takes one value on at least ``threshold`` of
the fit samples becomes that constant (the function changes; constants then propagate).

The data is split into fit and held-out parts (``holdout``); the report gives the held-out
accuracy before and after (and the agreement with the input netlist's classes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import Pass, PassData
from ._data import accuracy, node_ones
from ._rewrite import Rules, rewrite


@dataclass(frozen=True)
class GreedyPrune(Pass):
    name = "greedy-prune"
    exact = False
    needs_data = True
    # below 0.5 a gate would be "constant" both ways; holdout 0 would report the fit data as held out
    ranges = {"threshold": (0.5, 1.0, False, False), "holdout": (0.0, 1.0, True, True)}
    threshold: float = 0.95
    holdout: float = 0.2
    seed: int = 0

    def apply(self, nl, data: PassData):
        fit, held = data.split(self.holdout, self.seed)
        p1 = node_ones(nl, fit.bits)
        to1, to0 = p1 >= self.threshold, (1 - p1) >= self.threshold
        tables = nl.tables.copy()
        tables[to1] = np.uint64((1 << (1 << nl.arity)) - 1)
        tables[to0 & ~to1] = np.uint64(0)
        out, _ = rewrite(nl, Rules(fold=True), tables=tables)
        counters = {"pruned": int((to1 | to0).sum()), "removed": nl.num_nodes - out.num_nodes}
        counters.update(accuracy(out, held, nl))
        return out, counters
