# SPDX-License-Identifier: MIT
"""Export a netlist to BLIF or AIGER, to hand it to ABC or Yosys.

* BLIF (``.blif``): one ``.names`` per node with the on-set of its table over the inputs it
  depends on; inputs ``x<i>``, nodes ``n<signal id>``, outputs ``y<j>`` (buffers, inverters
  for inverted outputs).
* AIGER (``.aag`` ASCII, ``.aig`` binary): each table becomes AND gates with complemented
  edges (a Shannon expansion per distinct table: AND-like ops are 1 AND, XOR/XNOR 3).

Only the function of the output bits is exported (no encoder, no class groups).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from . import ops
from .errors import LgnError
from .ir import Netlist, atomic_write, live_nodes


# ---------------------------------------------------------------------- BLIF
@lru_cache(maxsize=None)
def _cover(table: int, k: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(support slots, on-set rows over them) of a table."""
    t = np.uint64(table)
    sup = tuple(i for i in range(k) if ops.depends_on(t, k, i))
    rows = set()
    for addr in range(1 << k):
        bits = [(addr >> (k - 1 - i)) & 1 for i in range(k)]
        if ops.evaluate(t, k, bits)[0]:
            rows.add("".join(str(bits[i]) for i in sup))
    return sup, tuple(sorted(rows))


def to_blif(nl: Netlist, model: str = "lgn2hw") -> str:
    base = nl.base

    def name(s: int) -> str:
        return "c0" if s == 0 else "c1" if s == 1 else f"x{s - 2}" if s < base else f"n{s}"

    lines = [f".model {model}", ".inputs " + " ".join(f"x{i}" for i in range(nl.num_inputs)),
             ".outputs " + " ".join(f"y{j}" for j in range(nl.num_outputs)), ".names c0", ".names c1", "1"]
    for i in np.flatnonzero(live_nodes(nl)):
        sup, rows = _cover(int(nl.tables[i]), nl.arity)
        lines.append(" ".join([".names", *(name(int(nl.fanin[i, s])) for s in sup), f"n{base + i}"]))
        lines.extend(f"{r} 1" if r else "1" for r in rows)
    for j, (o, neg) in enumerate(zip(nl.outputs.tolist(), nl.output_inv.tolist())):
        lines += [f".names {name(int(o))} y{j}", "0 1" if neg else "1 1"]
    lines.append(".end")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- AIG
@lru_cache(maxsize=None)
def _aig_template(table: int, k: int):
    """AND gates computing a table from literals of its inputs.

    Returns (gates, out): gates is a tuple of (lhs_ref, rhs_ref) pairs where a ref is
    ("in", slot, neg), ("g", index, neg) or ("c", value); ``out`` is a ref.
    """
    gates: list = []

    def neg(ref):
        if ref[0] == "c":
            return ("c", 1 - ref[1])
        return (ref[0], ref[1], 1 - ref[2])

    def AND(a, b):
        if a[0] == "c":
            return b if a[1] else a
        if b[0] == "c":
            return a if b[1] else b
        if a == b:
            return a
        if a == neg(b):
            return ("c", 0)
        gates.append((a, b))
        return ("g", len(gates) - 1, 0)

    def build(t: int):
        t = np.uint64(t)
        sup = [i for i in range(k) if ops.depends_on(t, k, i)]
        if not sup:
            return ("c", int(t != 0))
        x = sup[0]
        f1 = int(ops.cofactor(t, k, x, 1))
        f0 = int(ops.cofactor(t, k, x, 0))
        xv = ("in", x, 0)
        full = int(ops.full_mask(k))
        if f0 == 0 and f1 == full:
            return xv
        if f0 == full and f1 == 0:
            return neg(xv)
        if f0 == 0:
            return AND(xv, build(f1))
        if f1 == 0:
            return AND(neg(xv), build(f0))
        if f0 == full:
            return neg(AND(xv, neg(build(f1))))
        if f1 == full:
            return neg(AND(neg(xv), neg(build(f0))))
        b1, b0 = build(f1), build(f0)
        return neg(AND(neg(AND(xv, b1)), neg(AND(neg(xv), b0))))

    out = build(table)
    return tuple(gates), out


