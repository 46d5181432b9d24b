# SPDX-License-Identifier: MIT
"""ctypes binding of the compiled simulator core (``_simcore.c``, built at install time).

The core is an interpreter over the netlist's level-sorted arrays: no per-model compile.
``load()`` returns None when the library was not built (no C compiler at install time);
``sim.py`` then runs its numpy path, which stays the reference the core is tested against.
"""
from __future__ import annotations

import ctypes
import importlib.machinery
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import ops
from .ir import Netlist, inverted_rows

LIB_NAME = "_simcore_lib"
_BLOCK_BYTES = 1 << 20  # value rows of one block (signals x B words x 8) kept about L2-sized


class _Net(ctypes.Structure):
    _fields_ = [
        ("num_inputs", ctypes.c_int64), ("num_signals", ctypes.c_int64), ("num_nodes", ctypes.c_int64),
        ("arity", ctypes.c_int64), ("fanin", ctypes.c_void_p),
        ("tables", ctypes.c_void_p), ("runs", ctypes.c_void_p), ("num_runs", ctypes.c_int64),
        ("outputs", ctypes.c_void_p), ("num_outputs", ctypes.c_int64), ("num_classes", ctypes.c_int64),
    ]


class ConvStageStruct(ctypes.Structure):
    """One stage of a conv model as ``lgn_conv_simulate`` reads it (see _simcore.c)."""
    _fields_ = [(name, ctypes.c_int64) for name in (
        "kind", "out_ch", "oh", "ow", "win", "stride", "in_hp", "in_wp", "out_hp", "out_wp", "out_pad",
        "num_gates")] + [("gate_op", ctypes.c_void_p), ("gate_arg", ctypes.c_void_p),
                         ("num_slots", ctypes.c_int64), ("tile", ctypes.c_int64), ("pad", ctypes.c_int64),
                         ("ring", ctypes.c_int64)]


class ConvModelStruct(ctypes.Structure):
    _fields_ = [("num_stages", ctypes.c_int64), ("stages", ctypes.c_void_p)] + [
        (name, ctypes.c_int64) for name in ("num_inputs", "in_c", "in_t", "in_h", "in_w", "in_pad")] + [
        ("map_cells", ctypes.c_void_p), ("head", ctypes.POINTER(_Net))]


def library_path() -> Path | None:
    here = Path(__file__).resolve().parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        p = here / (LIB_NAME + suffix)
        if p.is_file():
            return p
    return None


