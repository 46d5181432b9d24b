# SPDX-License-Identifier: MIT
"""Read-only analyses: pure functions Netlist -> dict."""
from __future__ import annotations

import numpy as np

from . import ops
from .ir import Netlist


def gate_counts(nl: Netlist) -> dict:
    """Nodes by kind, by level, depth. ``logic_gates`` counts nodes depending on >= 2 inputs."""
    kinds = nl.kinds()
    by_kind = {name: int(np.count_nonzero(kinds == i)) for i, name in enumerate(ops.KIND_NAMES)}
    per_level = np.bincount(nl.level, minlength=nl.depth + 1)[1:] if nl.num_nodes else np.zeros(0, int)
    return {
        "gates": nl.num_nodes,
        "logic_gates": by_kind["logic"],
        "wires": by_kind["wire"],
        "inverters": by_kind["inverter"],
        "constants": by_kind["constant"],
        "depth": nl.depth,
        "by_level": [int(v) for v in per_level],
    }


def op_histogram(nl: Netlist) -> dict:
    """Count of each truth table (named for 2-input nets)."""
    vals, counts = np.unique(nl.tables, return_counts=True)
    if nl.arity == 2:
        return {ops.OP_NAMES[int(v)]: int(c) for v, c in zip(vals, counts)}
    return {f"0x{int(v):x}": int(c) for v, c in zip(vals, counts)}


def summary(nl: Netlist) -> dict:
    d = gate_counts(nl)
    d.update(inputs=nl.num_inputs, arity=nl.arity, outputs=nl.num_outputs,
             inverted_outputs=int(nl.output_inv.sum()), classes=nl.num_classes,
             group_size=nl.group_size, tau=nl.tau,
             encoder=None if nl.encoder is None else list(nl.encoder.thresholds.shape))
    return d
