# SPDX-License-Identifier: MIT
"""The one Verilog encoding of a gate: a 2-input op as an operator expression (``ops.OP_EXPR``),
a k-input LUT as a constant ROM indexed by its inputs (input 0 = address MSB). The generated
fabric and the naive synthesis baseline (``synth.baseline``) both write gates with it."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import ops

# Verilog expression of each 2-input op over "{a}" and "{b}".
OP2 = tuple(e.replace("a", "{a}").replace("b", "{b}") if e not in ("0", "1") else f"1'b{e}"
            for e in ops.OP_EXPR)


def lut_rom(tables: np.ndarray, k: int) -> np.ndarray:
    """Tables re-addressed so that bit ``addr`` holds the output at address addr."""
    bits = ops.table_bits(tables, k).astype(np.uint64)
    return np.bitwise_or.reduce(bits << np.arange(1 << k, dtype=np.uint64)[None, :], axis=1)


def gate_lines(ids, tables: np.ndarray, k: int, fan: list[str], lhs: Callable[[int], str],
               indent: str = "") -> list[str]:
    """Verilog lines computing the gates ``ids`` (signal ids, tables ``tables``) from the names
    of their fan-ins (``fan``, k per gate); ``lhs(id)`` is what each is assigned to, e.g.
    ``wire g12`` or ``assign s[12]``. A LUT also declares its ROM ``t<id>``."""
    ids = list(ids)
    if k == 2:
        return [f"{indent}{lhs(s)} = " + OP2[t].format(a=fan[2 * j], b=fan[2 * j + 1]) + ";"
                for j, (s, t) in enumerate(zip(ids, np.asarray(tables).tolist()))]
    n = 1 << k
    return [f"{indent}wire [{n - 1}:0] t{s} = {n}'h{r:x};\n{indent}{lhs(s)} = t{s}[{{{', '.join(fan[k * j:k * j + k])}}}];"
            for j, (s, r) in enumerate(zip(ids, lut_rom(np.asarray(tables, dtype=np.uint64), k).tolist()))]
