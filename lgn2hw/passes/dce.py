# SPDX-License-Identifier: MIT
"""``dce``: trivial pruning, nodes outside the cone of the outputs are removed."""
from __future__ import annotations

from dataclasses import dataclass

from . import Pass
from ._rewrite import sweep


@dataclass(frozen=True)
class Dce(Pass):
    name = "dce"

    def apply(self, nl, data=None):
        out = sweep(nl)
        return out, {"removed": nl.num_nodes - out.num_nodes}