@lru_cache(maxsize=None)
def load() -> ctypes.CDLL | None:
    """The core library, or None when it is not built."""
    p = library_path()
    if p is None:
        return None
    lib = ctypes.CDLL(str(p))
    lib.lgn_simulate_bits.argtypes = [ctypes.POINTER(_Net), ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                                      ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    lib.lgn_simulate_bits.restype = ctypes.c_int
    lib.lgn_simulate_packed.argtypes = [ctypes.POINTER(_Net), ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
    lib.lgn_simulate_packed.restype = None
    i64 = ctypes.c_int64
    lib.lgn_cone_check.argtypes = [i64, i64, i64, ctypes.c_void_p, ctypes.c_void_p, i64, ctypes.c_void_p, i64, i64,
                                   ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.lgn_cone_check.restype = ctypes.c_int
    lib.lgn_conv_simulate.argtypes = [ctypes.POINTER(ConvModelStruct), ctypes.c_void_p, ctypes.c_int64,
                                      ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    lib.lgn_conv_simulate.restype = ctypes.c_int
    lib.lgn_conv_plan.argtypes = [i64, i64, ctypes.c_void_p, ctypes.c_void_p, i64, ctypes.c_void_p, ctypes.c_void_p,
                                  ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(i64)]
    lib.lgn_conv_plan.restype = i64
    return lib


def _ptr(a: np.ndarray) -> int:
    return a.ctypes.data


class NativeNet:
    """The netlist as the core reads it: nodes by (level, truth table), runs of equal tables.
    Holds the arrays the C structure points into.

    Rows: the constants and the inputs keep their signal ids; node g of the evaluation order is
    row ``base + g`` (so results are stored in sequence; ``row[s]`` is signal s's row), and
    fan-ins and outputs are given as rows. Output polarity: each signal that an output reads
    inverted gets one more row, computed by an inverter node run after every other node, and
    the output reads that row; so the core's group sums and output bits need no flag
    (``simulate_packed`` returns the netlist's own signals, by signal id)."""

    def __init__(self, nl: Netlist):
        order = np.lexsort((nl.tables, nl.level)) if nl.num_nodes else np.zeros(0, np.int64)
        outputs, srcs = inverted_rows(nl)
        k = nl.arity
        row = np.arange(nl.num_signals + srcs.size, dtype=np.int64)
        row[nl.base + order] = nl.base + np.arange(nl.num_nodes)
        self.row = row[:nl.num_signals]
        self.identity = bool(np.array_equal(order, np.arange(nl.num_nodes)))
        not_a = ops.negate_output(ops.var_table(0, k), k)
        extra_f = np.zeros((srcs.size, k), np.int64)
        extra_f[:, 0] = srcs
        self.tables = np.ascontiguousarray(np.concatenate([nl.tables[order], np.full(srcs.size, not_a, np.uint64)]),
                                           dtype=np.uint64)
        self.fanin = np.ascontiguousarray(row[np.concatenate([nl.fanin[order].astype(np.int64), extra_f])],
                                          dtype=np.int32)
        nodes = self.tables.size
        cuts = np.flatnonzero(self.tables[1:] != self.tables[:-1]) + 1
        self.runs = np.concatenate([[0], cuts, [nodes]]).astype(np.int64) if nodes else np.zeros(1, np.int64)
        self.outputs = np.ascontiguousarray(row[outputs], dtype=np.int32)
        self.net_signals = nl.num_signals
        self.num_signals, self.num_inputs = nl.num_signals + srcs.size, nl.num_inputs
        self.num_outputs, self.num_classes = nl.num_outputs, nl.num_classes
        self.struct = _Net(nl.num_inputs, self.num_signals, nodes, nl.arity, _ptr(self.fanin),
                           _ptr(self.tables), _ptr(self.runs), self.runs.size - 1,
                           _ptr(self.outputs), nl.num_outputs, nl.num_classes)

    def block_words(self) -> int:
        """Words per block: the most of 1, 2, 4, 8, 16 whose value rows fit ``_BLOCK_BYTES``."""
        b = 1
        while b < 16 and 2 * b * 8 * self.num_signals <= _BLOCK_BYTES:
            b *= 2
        return b

    def simulate_bits(self, lib, bits: np.ndarray, sums: bool, out_bits: bool, block: int | None = None,
                      classes: np.ndarray | None = None):
        """bits uint8 [N, I] (C-contiguous) -> (sums int32 [N, C] | None, output bits uint8 [N, O] | None).
        ``classes`` (int64 [N], with ``sums``) receives each sample's argmax, ties to the lowest class.
        A byte other than 0 or 1 raises ValueError (the core checks them while it packs)."""
        n = bits.shape[0]
        s = np.empty((n, self.num_classes), np.int32) if sums else None
        o = np.empty((n, self.num_outputs), np.uint8) if out_bits else None
        if classes is not None and (s is None or classes.dtype != np.int64 or classes.shape != (n,)
                                    or not classes.flags.c_contiguous):
            raise ValueError("classes: expected a C-contiguous int64 [N] array, and sums")
        rc = lib.lgn_simulate_bits(ctypes.byref(self.struct), _ptr(bits), n, None if s is None else _ptr(s),
                                   None if classes is None else _ptr(classes), None if o is None else _ptr(o),
                                   block or self.block_words())
        if rc == -2:
            raise ValueError("input bits must be 0 or 1")
        if rc:
            raise MemoryError("simulator core: out of memory")
        return s, o

    def simulate_packed(self, lib, packed: np.ndarray) -> np.ndarray:
        """packed inputs uint64 [I, W] -> values of every signal uint64 [S, W], rows by signal id."""
        packed = np.ascontiguousarray(packed, dtype=np.uint64)
        w = packed.shape[1]
        vals = np.empty((self.num_signals, w), np.uint64)
        if w:
            lib.lgn_simulate_packed(ctypes.byref(self.struct), _ptr(packed), w, _ptr(vals))
        return vals[:self.net_signals] if self.identity else vals[self.row]


def cone_check(lib, num_inputs: int, tables: np.ndarray, fanin: np.ndarray, pairs: np.ndarray,
               max_inputs: int, max_nodes: int = 1024):
    """Decide pairs (x, r, phase) [P, 3] by simulating every assignment of their cone's
    inputs, for cones of at most ``max_inputs`` inputs and ``max_nodes`` nodes; ``tables`` [N]
    and ``fanin`` [N, k] are the nodes (signal base + n). Returns (status int32 [P]: 0 equal,
    1 differ, 2 undecided; support int64 [P, max_inputs] input signal ids; assign int64 [P]:
    on 'differ', bit i is the value of support[:, i] where the pair differs)."""
    tables = np.ascontiguousarray(tables, np.uint64)
    fanin = np.ascontiguousarray(fanin, np.int64)
    pairs = np.ascontiguousarray(pairs, np.int64).reshape(-1, 3)
    max_inputs = int(min(max_inputs, 20))
    p = pairs.shape[0]
    status = np.full(p, 2, np.int32)
    support = np.zeros((p, max(1, max_inputs)), np.int64)
    assign = np.zeros(p, np.int64)
    num_signals = 2 + num_inputs + tables.shape[0]
    if p and lib.lgn_cone_check(num_inputs, num_signals, fanin.shape[1], _ptr(tables), _ptr(fanin), p, _ptr(pairs),
                                max_inputs, max_nodes, _ptr(status), _ptr(support), _ptr(assign)):
        raise MemoryError("simulator core: out of memory")
    return status, support, assign
