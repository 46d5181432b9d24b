# SPDX-License-Identifier: MIT
"""Random layered netlists for tests and benchmarks (numpy only, seeded)."""
from __future__ import annotations

import numpy as np

from .ir import Netlist

#: Probability of each 2-input op in trained LGNs (roughly: many pass-throughs, few constants).
REALISTIC_OP_MIX = np.array([
    0.01,  # FALSE
    0.06,  # AND
    0.04,  # A_AND_NOT_B
    0.30,  # A
    0.04,  # NOT_A_AND_B
    0.10,  # B
    0.05,  # XOR
    0.06,  # OR
    0.04,  # NOR
    0.05,  # XNOR
    0.02,  # NOT_B
    0.05,  # A_OR_NOT_B
    0.02,  # NOT_A
    0.05,  # NOT_A_OR_B
    0.10,  # NAND
    0.01,  # TRUE
])
REALISTIC_OP_MIX = REALISTIC_OP_MIX / REALISTIC_OP_MIX.sum()


def random_layered(num_inputs: int, widths: list[int], num_classes: int, arity: int = 2,
                   seed: int = 0, op_mix: str = "realistic", skip_prob: float = 0.0) -> Netlist:
    """A layered LGN: layer l reads layer l-1 (or, with ``skip_prob``, any earlier signal).

    ``op_mix``: "realistic" (REALISTIC_OP_MIX, arity 2 only) or "uniform" over all tables.
    The last width must be divisible by ``num_classes``.
    """
    rng = np.random.default_rng(seed)
    base = 2 + num_inputs
    prev = np.arange(2, base, dtype=np.int64)
    tables, fanin = [], []
    next_id = base
    for w in widths:
        if arity == 2 and op_mix == "realistic":
            t = rng.choice(16, size=w, p=REALISTIC_OP_MIX).astype(np.uint64)
        else:
            bits = rng.integers(0, 2, size=(w, 1 << arity), dtype=np.uint64)
            t = np.bitwise_or.reduce(bits << np.arange(1 << arity, dtype=np.uint64), axis=1)
        f = prev[rng.integers(0, prev.size, size=(w, arity))]
        if skip_prob > 0:
            skip = rng.random((w, arity)) < skip_prob
            f[skip] = rng.integers(0, next_id, size=int(skip.sum()))
        tables.append(t)
        fanin.append(f)
        prev = np.arange(next_id, next_id + w, dtype=np.int64)
        next_id += w
    return Netlist.build(num_inputs, arity, np.concatenate(tables), np.concatenate(fanin), prev, num_classes,
                         provenance={"format": "random", "seed": seed})
