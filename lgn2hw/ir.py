# SPDX-License-Identifier: MIT
"""The netlist IR: a gate-level network held in flat numpy arrays.

Contract (every frontend, pass, simulator and backend agrees on it):

=================  ===============================================================
signal ids         0 and 1 are the constants FALSE/TRUE, 2 .. 2+I-1 the primary input
                   bits, then node n has signal id ``2 + I + n``.
``tables``         uint64 [N]: the node's truth table over ``arity`` inputs (see ops.py;
                   for arity 2 this is difflogic's op id).
``fanin``          int32 [N, arity]: signal ids read by each node; always < the node's own
                   id (so the order is topological and cycles cannot exist). A node that
                   uses fewer inputs points the unused slots anywhere earlier (usually 0)
                   and its table ignores them. Fan-ins may skip levels.
``level``          int32 [N]: 1 + max level of its fan-ins (inputs and constants are 0).
                   Nodes are sorted by level; ``level_ptr[L-1]:level_ptr[L]`` are level L.
``outputs``        int32 [O]: signal ids of the output bits (may be constants or inputs).
``output_inv``     bool [O]: output polarity; output j is the complement of signal
                   ``outputs[j]`` where set (so no gate is kept only to invert an output).
                   All false by default; only the file form version 2 stores it.
``num_classes``    C: the outputs form C equal contiguous groups; GroupSum is the popcount
                   of each group, the predicted class its argmax (ties -> lowest index).
``encoder``        optional thermometer encoder: thresholds float64 [F, T]; input bit
                   ``f*T + t`` is ``x_f > thresholds[f, t]``. Its input count is F*T = I.
``tau``            GroupSum temperature (training only; hardware ignores it).
``provenance``     dict: source format, checkpoint file name and sha256, notes.
=================  ===============================================================

A Netlist is treated as immutable: passes build new ones (see ``Netlist.build``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ops

FORMAT_NAME = "lgn2hw-netlist"
FORMAT_VERSION = 2          # 2: output polarity (``output_inv``); version 1 files still load
READ_VERSIONS = (1, 2)


class NetlistError(ValueError):
    """An invalid netlist; the message names the node or field at fault."""


@dataclass(frozen=True)
class Encoder:
    """Thermometer encoder: input bit f*T + t = (x_f > thresholds[f, t])."""

    thresholds: np.ndarray  # float64 [F, T]

    @property
    def num_features(self) -> int:
        return int(self.thresholds.shape[0])

    @property
    def bits_per_feature(self) -> int:
        return int(self.thresholds.shape[1])

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim > 2 and int(np.prod(x.shape[1:])) == self.num_features:
            x = x.reshape(x.shape[0], -1)  # images [N, C, H, W] in (c, h, w) order
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise NetlistError(f"encoder expects features [N, {self.num_features}], got {list(x.shape)}")
        bits = x[:, :, None] > self.thresholds[None, :, :]
        return bits.reshape(x.shape[0], self.num_features * self.bits_per_feature).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class Netlist:
    num_inputs: int
    arity: int
    tables: np.ndarray
    fanin: np.ndarray
    level: np.ndarray
    outputs: np.ndarray
    num_classes: int
    encoder: Encoder | None = None
    tau: float = 1.0
    provenance: dict = field(default_factory=dict)
    output_inv: np.ndarray | None = None  # bool [O]; None means no output is inverted

    def __post_init__(self):
        if self.output_inv is None:
            object.__setattr__(self, "output_inv", np.zeros(np.shape(self.outputs)[:1], dtype=bool))

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, num_inputs: int, arity: int, tables, fanin, outputs, num_classes: int,
              encoder: Encoder | None = None, tau: float = 1.0, provenance: dict | None = None,
              levels=None, output_inv=None) -> "Netlist":
        """Make a netlist from nodes in any topological order (fan-in ids < own id).

        Levels are computed (or taken from ``levels`` when the caller knows them), nodes
        are stably sorted by level and all ids renumbered. ``output_inv`` (bool [O], default
        none set) marks outputs that are the complement of their signal. The result is validated.
        """
        tables = np.ascontiguousarray(tables, dtype=np.uint64).reshape(-1)
        n = tables.shape[0]
        fanin = np.ascontiguousarray(fanin, dtype=np.int64).reshape(n, arity)
        outputs = np.ascontiguousarray(outputs, dtype=np.int64).reshape(-1)
        if output_inv is None:
            output_inv = np.zeros(outputs.shape, dtype=bool)
        else:
            output_inv = np.asarray(output_inv)
            if output_inv.dtype.kind not in "biu" or output_inv.shape != outputs.shape \
                    or (output_inv.size and int(output_inv.max()) > 1) or (output_inv.size and int(output_inv.min()) < 0):
                raise NetlistError(f"output_inv: expected {outputs.size} flags of 0/1, got {output_inv.dtype} "
                                   f"of shape {list(output_inv.shape)}")
            output_inv = np.ascontiguousarray(output_inv, dtype=bool)
        base = 2 + num_inputs
        _check_fanin(fanin, base)
        level = compute_levels(fanin, base) if levels is None else np.asarray(levels, np.int32)
        order = np.argsort(level, kind="stable")
        if np.any(order != np.arange(n)):
            remap = np.arange(base + n, dtype=np.int64)
            remap[base + order] = base + np.arange(n)
            tables, fanin, level = tables[order], remap[fanin[order]], level[order]
            ok = (outputs >= 0) & (outputs < base + n)
            outputs = np.where(ok, remap[np.where(ok, outputs, 0)], outputs)
        nl = cls(num_inputs=int(num_inputs), arity=int(arity), tables=tables,
                 fanin=fanin.astype(np.int32), level=np.asarray(level, np.int32),
                 outputs=outputs.astype(np.int32), num_classes=int(num_classes), encoder=encoder,
                 tau=float(tau), provenance=dict(provenance or {}), output_inv=output_inv)
        nl.validate()
        return nl

    def replace(self, **changes) -> "Netlist":
        """A copy with ``changes``; new ``outputs`` keep the polarity flags, or none when there
        were none (not validated: ``Netlist.build`` validates)."""
        if "outputs" in changes and "output_inv" not in changes and not self.any_inverted:
            changes["output_inv"] = None
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ derived views
    @property
    def num_nodes(self) -> int:
        return int(self.tables.shape[0])

    @property
    def num_outputs(self) -> int:
        return int(self.outputs.shape[0])

    @property
    def base(self) -> int:
        """Signal id of node 0."""
        return 2 + self.num_inputs

    @property
    def num_signals(self) -> int:
        return self.base + self.num_nodes

    @property
    def depth(self) -> int:
        return int(self.level[-1]) if self.num_nodes else 0

    @property
    def level_ptr(self) -> np.ndarray:
        """Offsets: nodes of level L (1-based) are level_ptr[L-1]:level_ptr[L]."""
        return np.searchsorted(self.level, np.arange(1, self.depth + 2), side="left").astype(np.int64)

    @property
    def any_inverted(self) -> bool:
        """Whether some output is the complement of its signal (``output_inv``)."""
        return bool(self.output_inv.any())

    @property
    def group_size(self) -> int:
        return self.num_outputs // self.num_classes

    def kinds(self) -> np.ndarray:
        return ops.classify(self.tables, self.arity)

    def signal_levels(self) -> np.ndarray:
        lv = np.zeros(self.num_signals, dtype=np.int32)
        lv[self.base:] = self.level
        return lv

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        n, k, base = self.num_nodes, self.arity, self.base
        if not 1 <= k <= ops.MAX_ARITY:
            raise NetlistError(f"arity {k} out of range 1..{ops.MAX_ARITY}")
        if self.num_inputs < 0:
            raise NetlistError(f"negative input count {self.num_inputs}")
        if self.fanin.shape != (n, k) or self.level.shape != (n,):
            raise NetlistError(f"fanin shape {self.fanin.shape} / level shape {self.level.shape} "
                               f"do not match {n} nodes of arity {k}")
        bad = np.flatnonzero(self.tables > ops.full_mask(k))
        if bad.size:
            raise NetlistError(f"node {bad[0]}: truth table {int(self.tables[bad[0]])} has more than {1 << k} bits")
        _check_fanin(self.fanin, base)
        if n:
            lv = self.signal_levels()
            expect = 1 + lv[self.fanin].max(axis=1)
            wrong = np.flatnonzero(expect != self.level)
            if wrong.size:
                raise NetlistError(f"node {wrong[0]}: level {self.level[wrong[0]]}, expected {expect[wrong[0]]}")
        if self.output_inv.shape != self.outputs.shape or self.output_inv.dtype != bool:
            raise NetlistError(f"output_inv: shape {list(self.output_inv.shape)} ({self.output_inv.dtype}), "
                               f"expected bool [{self.num_outputs}]")
        if np.any((self.outputs < 0) | (self.outputs >= self.num_signals)):
            i = int(np.flatnonzero((self.outputs < 0) | (self.outputs >= self.num_signals))[0])
            raise NetlistError(f"output {i}: signal id {self.outputs[i]} out of range 0..{self.num_signals - 1}")
        if self.num_classes < 1 or self.num_outputs % self.num_classes:
            raise NetlistError(f"{self.num_outputs} outputs cannot form {self.num_classes} equal class groups")
        if self.encoder is not None:
            f, t = self.encoder.thresholds.shape
            if f * t != self.num_inputs:
                raise NetlistError(f"encoder makes {f}x{t}={f * t} bits but the netlist has {self.num_inputs} inputs")
            if not np.all(np.isfinite(self.encoder.thresholds)):
                raise NetlistError("encoder thresholds contain NaN or infinity")

    # ------------------------------------------------------------------ identity
    def fingerprint(self) -> str:
        """sha256 of the function-defining arrays (not provenance)."""
        h = hashlib.sha256()
        h.update(json.dumps([self.num_inputs, self.arity, self.num_classes]).encode())
        for a in (self.tables, self.fanin, self.outputs):
            h.update(np.ascontiguousarray(a).tobytes())
        if self.any_inverted:  # (netlists without inverted outputs keep their version-1 fingerprint)
            h.update(b"output_inv" + np.packbits(self.output_inv).tobytes())
        if self.encoder is not None:
            h.update(self.encoder.thresholds.tobytes())
        return h.hexdigest()


def _check_fanin(fanin: np.ndarray, base: int) -> None:
    n = fanin.shape[0]
    if n == 0:
        return
    own = base + np.arange(n)[:, None]
    bad = (fanin < 0) | (fanin >= own)
    if bad.any():
        node, slot = (int(v) for v in np.argwhere(bad)[0])
        raise NetlistError(f"node {node} (signal {base + node}): fan-in {slot} reads signal {fanin[node, slot]}, "
                           f"expected an id in 0..{base + node - 1} (constants, inputs or earlier nodes)")


def compute_levels(fanin: np.ndarray, base: int) -> np.ndarray:
    """Level of every node (1 + max fan-in level), vectorized: one sweep per level of depth."""
    n = fanin.shape[0]
    lv = np.zeros(base + n, dtype=np.int32)
    if n == 0:
        return lv[base:]
    while True:
        new = 1 + lv[fanin].max(axis=1)
        if np.array_equal(new, lv[base:]):
            return new.astype(np.int32)
        lv[base:] = new


# ---------------------------------------------------------------------- editing helpers
def compact(nl: Netlist, keep: np.ndarray, fanin: np.ndarray | None = None,
            outputs: np.ndarray | None = None, tables: np.ndarray | None = None,
            output_inv: np.ndarray | None = None) -> Netlist:
    """Rebuild ``nl`` keeping the nodes where ``keep`` is true.

    ``fanin``/``outputs``/``tables``/``output_inv`` (same indexing as ``nl``) replace the
    originals, so a pass can rewire consumers first and drop the orphaned nodes here in one
    step. Kept nodes must not read dropped ones.
    """
    output_inv = nl.output_inv if output_inv is None else output_inv
    fanin = nl.fanin if fanin is None else np.asarray(fanin)
    outputs = nl.outputs if outputs is None else np.asarray(outputs)
    tables = nl.tables if tables is None else np.asarray(tables, dtype=np.uint64)
    keep = np.asarray(keep, dtype=bool)
    base = nl.base
    remap = np.full(nl.num_signals, -1, dtype=np.int64)
    remap[:base] = np.arange(base)
    kept = np.flatnonzero(keep)
    remap[base + kept] = base + np.arange(kept.size)
    new_fanin = remap[fanin[kept]]
    new_out = remap[outputs]
    if (new_fanin < 0).any() or (new_out < 0).any():
        raise NetlistError("compact: a kept node or output reads a removed node")
    return Netlist.build(nl.num_inputs, nl.arity, tables[kept], new_fanin, new_out, nl.num_classes,
                         encoder=nl.encoder, tau=nl.tau, provenance=nl.provenance, output_inv=output_inv)


def inverted_rows(nl: Netlist) -> tuple[np.ndarray, np.ndarray]:
    """For evaluators that keep one value row per signal: (rows int64 [O], sources int64 [E]).
    Each distinct signal that an output reads inverted is a source and gets row
    ``num_signals + e`` (its complement, computed after every node); ``rows[j]`` is the row
    output j reads (its own signal when not inverted)."""
    rows = nl.outputs.astype(np.int64).copy()
    inv = np.flatnonzero(nl.output_inv)
    srcs, which = np.unique(rows[inv], return_inverse=True)
    rows[inv] = nl.num_signals + which.reshape(-1)
    return rows, srcs


def plain_outputs(nl: Netlist) -> Netlist:
    """The same function with no inverted output: each signal that an output reads inverted
    gets one node, its own table negated on the same fan-ins (same level), an inverter when
    it is a primary input; an inverted constant is the other constant. For consumers that
    take signal ids only (a conv kernel's outputs feed the next stage by id)."""
    if not nl.any_inverted:
        return nl
    k, base = nl.arity, nl.base
    out = nl.outputs.astype(np.int64).copy()
    neg = nl.output_inv.copy()
    const = neg & (out < 2)
    out[const] = 1 - out[const]
    neg &= ~const
    srcs, which = np.unique(out[neg], return_inverse=True)
    is_node = srcs >= base
    extra_t = np.full(srcs.size, ops.negate_output(ops.var_table(0, k), k), dtype=np.uint64)
    extra_t[is_node] = ops.negate_output(nl.tables[srcs[is_node] - base], k)
    extra_f = np.zeros((srcs.size, k), np.int64)
    extra_f[is_node] = nl.fanin[srcs[is_node] - base]
    extra_f[~is_node, 0] = srcs[~is_node]
    out[neg] = nl.num_signals + which.reshape(-1)
    return Netlist.build(nl.num_inputs, k, np.concatenate([nl.tables, extra_t]),
                         np.concatenate([nl.fanin.astype(np.int64), extra_f]), out, nl.num_classes,
                         encoder=nl.encoder, tau=nl.tau, provenance=nl.provenance)


def live_nodes(nl: Netlist, fanin: np.ndarray | None = None, outputs: np.ndarray | None = None) -> np.ndarray:
    """bool [N]: nodes in the transitive fan-in cone of the outputs (reverse level sweep)."""
    fanin = nl.fanin if fanin is None else fanin
    outputs = nl.outputs if outputs is None else outputs
    live = np.zeros(nl.num_signals, dtype=bool)
    live[outputs] = True
    ptr = nl.level_ptr
    for lvl in range(nl.depth, 0, -1):
        lo, hi = ptr[lvl - 1], ptr[lvl]
        sel = live[nl.base + lo: nl.base + hi]
        if sel.any():
            live[fanin[lo:hi][sel].reshape(-1)] = True
    return live[nl.base:]


# ---------------------------------------------------------------------- text form
def dumps(nl: Netlist) -> str:
    """Canonical text form: one node per line; ``loads`` parses it back. An inverted output is
    written ``~id``; a netlist without one is written as version 1 (the form it has always had)."""
    lines = [f"{FORMAT_NAME} {FORMAT_VERSION if nl.any_inverted else 1}",
             f"inputs {nl.num_inputs}", f"arity {nl.arity}", f"classes {nl.num_classes}",
             f"tau {nl.tau!r}"]
    if nl.encoder is not None:
        f, t = nl.encoder.thresholds.shape
        lines.append(f"encoder {f} {t}")
        for row in nl.encoder.thresholds:
            lines.append("  " + " ".join(repr(float(v)) for v in row))
    if nl.provenance:
        lines.append("provenance " + json.dumps(nl.provenance, sort_keys=True))
    width = max(1, (1 << nl.arity) // 4)
    for i in range(nl.num_nodes):
        name = ops.OP_NAMES[int(nl.tables[i])] if nl.arity == 2 else ""
        fi = " ".join(str(int(v)) for v in nl.fanin[i])
        lines.append(f"n{nl.base + i} = 0x{int(nl.tables[i]):0{width}x} ({fi})" + (f"  # {name}" if name else ""))
    lines.append("outputs " + " ".join(("~" if n else "") + str(int(v)) for v, n in zip(nl.outputs, nl.output_inv)))
    return "\n".join(lines) + "\n"


def loads(text: str) -> Netlist:
    header: dict = {}
    thresholds: list[list[float]] = []
    tables, fanin = [], []
    outputs: list[int] = []
    output_inv: list[bool] = []
    lines = text.splitlines()
    if not lines or lines[0].split()[:1] != [FORMAT_NAME]:
        raise NetlistError(f"not a {FORMAT_NAME} text dump (first line {lines[0]!r})" if lines else "empty dump")
    it = iter(enumerate(lines[1:], start=2))
    for lineno, raw in it:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if line.startswith("n") and "=" in line:
                _, rhs = line.split("=", 1)
                tab, rest = rhs.strip().split(" ", 1)
                tables.append(int(tab, 16))
                fanin.append([int(v) for v in rest.strip().strip("()").split()])
            else:
                key, _, val = line.partition(" ")
                if key == "encoder":
                    f, t = (int(v) for v in val.split())
                    for _ in range(f):
                        thresholds.append([float(v) for v in next(it)[1].split()])
                    header["encoder_shape"] = (f, t)
                elif key == "provenance":
                    header["provenance"] = json.loads(val)
                elif key == "outputs":
                    words = val.split()
                    output_inv = [w.startswith("~") for w in words]
                    outputs = [int(w[1:] if w.startswith("~") else w) for w in words]
                else:
                    header[key] = val
        except (ValueError, StopIteration) as e:
            raise NetlistError(f"line {lineno}: cannot parse {raw!r} ({e})") from None
    k = int(header["arity"])
    enc = Encoder(np.array(thresholds, dtype=np.float64).reshape(header["encoder_shape"])) \
        if "encoder_shape" in header else None
    return Netlist.build(int(header["inputs"]), k, np.array(tables, dtype=np.uint64),
                         np.array(fanin, dtype=np.int64).reshape(-1, k), outputs, int(header["classes"]),
                         encoder=enc, tau=float(header.get("tau", 1.0)), provenance=header.get("provenance"),
                         output_inv=np.array(output_inv, dtype=bool))


# ---------------------------------------------------------------------- file form
def atomic_write(path: str | os.PathLike, write) -> None:
    """Call write(tmp_path) then rename over path, so a failure never leaves a half file
    (regular files only: see ``lgn2hw.outputs.atomic_write``)."""
    from .outputs import atomic_write as write_atomically
    write_atomically(path, write)


def netlist_arrays(nl: Netlist, prefix: str = "") -> tuple[dict, dict]:
    """(header fields, arrays) of one netlist in the file form; ``prefix`` names its arrays."""
    header = {"num_inputs": nl.num_inputs, "arity": nl.arity, "num_classes": nl.num_classes, "tau": nl.tau}
    arrays = {prefix + "tables": nl.tables, prefix + "fanin": nl.fanin, prefix + "level": nl.level,
              prefix + "outputs": nl.outputs, prefix + "output_inv": nl.output_inv.astype(np.uint8)}
    return header, arrays


def netlist_from_arrays(header: dict, arrays: dict, prefix: str = "", encoder: Encoder | None = None,
                        provenance: dict | None = None) -> Netlist:
    """Inverse of netlist_arrays (validated by Netlist.build)."""
    for key in ("tables", "fanin", "outputs"):
        if prefix + key not in arrays:
            raise NetlistError(f"array {prefix + key!r} missing")
    for key in ("num_inputs", "arity", "num_classes"):
        if not isinstance(header.get(key), int) or isinstance(header.get(key), bool):
            raise NetlistError(f"header {key!r}: expected an integer, got {header.get(key)!r}")
    return Netlist.build(header["num_inputs"], header["arity"], arrays[prefix + "tables"], arrays[prefix + "fanin"],
                         arrays[prefix + "outputs"], header["num_classes"], encoder=encoder,
                         tau=float(header.get("tau", 1.0)), provenance=provenance,
                         levels=arrays.get(prefix + "level"), output_inv=arrays.get(prefix + "output_inv"))


def write_npz(path, header: dict, arrays: dict) -> None:
    """The netlist file: arrays plus the JSON header, compressed, written atomically."""
    arrays = dict(arrays, header=np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8))

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    atomic_write(path, write)


def save(nl: Netlist, path: str | os.PathLike) -> None:
    """Versioned on-disk form: .npz with the arrays and a JSON header."""
    fields, arrays = netlist_arrays(nl)
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **fields, "provenance": nl.provenance}
    if nl.encoder is not None:
        arrays["thresholds"] = nl.encoder.thresholds
    write_npz(path, header, arrays)


