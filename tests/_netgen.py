# SPDX-License-Identifier: MIT
"""Hand-built and hypothesis-generated small netlists for the pass tests."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from lgn2hw.ir import Netlist
from lgn2hw.sim import simulate_bits

# 2-input op ids (difflogic numbering)
FALSE, AND, A_AND_NOT_B, A, NOT_A_AND_B, B, XOR, OR, NOR, XNOR, NOT_B, A_OR_NOT_B, NOT_A, NOT_A_OR_B, NAND, TRUE = range(16)


def make(num_inputs: int, nodes, outputs, classes: int = 1, arity: int = 2) -> Netlist:
    """nodes: [(table, (fanin ids...)), ...] in order; node j is signal 2 + num_inputs + j."""
    tables = np.array([t for t, _ in nodes], dtype=np.uint64)
    fanin = np.array([f for _, f in nodes], dtype=np.int64).reshape(len(nodes), arity)
    return Netlist.build(num_inputs, arity, tables, fanin, outputs, classes)


def all_inputs(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8).reshape(-1, n)


def outputs_table(nl: Netlist) -> np.ndarray:
    """Output bits on every input vector (exhaustive: a complete check for few inputs)."""
    return simulate_bits(nl, all_inputs(nl.num_inputs)).output_bits


@st.composite
def netlists(draw, max_inputs: int = 6, max_nodes: int = 24, arities=(2, 2, 2, 3), inverted: bool = True) -> Netlist:
    """Random small netlists with constants, wires, inverters, duplicates, complements and skips;
    with ``inverted``, about a quarter of the outputs are inverted (output polarity)."""
    k = draw(st.sampled_from(arities))
    n_in = draw(st.integers(1, max_inputs))
    n = draw(st.integers(1, max_nodes))
    full = (1 << (1 << k)) - 1
    tables, fanin = [], []
    for j in range(n):
        own = 2 + n_in + j
        style = draw(st.sampled_from(["random", "random", "const", "wire", "inv", "dup", "compl"]))
        if style in ("dup", "compl") and j > 0:
            src = draw(st.integers(0, j - 1))
            t = tables[src] if style == "dup" else full ^ tables[src]
            f = list(fanin[src])
            if draw(st.booleans()) and k == 2:  # commuted copy
                from lgn2hw import ops
                t = int(ops.swap_inputs(np.uint64(t))[0])
                f = f[::-1]
        else:
            f = [draw(st.integers(0, own - 1)) for _ in range(k)]
            if style == "const":
                t = draw(st.sampled_from([0, full]))
            elif style in ("wire", "inv"):
                from lgn2hw import ops
                t = int(ops.var_table(draw(st.integers(0, k - 1)), k))
                t = t if style == "wire" else full ^ t
            else:
                t = draw(st.integers(0, full))
        tables.append(t)
        fanin.append(f)
    total = 2 + n_in + n
    classes = draw(st.sampled_from([1, 2]))
    n_out = classes * draw(st.integers(1, 4))
    outputs = [draw(st.integers(0, total - 1)) if draw(st.integers(0, 4)) == 0 else
               draw(st.integers(2 + n_in, total - 1)) for _ in range(n_out)]
    output_inv = [inverted and draw(st.integers(0, 3)) == 0 for _ in range(n_out)]
    return Netlist.build(n_in, k, np.array(tables, np.uint64), np.array(fanin, np.int64).reshape(n, k),
                         outputs, classes, output_inv=np.array(output_inv, bool))
