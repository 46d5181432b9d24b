# SPDX-License-Identifier: MIT
"""Truth tables: the one definition of what a gate computes.

A node with k inputs (k <= 6) holds its function as a 2**k-bit integer ``table``.
Input 0 is the most significant address bit, and the output for address ``addr``
is bit ``2**k - 1 - addr`` of the table. For k = 2 this is difflogic's op id:
``out(a, b) = (op >> (3 - (2*a + b))) & 1``.

All helpers are vectorized over uint64 arrays of tables that share one arity k.
"""
from __future__ import annotations

import numpy as np

MAX_ARITY = 6

#: Names of the 16 two-input ops, indexed by op id (= truth table).
OP_NAMES: tuple[str, ...] = (
    "FALSE", "AND", "A_AND_NOT_B", "A", "NOT_A_AND_B", "B", "XOR", "OR",
    "NOR", "XNOR", "NOT_B", "A_OR_NOT_B", "NOT_A", "NOT_A_OR_B", "NAND", "TRUE",
)
#: Each 2-input op as a combination of its inputs: (combine, invert a, invert b, invert the
#: result), combine one of "and", "or", "xor", "a" (a wire), "b", "0" (a constant). The reference
#: simulator evaluates this form on packed words; tests check it against the truth tables.
OP_FORM: tuple[tuple[str, bool, bool, bool], ...] = (
    ("0", False, False, False), ("and", False, False, False), ("and", False, True, False),
    ("a", False, False, False), ("and", True, False, False), ("b", False, False, False),
    ("xor", False, False, False), ("or", False, False, False), ("or", False, False, True),
    ("xor", False, False, True), ("b", False, False, True), ("or", False, True, False),
    ("a", False, False, True), ("or", True, False, False), ("and", False, False, True),
    ("0", False, False, True),
)


def _expr(combine: str, inv_a: bool, inv_b: bool, inv_out: bool) -> str:
    if combine == "0":
        return "1" if inv_out else "0"
    if combine in ("a", "b"):
        return ("~" if inv_out else "") + combine
    sym = {"and": "&", "or": "|", "xor": "^"}[combine]
    e = f"{'~' if inv_a else ''}a {sym} {'~' if inv_b else ''}b"
    return f"~({e})" if inv_out else e


#: Operator form of each op (from ``OP_FORM``), for dumps and generated Verilog.
OP_EXPR: tuple[str, ...] = tuple(_expr(*f) for f in OP_FORM)

# Node kinds, as returned by classify().
CONSTANT, WIRE, INVERTER, LOGIC = 0, 1, 2, 3
KIND_NAMES = ("constant", "wire", "inverter", "logic")


def _u64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.uint64)


def full_mask(k: int) -> np.uint64:
    """All 2**k table bits set."""
    return np.uint64((1 << (1 << k)) - 1)


def var_table(i: int, k: int) -> np.uint64:
    """Table of the projection onto input i: its bits are where input i is 1."""
    s = k - 1 - i  # address bit of input i
    t = 0
    for pos in range(1 << k):
        if not (pos >> s) & 1:  # pos = 2**k-1-addr, so addr bit s set <=> pos bit s clear
            t |= 1 << pos
    return np.uint64(t)


def table_bits(tables, k: int) -> np.ndarray:
    """uint8 [N, 2**k]: column addr holds the output at that address."""
    t = _u64(tables).reshape(-1)
    pos = np.arange((1 << k) - 1, -1, -1, dtype=np.uint64)
    return ((t[:, None] >> pos[None, :]) & np.uint64(1)).astype(np.uint8)


def bits_table(bits: np.ndarray, k: int) -> np.ndarray:
    """Inverse of table_bits."""
    bits = np.asarray(bits, dtype=np.uint64).reshape(-1, 1 << k)
    pos = np.arange((1 << k) - 1, -1, -1, dtype=np.uint64)
    return np.bitwise_or.reduce(bits << pos[None, :], axis=1).astype(np.uint64)


