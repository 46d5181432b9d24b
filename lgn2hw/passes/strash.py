# SPDX-License-Identifier: MIT
"""``strash``: structural hashing.

Each node is normalized (fan-ins in ascending signal order with the table permuted to match;
output polarity chosen so the all-ones address gives 0) and hashed with its fan-ins; a node
whose key was seen before is replaced by the earlier node, through an inversion absorbed by
its consumers when the two are complements (AND vs NAND on the same inputs).
"""
from __future__ import annotations

from dataclasses import dataclass

from . import Pass
from ._rewrite import Rules, rewrite


@dataclass(frozen=True)
class Strash(Pass):
    name = "strash"

    def apply(self, nl, data=None):
        out, c = rewrite(nl, Rules(strash=True))
        return out, {"merged": c["hashed"], "removed": nl.num_nodes - out.num_nodes}
