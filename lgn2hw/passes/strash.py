# SPDX-License-Identifier: MIT
"""``strash``: structural hashing.

Each node is normalized (fan-ins in ascending signal order with the table permuted to match;
output polarity chosen so the all-ones address gives 0) and hashed with its fan-ins; a node
whose key was seen before is replaced by the earlier node, through an inversion absorbed by
its consumers when the two are complements (AND vs NAND on the same inputs); an output that
read the merged gate reads the earlier one inverted (output polarity, ``Netlist.output_inv``),
so a complement twin only outputs read goes too.

Counters: ``merged``, gates the outputs needed that are gone because they duplicated another
gate or its complement; ``removed``, the drop in gate count (``merged`` plus gates no output
needed, swept).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import live_nodes
from . import Pass
from ._rewrite import Rules, rewrite


@dataclass(frozen=True)
class Strash(Pass):
    name = "strash"

    def apply(self, nl, data=None):
        out, _ = rewrite(nl, Rules(strash=True))
        # merges among gates no output needed, or onto one, save nothing: count the live gates gone
        live = int(live_nodes(nl).sum())
        return out, {"merged": live - out.num_nodes, "removed": nl.num_nodes - out.num_nodes}