def evaluate(tables, k: int, inputs) -> np.ndarray:
    """Output bit (uint8) of each table for the given input bits ([N, k] or [k])."""
    x = np.asarray(inputs, dtype=np.uint64)
    x = np.broadcast_to(x, (np.size(tables), k)) if x.ndim == 1 else x
    addr = np.zeros(x.shape[0], dtype=np.uint64)
    for i in range(k):
        addr = (addr << np.uint64(1)) | x[:, i]
    pos = np.uint64((1 << k) - 1) - addr
    return ((_u64(tables).reshape(-1) >> pos) & np.uint64(1)).astype(np.uint8)


def negate_output(tables, k: int) -> np.ndarray:
    return _u64(tables) ^ full_mask(k)


def negate_input(tables, k: int, i: int) -> np.ndarray:
    """Table of f with input i inverted: g(.., x_i, ..) = f(.., ~x_i, ..)."""
    t = _u64(tables)
    d = np.uint64(1 << (k - 1 - i))
    m1 = var_table(i, k)
    return ((t & m1) << d) | ((t & ~m1 & full_mask(k)) >> d)


def cofactor(tables, k: int, i: int, value: int) -> np.ndarray:
    """Table of f with input i fixed to value (still k inputs, no longer depending on i)."""
    t = _u64(tables)
    d = np.uint64(1 << (k - 1 - i))
    m1 = var_table(i, k)
    if value:
        h = t & m1
        return h | (h << d)
    h = t & ~m1 & full_mask(k)
    return h | (h >> d)


def depends_on(tables, k: int, i: int) -> np.ndarray:
    """bool: does the function depend on input i?"""
    return cofactor(tables, k, i, 0) != cofactor(tables, k, i, 1)


def support_mask(tables, k: int) -> np.ndarray:
    """uint8 bitmask per table: bit i set when the function depends on input i."""
    t = _u64(tables)
    m = np.zeros(t.shape, dtype=np.uint8)
    for i in range(k):
        m |= depends_on(t, k, i).astype(np.uint8) << np.uint8(i)
    return m


def permute_inputs(tables, k: int, perm) -> np.ndarray:
    """Table g with g(y) = f(x) where x[perm[j]] = y[j]; i.e. new input j is old input perm[j]."""
    bits = table_bits(tables, k)
    addr = np.arange(1 << k)
    # old address of each new address: old bit (k-1-perm[j]) = new bit (k-1-j)
    old = np.zeros_like(addr)
    for j, p in enumerate(perm):
        old |= ((addr >> (k - 1 - j)) & 1) << (k - 1 - p)
    return bits_table(bits[:, old], k)


def swap_inputs(tables, k: int = 2, i: int = 0, j: int = 1) -> np.ndarray:
    perm = list(range(k))
    perm[i], perm[j] = perm[j], perm[i]
    return permute_inputs(tables, k, perm)


def classify(tables, k: int) -> np.ndarray:
    """uint8 kind per table: CONSTANT, WIRE (one input, identity), INVERTER, LOGIC (>= 2 inputs)."""
    t = _u64(tables)
    sup = support_mask(t, k)
    nsup = np.zeros(t.shape, dtype=np.uint8)
    for i in range(k):
        nsup += (sup >> np.uint8(i)) & np.uint8(1)
    kind = np.full(t.shape, LOGIC, dtype=np.uint8)
    kind[nsup == 0] = CONSTANT
    one = nsup == 1
    if one.any():
        is_wire = np.zeros(t.shape, dtype=bool)
        for i in range(k):
            is_wire |= (sup == (1 << i)) & (t == var_table(i, k))
        kind[one & is_wire] = WIRE
        kind[one & ~is_wire] = INVERTER
    return kind


def widen(tables, k: int, new_k: int) -> np.ndarray:
    """Same function with new_k >= k inputs; the added inputs are ignored (appended after input k-1)."""
    bits = table_bits(tables, k)
    extra = new_k - k
    return bits_table(np.repeat(bits, 1 << extra, axis=1), new_k)


def from_lsb_first(tables, k: int) -> np.ndarray:
    """Convert a table addressed LSB-first (torch_dwn: addr = sum bit_l << l) to our convention."""
    return permute_inputs(tables, k, list(reversed(range(k))))
