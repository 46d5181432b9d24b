# SPDX-License-Identifier: MIT
"""Reference simulator: bit-packed, 64 samples per uint64 word, level by level.

This is the golden model: passes, frontends and the generated hardware are all checked
against it. Two engines compute the same thing:

- ``native``: the compiled core (``_simcore.c``, built at install time, no per-model
  compile), an interpreter over the level-sorted arrays that packs the input bytes, runs
  blocks of samples through the whole net and counts the groups in place;
- ``numpy``: one vectorized step per level (gather, truth tables as masks), the fallback
  when the core is not built, and the cross-check in the tests.

``auto`` (the default) takes the core when it is there; ``LGN2HW_SIM=numpy`` in the
environment forces the numpy engine.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import _simcore, ops
from .ir import Netlist, NetlistError

ENGINES = ("auto", "native", "numpy")

_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
# Working-set budget per chunk of samples (signal rows x words x 8 bytes);
_CHUNK_BYTES = 8 << 20  # cache-sized: 8 MB measured 1.5x faster than 48 MB


@dataclass(frozen=True)
class SimResult:
    output_bits: np.ndarray  # uint8 [N, O]
    group_sums: np.ndarray   # int32 [N, C]
    classes: np.ndarray      # int64 [N]


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """uint8 [N, M] 0/1 -> uint64 [M, ceil(N/64)]; sample s is bit s%64 of word s//64."""
    bits = np.asarray(bits, dtype=np.uint8)
    n, m = bits.shape
    words = (n + 63) // 64
    if m == 0:
        return np.zeros((0, words), dtype=np.uint64)
    if n != words * 64:
        padded = np.zeros((words * 64, m), dtype=np.uint8)
        padded[:n] = bits
        bits = padded
    # byte j of a sample block holds samples 8j..8j+7: OR eight shifted sample rows at once
    rows = bits.reshape(-1, 8, m)
    acc = rows[:, 0, :].copy()
    for j in range(1, 8):
        acc |= rows[:, j, :] << np.uint8(j)
    return np.ascontiguousarray(acc.T).view("<u8").astype(np.uint64, copy=False)


def unpack_bits(words: np.ndarray, n: int) -> np.ndarray:
    """uint64 [M, W] -> uint8 [N, M] (inverse of pack_bits)."""
    w = np.ascontiguousarray(words, dtype="<u8")
    bits = np.unpackbits(w.view(np.uint8), axis=1, bitorder="little")[:, :n]
    return np.ascontiguousarray(bits.T)