def to_aig(nl: Netlist) -> tuple[int, np.ndarray, np.ndarray]:
    """(num_inputs, and_gates int64 [A, 3] of (lhs, rhs0, rhs1) literals, output literals [O]).

    Variables: inputs are 1..I, AND gates I+1.. in topological order; literal = 2*var + neg.
    """
    base, k = nl.base, nl.arity
    lit = np.zeros(nl.num_signals, np.int64)
    lit[1] = 1
    lit[2:base] = 2 * np.arange(1, nl.num_inputs + 1)
    live = live_nodes(nl)
    ands: list[np.ndarray] = []
    next_var = nl.num_inputs + 1
    ptr = nl.level_ptr
    for lvl in range(1, nl.depth + 1):
        lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
        idx = lo + np.flatnonzero(live[lo:hi])
        if idx.size == 0:
            continue
        tabs = nl.tables[idx]
        fin = lit[nl.fanin[idx]]  # [G, k] input literals
        for t in np.unique(tabs):
            sel = idx[tabs == t]
            f = fin[tabs == t]
            gates, out = _aig_template(int(t), k)
            g_lit = np.zeros((sel.size, len(gates)), np.int64)

            def ref_lit(ref):
                if ref[0] == "c":
                    return np.full(sel.size, ref[1], np.int64)
                v = f[:, ref[1]] if ref[0] == "in" else g_lit[:, ref[1]]
                return v ^ ref[2]
            for j, (a, b) in enumerate(gates):
                la, lb = ref_lit(a), ref_lit(b)
                lhs = 2 * (next_var + np.arange(sel.size))
                next_var += sel.size
                g_lit[:, j] = lhs
                ands.append(np.stack([lhs, np.maximum(la, lb), np.minimum(la, lb)], axis=1))
            lit[base + sel] = ref_lit(out)
    gates = np.concatenate(ands) if ands else np.zeros((0, 3), np.int64)
    return nl.num_inputs, gates, lit[nl.outputs] ^ nl.output_inv.astype(np.int64)


def _varint(values: np.ndarray) -> bytes:
    """AIGER's 7-bit little-endian variable-length encoding of non-negative integers."""
    values = np.asarray(values, np.uint64)
    out = bytearray()
    groups = []
    v = values.copy()
    for _ in range(10):
        groups.append(v & np.uint64(0x7F))
        v = v >> np.uint64(7)
        if not v.any():
            break
    g = np.stack(groups, axis=1).astype(np.uint8)  # [N, G]
    nbytes = np.maximum(1, np.ceil(np.log2(values.astype(np.float64) + 1) / 7)).astype(np.int64)
    nbytes[values == 0] = 1
    cont = np.arange(g.shape[1])[None, :] < (nbytes[:, None] - 1)
    g = g | (cont.astype(np.uint8) << 7)
    keep = np.arange(g.shape[1])[None, :] < nbytes[:, None]
    out.extend(g[keep].tobytes())
    return bytes(out)


def to_aiger(nl: Netlist, binary: bool = True) -> bytes:
    num_in, gates, outs = to_aig(nl)
    a = gates.shape[0]
    m = num_in + a
    head = f"{'aig' if binary else 'aag'} {m} {num_in} 0 {outs.size} {a}\n"
    # symbol table: the same names as the BLIF export, so ABC's cec can match ports
    symbols = "".join(f"i{i} x{i}\n" for i in range(num_in)) + "".join(f"o{j} y{j}\n" for j in range(outs.size))
    if binary:
        body = "".join(f"{int(o)}\n" for o in outs).encode()
        deltas = np.stack([gates[:, 0] - gates[:, 1], gates[:, 1] - gates[:, 2]], axis=1).reshape(-1)
        return head.encode() + body + _varint(deltas) + symbols.encode()
    lines = [head.rstrip("\n")]
    lines += [str(2 * (i + 1)) for i in range(num_in)]
    lines += [str(int(o)) for o in outs]
    lines += [f"{int(x)} {int(y)} {int(z)}" for x, y, z in gates]
    return ("\n".join(lines) + "\n" + symbols).encode()


FORMATS = {".blif": "blif", ".aag": "aag", ".aig": "aig"}


def export(nl: Netlist, path) -> str:
    """Write ``nl`` to ``path``; the format follows the suffix (.blif, .aag, .aig)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise LgnError(f"{path}: unknown export format {path.suffix!r}; use one of {', '.join(FORMATS)}")
    data = to_blif(nl).encode() if fmt == "blif" else to_aiger(nl, binary=fmt == "aig")

    def write(tmp):
        Path(tmp).write_bytes(data)
    atomic_write(path, write)
    return fmt
