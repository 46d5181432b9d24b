# SPDX-License-Identifier: MIT
"""``const-fold``: constants propagate through truth tables.

A constant fan-in is cofactored out of the reader's table, a signal read twice by one node is
identified (``f(a, a)``), and a node whose table no longer depends on anything becomes the
constant signal 0 or 1. A node left depending on one input stays as a wire or inverter
(``wire-collapse`` removes those). Unused fan-in slots are pointed at signal 0.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import Pass
from ._rewrite import Rules, rewrite


@dataclass(frozen=True)
class ConstFold(Pass):
    name = "const-fold"

    def apply(self, nl, data=None):
        out, c = rewrite(nl, Rules(fold=True))
        return out, {"constants": c["constants"], "removed": nl.num_nodes - out.num_nodes}