class SimPlan:
    """Evaluation order, precomputed once per netlist.

    Within each level the nodes are grouped by truth table, and the plan numbers signals in
    that grouped order ("slots"), so every group's result is written in place into one
    contiguous block of rows: no scatter per level. ``slot[signal]`` maps ids to slots.
    """

    def __init__(self, nl: Netlist):
        self.levels = []
        ptr = nl.level_ptr
        slot = np.arange(nl.num_signals, dtype=np.int64)
        orders = []
        for lvl in range(1, nl.depth + 1):
            lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
            order = np.argsort(nl.tables[lo:hi], kind="stable")
            slot[nl.base + lo + order] = nl.base + lo + np.arange(hi - lo)
            orders.append(order)
        for lvl, order in enumerate(orders, start=1):
            lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
            stab = nl.tables[lo:hi][order]
            cuts = np.flatnonzero(np.diff(stab)) + 1
            bounds = np.concatenate([[0], cuts, [hi - lo]]).astype(np.int64)
            groups = [(int(s), int(e), int(stab[s])) for s, e in zip(bounds[:-1], bounds[1:])]
            self.levels.append((slot[nl.fanin[lo:hi][order]].T.copy(), groups, nl.base + lo, hi - lo))
        self.slot = slot
        self.identity = bool(np.array_equal(slot, np.arange(nl.num_signals)))
        self.output_slots = slot[nl.outputs]
        self.outputs = nl.outputs
        self.output_inv = np.flatnonzero(nl.output_inv)  # outputs that are complements of their signal
        self._native = None

    def outputs_of(self, vals: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Output words [O, W] from signal rows ``vals`` read at ``slots`` (output polarity applied)."""
        outs = vals[slots]
        if self.output_inv.size:
            outs[self.output_inv] ^= _ONES
        return outs

    def native(self, nl: Netlist) -> "_simcore.NativeNet":
        """The netlist as the compiled core reads it (made once per plan)."""
        if self._native is None:
            self._native = _simcore.NativeNet(nl)
        return self._native


def native_core(engine: str = "auto"):
    """The compiled core for ``engine`` ('auto', 'native', 'numpy'), or None for numpy."""
    if engine not in ENGINES:
        raise ValueError(f"unknown simulator engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if engine == "numpy" or (engine == "auto" and os.environ.get("LGN2HW_SIM", "").lower() == "numpy"):
        return None
    lib = _simcore.load()
    if lib is None and engine == "native":
        raise NetlistError("the compiled simulator core is not built (reinstall lgn2hw with a C compiler)")
    return lib


_COMBINE = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}


def _apply_op2(op: int, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = op(a, b) on packed words; op is a 2-input truth table, evaluated in its
    ``ops.OP_FORM`` (the one statement of the 16 ops)."""
    combine, inv_a, inv_b, inv_out = ops.OP_FORM[op]
    if combine == "0":
        out[...] = _ONES if inv_out else 0
        return
    if combine in ("a", "b"):
        x = a if combine == "a" else b
        if inv_out:
            np.invert(x, out=out)
        else:
            out[...] = x
        return
    _COMBINE[combine](~a if inv_a else a, ~b if inv_b else b, out=out)
    if inv_out:
        np.invert(out, out=out)


def _apply_lut(tables: np.ndarray, k: int, x: np.ndarray) -> np.ndarray:
    """k-input LUTs on packed words by a mux tree. x: uint64 [k, G, W]; returns [G, W]."""
    g = tables.shape[0]
    pos = np.arange((1 << k) - 1, -1, -1, dtype=np.uint64)
    masks = ((tables[:, None] >> pos[None, :]) & np.uint64(1)) * _ONES  # [G, 2^k] by address
    t = masks[:, :, None]
    for i in range(k - 1, -1, -1):  # input k-1 is the least significant address bit
        xi = x[i][:, None, :]
        t = (t[:, 1::2] & xi) | (t[:, 0::2] & ~xi)
    return np.broadcast_to(t[:, 0, :], (g, x.shape[2]))


def _run(nl: Netlist, packed_inputs: np.ndarray, plan: SimPlan) -> np.ndarray:
    """Values of every signal, in the plan's slot order [S, W]."""
    w = packed_inputs.shape[1]
    vals = np.empty((nl.num_signals, w), dtype=np.uint64)
    vals[0] = 0
    vals[1] = _ONES
    vals[2:nl.base] = packed_inputs
    k = nl.arity
    for fan_t, groups, start, count in plan.levels:
        out = vals[start:start + count]
        if k == 2:
            a = vals[fan_t[0]]
            b = vals[fan_t[1]]
            for s, e, op in groups:
                _apply_op2(op, a[s:e], b[s:e], out[s:e])
        else:
            tabs = np.concatenate([np.full(e - s, op, dtype=np.uint64) for s, e, op in groups])
            out[...] = _apply_lut(tabs, k, vals[fan_t])
    return vals


def simulate_packed(nl: Netlist, packed_inputs: np.ndarray, plan: SimPlan | None = None,
                    engine: str = "auto") -> np.ndarray:
    """Evaluate on packed inputs uint64 [I, W]; returns packed values of every signal [S, W]."""
    plan = plan or SimPlan(nl)
    lib = native_core(engine)
    if lib is not None:
        return plan.native(nl).simulate_packed(lib, packed_inputs)
    vals = _run(nl, packed_inputs, plan)
    return vals if plan.identity else vals[plan.slot]


def output_words(nl: Netlist, packed_inputs: np.ndarray, plan: SimPlan | None = None,
                 engine: str = "auto") -> np.ndarray:
    """Packed output bits uint64 [O, W] for packed inputs [I, W] (W may be any word count)."""
    plan = plan or SimPlan(nl)
    lib = native_core(engine)
    if lib is not None:
        return plan.outputs_of(plan.native(nl).simulate_packed(lib, packed_inputs), plan.outputs)
    return plan.outputs_of(_run(nl, packed_inputs, plan), plan.output_slots)


def simulate_bits(nl: Netlist, bits: np.ndarray, return_output_bits: bool = True) -> SimResult:
    """Run the netlist on input bits uint8 [N, I].

    ``return_output_bits=False`` skips unpacking the output bits (GroupSums and classes are
    computed on packed words) and leaves ``output_bits`` as None.
    """
    return simulate_bits_with(nl, bits, return_output_bits)


def simulate_bits_with(nl: Netlist, bits: np.ndarray, return_output_bits: bool = True,
                       engine: str = "auto") -> SimResult:
    """``simulate_bits`` on a chosen engine ('auto', 'native' or 'numpy'; see the module doc)."""
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != nl.num_inputs:
        raise NetlistError(f"input bits must be [N, {nl.num_inputs}], got {list(bits.shape)}")
    lib = native_core(engine)
    # uint8 bytes other than 0/1: the core refuses them while it packs (no pass of its own here)
    if bits.dtype != np.uint8 or (lib is None and bits.size and bits.max() > 1):
        if bits.size and (bits.max() > 1 or bits.min() < 0):
            raise NetlistError("input bits must be 0 or 1")
        bits = bits.astype(np.uint8)
    n = bits.shape[0]
    if lib is not None:
        classes = np.empty(n, np.int64)
        try:
            sums, out_bits = _simcore.NativeNet(nl).simulate_bits(lib, np.ascontiguousarray(bits), True,
                                                                   return_output_bits, classes=classes)
        except ValueError as e:
            raise NetlistError(str(e)) from None
        return SimResult(out_bits, sums, classes)
    plan = SimPlan(nl)
    words_per_chunk = max(1, _CHUNK_BYTES // (8 * max(1, nl.num_signals)))
    samples_per_chunk = 64 * words_per_chunk
    out_bits = np.empty((n, nl.num_outputs), dtype=np.uint8) if return_output_bits else None
    sums = np.empty((n, nl.num_classes), dtype=np.int32)
    for lo in range(0, n, samples_per_chunk):
        hi = min(n, lo + samples_per_chunk)
        outs = plan.outputs_of(_run(nl, pack_bits(bits[lo:hi]), plan), plan.output_slots)
        sums[lo:hi] = packed_group_sums(outs, nl.num_classes, hi - lo)
        if return_output_bits:
            out_bits[lo:hi] = unpack_bits(outs, hi - lo)
    return SimResult(out_bits, sums, argmax_lowest(sums))


def packed_group_sums(outs: np.ndarray, num_classes: int, n: int) -> np.ndarray:
    """Popcount per class group on packed output words [O, W] -> int32 [n, C].

    A carry-save adder tree on bit planes, all classes and all triples at once: rows of
    weight 2**b are reduced three at a time by full adders until one row per weight is left,
    so nothing is unpacked per output bit.
    """
    o, w = outs.shape
    rows = {0: outs.reshape(num_classes, o // num_classes, w)}
    planes = {}
    b = 0
    while b in rows:
        x = rows.pop(b)
        while x.shape[1] > 1:
            m = x.shape[1] // 3 * 3
            if m:
                a, c, d = x[:, 0:m:3], x[:, 1:m:3], x[:, 2:m:3]
                ac = a ^ c
                total, carry = ac ^ d, (a & c) | (ac & d)
            else:  # two rows left: half adder
                a, c = x[:, 0:1], x[:, 1:2]
                total, carry, m = a ^ c, a & c, 2
            x = np.concatenate([total, x[:, m:]], axis=1)
            rows[b + 1] = np.concatenate([rows[b + 1], carry], axis=1) if b + 1 in rows else carry
        if x.shape[1]:
            planes[b] = x[:, 0]
        b += 1
    sums = np.zeros((n, num_classes), dtype=np.int32)
    for b, p in planes.items():
        sums += unpack_bits(p, n).astype(np.int32) << b
    return sums


def simulate(nl: Netlist, x: np.ndarray) -> SimResult:
    """Run on real-valued features [N, F] through the netlist's encoder."""
    if nl.encoder is None:
        raise NetlistError("this netlist has no input encoder: give input bits instead of features")
    return simulate_bits(nl, nl.encoder.encode(x))


def group_sums(output_bits: np.ndarray, num_classes: int) -> np.ndarray:
    n, o = output_bits.shape
    return output_bits.reshape(n, num_classes, o // num_classes).sum(axis=2, dtype=np.int32)


def argmax_lowest(sums: np.ndarray) -> np.ndarray:
    """Argmax per row; ties go to the lowest class index (numpy's argmax already does)."""
    return np.argmax(sums, axis=1).astype(np.int64)
