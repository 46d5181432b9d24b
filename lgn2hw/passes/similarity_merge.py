# SPDX-License-Identifier: MIT
"""``similarity-merge{rho=0.99}``: gates of one level whose activations over the fit samples
have Spearman correlation >= rho merge into the earliest of them (its readers read it);
correlation <= -rho merges through an inversion absorbed by the readers.

For 0/1 activations Spearman's rho equals Pearson's (ranks are an affine map of the values),
so it is computed as standardized activations times their transpose, one block of rows at a
time, so a 12,000-gate level never needs a dense G x G matrix. Constant gates (no variance)
are left to ``greedy-prune``. Held-out accuracy before/after is reported.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import Pass, PassData
from ._data import accuracy, activations
from ._rewrite import Rules, rewrite


@dataclass(frozen=True)
class SimilarityMerge(Pass):
    name = "similarity-merge"
    exact = False
    needs_data = True
    ranges = {"rho": (0.0, 1.0, True, False), "holdout": (0.0, 1.0, True, True),
              "block": (1, float("inf"), False, True), "max_samples": (1, float("inf"), False, True)}
    rho: float = 0.99
    holdout: float = 0.2
    block: int = 1024
    max_samples: int = 4096
    seed: int = 0

    def apply(self, nl, data: PassData):
        fit, held = data.split(self.holdout, self.seed)
        bits = fit.bits[: self.max_samples]
        base = nl.base
        rep = np.arange(nl.num_signals, dtype=np.int64)
        inv = np.zeros(nl.num_signals, bool)
        ptr = nl.level_ptr
        for lvl in range(1, nl.depth + 1):
            lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
            z = activations(nl, bits, lo, hi).astype(np.float32)
            z -= z.mean(axis=1, keepdims=True)
            norm = np.linalg.norm(z, axis=1)
            ok = norm > 0
            z[ok] /= norm[ok, None]
            for b0 in range(0, hi - lo, self.block):
                b1 = min(hi - lo, b0 + self.block)
                c = z[b0:b1] @ z[:b1].T  # rows vs this and earlier gates of the level
                c[np.arange(b1)[None, :] >= np.arange(b0, b1)[:, None]] = 0  # only earlier partners
                hit = np.abs(c) >= self.rho
                has = hit.any(axis=1) & ok[b0:b1]
                rows = np.flatnonzero(has)
                first = np.argmax(hit[rows], axis=1)  # the earliest partner
                rep[base + lo + b0 + rows] = base + lo + first
                inv[base + lo + b0 + rows] = c[rows, first] < 0
        out, _ = rewrite(nl, Rules(fold=True), rep, inv)
        counters = {"merged": int((rep[base:] != np.arange(base, nl.num_signals)).sum()),
                    "removed": nl.num_nodes - out.num_nodes}
        counters.update(accuracy(out, held, nl))
        return out, counters
