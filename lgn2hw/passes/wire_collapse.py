# SPDX-License-Identifier: MIT
"""``wire-collapse``: wires and inverters disappear.

A node that copies one input is replaced by that input; an inverter is replaced by its input
and the inversion is absorbed into each consumer's truth table. An output that needs an
inverted signal gets one node: the source's own table negated on the same fan-ins (so no level
is added), or an inverter when the source is a primary input.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import Pass
from ._rewrite import Rules, rewrite


@dataclass(frozen=True)
class WireCollapse(Pass):
    name = "wire-collapse"

    def apply(self, nl, data=None):
        out, c = rewrite(nl, Rules(collapse=True))
        return out, {"wires": c["wires"], "inverters": c["inverters"], "removed": nl.num_nodes - out.num_nodes}