def read_npz(path) -> tuple[dict, dict]:
    """(header, arrays) of a netlist file; errors name the file."""
    _check_file(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(bytes(z["header"]).decode())
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise NetlistError(f"{path}: no such file") from None
    except Exception as e:
        raise NetlistError(f"{path}: not an lgn2hw netlist .npz ({type(e).__name__}: {str(e)[:120]})") from None
    if not isinstance(header, dict):
        raise NetlistError(f"{path}: header is {type(header).__name__}, expected a JSON object")
    if header.get("format") != FORMAT_NAME:
        raise NetlistError(f"{path}: header format {header.get('format')!r}, expected {FORMAT_NAME!r}")
    return header, arrays


def is_netlist_file(path: str | os.PathLike) -> bool:
    try:
        with np.load(path, allow_pickle=False) as z:
            return "header" in z.files and ("tables" in z.files or "head.tables" in z.files)
    except Exception:
        return False


def load(path: str | os.PathLike) -> Netlist:
    return from_npz(*read_npz(path), path)


def from_npz(header: dict, arrays: dict, path) -> Netlist:
    """The netlist in a file already read by ``read_npz`` (errors name ``path``)."""
    if header.get("kind") == "conv":
        raise NetlistError(f"{path}: holds a conv model (load it with lgn2hw.conv.load or any lgn2hw command)")
    _check_header(header, arrays, path)
    if header.get("version") not in READ_VERSIONS or isinstance(header.get("version"), bool):
        raise NetlistError(f"{path}: netlist format version {header.get('version')}, this lgn2hw reads "
                           f"{' and '.join(map(str, READ_VERSIONS))}")
    if header.get("version") == 1 and "output_inv" in arrays:
        raise NetlistError(f"{path}: a version 1 netlist file has no 'output_inv' array")
    prov = header.get("provenance")
    if prov is not None and not isinstance(prov, dict):
        raise NetlistError(f"{path}: header 'provenance' is {type(prov).__name__}, expected an object")
    try:
        enc = Encoder(np.asarray(arrays["thresholds"], dtype=np.float64)) if "thresholds" in arrays else None
        return netlist_from_arrays(header, arrays, encoder=enc, provenance=prov)
    except NetlistError as e:
        raise NetlistError(f"{path}: {e}") from None
    except (ValueError, IndexError, TypeError) as e:  # arrays that do not fit together (see _check_header)
        raise NetlistError(f"{path}: arrays do not form a netlist ({type(e).__name__}: {str(e)[:160]})") from None


def _check_file(path) -> None:
    """Sizes from the zip directory and .npy headers, before any array is read (see limits)."""
    from . import limits
    from .errors import LgnError

    if not Path(path).is_file():
        raise NetlistError(f"{path}: no such file" if not Path(path).exists() else f"{path}: not a file")
    try:
        limits.check_zip(path, verify_crc=False)
        limits.npz_headers(path)
    except LgnError as e:
        raise NetlistError(f"{path}: not an lgn2hw netlist .npz: {str(e).removeprefix(f'{path}: ')}") from None


_HEADER_INTS = {"num_inputs": (0, 1 << 24), "arity": (1, ops.MAX_ARITY), "num_classes": (1, 1 << 20)}
_ARRAYS = {"tables": 1, "fanin": 2, "outputs": 1}


def _check_header(header, arrays: dict, path) -> None:
    """The JSON header and the arrays' kinds, so that a mangled file is one line naming the key."""
    from . import limits
    from .errors import LgnError

    if not isinstance(header, dict):
        raise NetlistError(f"{path}: header: expected a JSON object, got {type(header).__name__}")
    try:
        for key, (lo, hi) in _HEADER_INTS.items():
            if key not in header:
                raise NetlistError(f"{path}: header lacks {key!r}")
            limits.whole_number(header[key], f"header.{key}", path, lo, hi)
    except LgnError as e:
        raise NetlistError(str(e)) from None
    tau = header.get("tau", 1.0)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not np.isfinite(tau) or tau <= 0:
        raise NetlistError(f"{path}: header.tau: expected a positive number, got {str(tau)[:40]!r}")
    if not isinstance(header.get("provenance", {}), (dict, type(None))):
        raise NetlistError(f"{path}: header.provenance: expected a JSON object, got "
                           f"{type(header['provenance']).__name__}")
    for key, ndim in {**_ARRAYS, "level": 1, "output_inv": 1}.items():
        if key not in arrays:
            if key in ("level", "output_inv"):
                continue
            raise NetlistError(f"{path}: lacks the array {key!r}")
        a = arrays[key]
        if a.dtype.kind not in "iu" or a.ndim != ndim:
            raise NetlistError(f"{path}: {key!r}: expected {ndim}-d integers, got {a.dtype} of shape {list(a.shape)}")
        if key == "tables" and a.size and a.dtype.kind == "i" and a.min() < 0:
            raise NetlistError(f"{path}: 'tables': negative truth table {int(a.min())}")
        if key == "output_inv" and (a.shape != arrays["outputs"].shape or (a.size and not (0 <= a.min() and a.max() <= 1))):
            raise NetlistError(f"{path}: 'output_inv': expected {arrays['outputs'].size} flags of 0/1")
    gates = arrays["tables"].shape[0]  # one row per gate in 'fanin' and 'level' too
    for key, rows in (("fanin", arrays["fanin"].shape[0]), ("level", arrays["level"].shape[0] if "level" in arrays
                                                           else gates)):
        if rows != gates:
            raise NetlistError(f"{path}: {key!r} has {rows} rows, 'tables' has {gates} gates (one row each)")
    if arrays["fanin"].shape[1] != header["arity"]:
        raise NetlistError(f"{path}: 'fanin' has {arrays['fanin'].shape[1]} columns, header.arity is {header['arity']}")
    if "thresholds" in arrays:
        t = arrays["thresholds"]
        if t.dtype.kind not in "fiu" or t.ndim != 2:
            raise NetlistError(f"{path}: 'thresholds': expected float [F, T], got {t.dtype} of shape {list(t.shape)}")

