# SPDX-License-Identifier: MIT
"""Collect-then-rebuild machinery shared by the rewriting passes.

Every rewriting pass describes its result as a *substitution*: signal ``s`` becomes
``rep[s] XOR inv[s]`` with ``rep[s] <= s``. ``rewrite`` walks the levels once, in order:
a node's fan-ins are substituted (inversions are absorbed into its truth table), then
the enabled rules may replace the node itself. Finally outputs are substituted (an
inversion flips the output's polarity, ``Netlist.output_inv``: no node is kept or made
only to complement an output), the netlist is rebuilt and dead nodes are swept (every
pass ends with ``dce``).

Because a replacement is always an earlier signal of no higher level, levels never grow.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops
from ..ir import Netlist, compact, live_nodes

_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Rules:
    fold: bool = False      # constant fan-ins are cofactored, repeated fan-ins identified, constants propagate
    collapse: bool = False  # wires and inverters are replaced by their input (inverted)
    strash: bool = False    # same normalized function of the same fan-ins (or its complement) is one node


def substitute(tables: np.ndarray, fanin: np.ndarray, rep: np.ndarray, inv: np.ndarray, k: int):
    """Fan-ins through the substitution; inverted fan-ins are absorbed into the tables."""
    fi = rep[fanin]
    ph = inv[fanin]
    t = tables.copy()
    for i in range(k):
        m = ph[:, i]
        if m.any():
            t[m] = ops.negate_input(t[m], k, i)
    return t, fi


def identify_inputs(tables: np.ndarray, k: int, i: int, j: int) -> np.ndarray:
    """Table of f with input j tied to input i (the result ignores input j)."""
    c11 = ops.cofactor(ops.cofactor(tables, k, i, 1), k, j, 1)
    c00 = ops.cofactor(ops.cofactor(tables, k, i, 0), k, j, 0)
    vi = ops.var_table(i, k)
    return (c11 & vi) | (c00 & ~vi & ops.full_mask(k))


def fold_fanins(t: np.ndarray, fi: np.ndarray, k: int) -> None:
    """In place: cofactor constant fan-ins, identify repeated fan-ins."""
    for i in range(k):
        for v in (0, 1):
            m = fi[:, i] == v
            if m.any():
                t[m] = ops.cofactor(t[m], k, i, v)
        fi[fi[:, i] == 1, i] = 0
    for i in range(k):
        for j in range(i + 1, k):
            m = (fi[:, i] == fi[:, j]) & (fi[:, i] > 1)
            if m.any():
                t[m] = identify_inputs(t[m], k, i, j)
                fi[m, j] = 0


def clear_unused(t: np.ndarray, fi: np.ndarray, k: int) -> None:
    """In place: slots the table ignores read signal 0 (canonical form)."""
    for i in range(k):
        fi[~ops.depends_on(t, k, i), i] = 0


def sort_fanins(t: np.ndarray, fi: np.ndarray, k: int) -> None:
    """In place: fan-in slots in ascending signal order, tables permuted to match."""
    if k == 1:
        return
    order = np.argsort(fi, axis=1, kind="stable")
    ident = np.arange(k)
    moved = np.flatnonzero((order != ident).any(axis=1))
    if moved.size == 0:
        return
    perms, inverse = np.unique(order[moved], axis=0, return_inverse=True)
    for p, perm in enumerate(perms):  # at most k! distinct permutations
        rows = moved[inverse.reshape(-1) == p]
        t[rows] = ops.permute_inputs(t[rows], k, perm)
        fi[rows] = fi[rows][:, perm]


def key_hash(t: np.ndarray, fi: np.ndarray) -> np.ndarray:
    """64-bit hash of (table, fan-ins) rows; equal keys are re-checked exactly by the caller."""
    h = t.astype(np.uint64) * _MIX
    for i in range(fi.shape[1]):
        h = (h ^ (h >> np.uint64(31))) * _MIX + fi[:, i].astype(np.uint64)
    return h ^ (h >> np.uint64(29))


class _StrashTable:
    """Sorted (hash -> signal) index of the nodes seen so far; grows level by level."""

    def __init__(self):
        self.h = np.empty(0, np.uint64)
        self.sig = np.empty(0, np.int64)

    def lookup(self, h: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.h, h)
        pos_c = np.minimum(pos, max(self.h.size - 1, 0))
        hit = (pos < self.h.size) & (self.h[pos_c] == h) if self.h.size else np.zeros(h.shape, bool)
        return np.where(hit, self.sig[pos_c] if self.h.size else -1, -1)

    def add(self, h: np.ndarray, sig: np.ndarray) -> None:
        pos = np.searchsorted(self.h, h)
        self.h = np.insert(self.h, pos, h)
        self.sig = np.insert(self.sig, pos, sig)


def rewrite(nl: Netlist, rules: Rules, rep: np.ndarray | None = None, inv: np.ndarray | None = None,
            tables: np.ndarray | None = None) -> tuple[Netlist, dict]:
    """Apply the substitution (pre-set ``rep``/``inv`` entries are merges decided by the caller,
    each onto an earlier signal) plus ``rules``; return the swept netlist and counters."""
    k, base = nl.arity, nl.base
    s_all = np.arange(nl.num_signals, dtype=np.int64)
    rep = s_all.copy() if rep is None else np.asarray(rep, np.int64).copy()
    inv = np.zeros(nl.num_signals, bool) if inv is None else np.asarray(inv, bool).copy()
    preset = rep != s_all
    new_t = (nl.tables if tables is None else np.asarray(tables, np.uint64)).copy()
    new_fi = nl.fanin.astype(np.int64)
    counts = dict(constants=0, wires=0, inverters=0, hashed=0, merged=int(preset[base:].sum()))
    table = _StrashTable() if rules.strash else None
    full = ops.full_mask(k)
    ptr = nl.level_ptr
    for lvl in range(1, nl.depth + 1):
        lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
        sig = base + np.arange(lo, hi, dtype=np.int64)
        t, fi = substitute(new_t[lo:hi], new_fi[lo:hi], rep, inv, k)
        if rules.fold:
            fold_fanins(t, fi, k)
        clear_unused(t, fi, k)
        sort_fanins(t, fi, k)  # canonical form in every pass, so passes agree on fixed points
        # merges decided by the caller: chase the target's own substitution (it is earlier)
        pre = preset[sig]
        if pre.any():
            tgt = rep[sig[pre]]
            rep[sig[pre]] = rep[tgt]
            inv[sig[pre]] = inv[sig[pre]] ^ inv[tgt]
        free = ~pre
        kind = ops.classify(t, k)
        if rules.fold:
            m = free & (kind == ops.CONSTANT)
            rep[sig[m]] = (t[m] != 0).astype(np.int64)
            inv[sig[m]] = False
            counts["constants"] += int(m.sum())
            free &= ~m
        if rules.collapse:
            m = free & ((kind == ops.WIRE) | (kind == ops.INVERTER))
            if m.any():
                slot = np.log2(ops.support_mask(t[m], k)).astype(np.int64)
                rep[sig[m]] = fi[m, slot]
                inv[sig[m]] = kind[m] == ops.INVERTER
                counts["wires"] += int((kind[m] == ops.WIRE).sum())
                counts["inverters"] += int((kind[m] == ops.INVERTER).sum())
            free &= ~m
        if rules.strash and free.any():
            idx = np.flatnonzero(free)
            tt, ff = t[idx], fi[idx]
            pol = (tt & np.uint64(1)).astype(bool)  # normalize so the all-ones address gives 0
            tn = np.where(pol, tt ^ full, tt)
            h = key_hash(tn, ff)
            uh, first, inverse = np.unique(h, return_index=True, return_inverse=True)
            inverse = inverse.reshape(-1)
            earlier = table.lookup(uh)
            cand_local = np.where(earlier >= 0, -1, idx[first])  # first of its kind in this level
            target = np.where(earlier[inverse] >= 0, earlier[inverse], base + lo + cand_local[inverse])
            tgt_node = target - base
            tgt_t = new_t[tgt_node]
            tgt_t = np.where(target >= base + lo, t[np.clip(tgt_node - lo, 0, hi - lo - 1)], tgt_t)
            tgt_f = np.where((target >= base + lo)[:, None], fi[np.clip(tgt_node - lo, 0, hi - lo - 1)],
                             new_fi[tgt_node])
            tgt_pol = (tgt_t & np.uint64(1)).astype(bool)
            tgt_tn = np.where(tgt_pol, tgt_t ^ full, tgt_t)
            same = (target != sig[idx]) & (tgt_tn == tn) & (tgt_f == ff).all(axis=1)
            rep[sig[idx[same]]] = target[same]
            inv[sig[idx[same]]] = pol[same] ^ tgt_pol[same]
            counts["hashed"] += int(same.sum())
            new_keys = earlier < 0
            table.add(uh[new_keys], base + lo + cand_local[new_keys])
        new_t[lo:hi], new_fi[lo:hi] = t, fi
    return _finish(nl, new_t, new_fi, rep, inv), counts


def _finish(nl: Netlist, new_t, new_fi, rep, inv) -> Netlist:
    """Substitute the outputs (an inverted substitution flips the output's polarity, an
    inverted constant is the other constant), rebuild, sweep dead nodes."""
    k = nl.arity
    out = rep[nl.outputs].copy()
    neg = inv[nl.outputs] ^ nl.output_inv
    const = neg & (out <= 1)
    out[const] = 1 - out[const]
    neg &= ~const
    full = Netlist.build(nl.num_inputs, k, new_t, new_fi, out, nl.num_classes, encoder=nl.encoder,
                         tau=nl.tau, provenance=nl.provenance, output_inv=neg)
    out_nl = sweep(full)
    # the rebuild renumbers nodes by level: sort fan-ins again so the output is canonical
    t, f = out_nl.tables.copy(), out_nl.fanin.astype(np.int64)
    sort_fanins(t, f, k)
    return out_nl.replace(tables=t, fanin=f.astype(np.int32))


def sweep(nl: Netlist) -> Netlist:
    """Drop nodes outside the cone of the outputs."""
    keep = live_nodes(nl)
    return nl if keep.all() else compact(nl, keep)
