# SPDX-License-Identifier: MIT
"""Convolutional LGNs: a chain of stages that keeps the weight sharing and unrolls exactly.

A ``ConvModel`` is the input encoder (a per-channel thermometer), a chain of stages —
``ConvBlock`` (the K kernels of a block as one small netlist over the window bits, plus the
geometry) and ``OrPool`` — then the flatten and a dense ``head`` netlist with the GroupSum.
``unroll()`` gives the flat ``Netlist`` that is the semantics (see docs/conv.md); the conv
simulator (conv_sim.py) and the streaming backend use the stages directly.

Bit layouts (one place):

=====================  =====================================================================
model input bits       flat bit ``f*T + t`` with ``f = (c*H + y)*W + x``: ``x[c, y, x] > thr[c, t]``
                       (so ``ir.Encoder`` over X flattened in (c, h, w) order is the same thing)
a feature map          bit-channel ``ch`` at (y, x); the input map has ``ch = c*T + t``
window input ``i``     ``i = (dy*rf + dx)*Cin + ch``: the window's top-left is at padded
                       (oy*stride, ox*stride); padded cells read constant 0
kernel outputs         the K kernels, in order: output channel k of the block
flatten                ``k*H*W + y*W + x`` of the last map: the head's input bits
=====================  =====================================================================
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from . import ops
from . import ir
from .ir import Encoder, Netlist, NetlistError

OR = 7  # op id of a | b


class ConvError(NetlistError):
    """An invalid conv model; the message names the stage."""


@dataclass(frozen=True, eq=False)
class ConvBlock:
    kernel: Netlist  # inputs: rf*rf*Cin window bits; outputs: the K kernels
    rf: int
    stride: int = 1
    padding: int = 0

    kind = "conv"

    @property
    def num_kernels(self) -> int:
        return self.kernel.num_outputs

    def out_shape(self, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        _, h, w = shape
        return (self.num_kernels, (h + 2 * self.padding - self.rf) // self.stride + 1,
                (w + 2 * self.padding - self.rf) // self.stride + 1)

    def describe(self) -> str:
        return f"conv(k={self.num_kernels},rf={self.rf},stride={self.stride},pad={self.padding})"


@dataclass(frozen=True)
class OrPool:
    kernel: int
    stride: int | None = None  # None: the kernel size
    padding: int = 0

    kind = "pool"

    @property
    def step(self) -> int:
        return self.kernel if self.stride is None else self.stride

    def out_shape(self, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        c, h, w = shape
        return (c, (h + 2 * self.padding - self.kernel) // self.step + 1,
                (w + 2 * self.padding - self.kernel) // self.step + 1)

    def describe(self) -> str:
        return f"pool(k={self.kernel},stride={self.step},pad={self.padding})"


Stage = ConvBlock | OrPool


@dataclass(frozen=True, eq=False)
class ConvModel:
    in_shape: tuple[int, int, int]      # (C, H, W) of the real-valued image
    thresholds: np.ndarray | None       # float64 [C, T]; None: the input is bits (T = 1)
    stages: tuple
    head: Netlist
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "in_shape", tuple(int(v) for v in self.in_shape))
        object.__setattr__(self, "stages", tuple(self.stages))
        if self.thresholds is not None:
            object.__setattr__(self, "thresholds", np.asarray(self.thresholds, dtype=np.float64))
        self.validate()

    # ------------------------------------------------------------------ derived
    @property
    def bits_per_channel(self) -> int:
        return 1 if self.thresholds is None else int(self.thresholds.shape[1])

    @property
    def input_map_shape(self) -> tuple[int, int, int]:
        c, h, w = self.in_shape
        return (c * self.bits_per_channel, h, w)

    @property
    def num_input_bits(self) -> int:
        return int(np.prod(self.input_map_shape))

    @property
    def num_classes(self) -> int:
        return self.head.num_classes

    @property
    def tau(self) -> float:
        return self.head.tau

    def shapes(self) -> list[tuple[int, int, int]]:
        """(channels, H, W) of the input bit map and after every stage."""
        out = [self.input_map_shape]
        for st in self.stages:
            out.append(st.out_shape(out[-1]))
        return out

    def conv_blocks(self) -> list[ConvBlock]:
        return [st for st in self.stages if isinstance(st, ConvBlock)]

    def replace(self, **changes) -> "ConvModel":
        import dataclasses
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        c, h, w = self.in_shape
        if min(c, h, w) < 1:
            raise ConvError(f"input shape {list(self.in_shape)}: channels, height and width must be >= 1")
        if self.thresholds is not None:
            thr = self.thresholds
            if thr.ndim != 2 or thr.shape[0] != c or thr.shape[1] < 1:
                raise ConvError(f"thresholds {list(thr.shape)}: expected [{c}, T] (one row per input channel)")
            if not np.all(np.isfinite(thr)):
                raise ConvError("thresholds contain NaN or infinity")
        if not self.stages or not isinstance(self.stages[0], ConvBlock):
            raise ConvError("a conv model starts with a conv block")
        shape = self.input_map_shape
        for i, st in enumerate(self.stages):
            where = f"stage {i} ({st.kind})"
            if isinstance(st, ConvBlock):
                if st.rf < 1 or st.stride < 1 or not 0 <= st.padding < st.rf:
                    raise ConvError(f"{where}: rf={st.rf}, stride={st.stride}, padding={st.padding}; "
                                    f"expected rf >= 1, stride >= 1, 0 <= padding < rf")
                want = st.rf * st.rf * shape[0]
                if st.kernel.num_inputs != want:
                    raise ConvError(f"{where}: kernel netlist has {st.kernel.num_inputs} inputs, expected "
                                    f"rf*rf*channels = {st.rf}*{st.rf}*{shape[0]} = {want}")
                if st.num_kernels < 1:
                    raise ConvError(f"{where}: no kernels")
                if st.kernel.any_inverted:
                    raise ConvError(f"{where}: kernel netlist has inverted outputs (a kernel's outputs feed the "
                                    "next stage by signal id: make them plain with lgn2hw.ir.plain_outputs)")
            elif isinstance(st, OrPool):
                if st.kernel < 1 or st.step < 1 or not 0 <= st.padding <= st.kernel // 2:
                    raise ConvError(f"{where}: kernel={st.kernel}, stride={st.step}, padding={st.padding}; "
                                    f"expected kernel >= 1, stride >= 1, 0 <= padding <= kernel/2")
            else:
                raise ConvError(f"stage {i}: expected a ConvBlock or OrPool, got {type(st).__name__}")
            new = st.out_shape(shape)
            if new[1] < 1 or new[2] < 1:
                raise ConvError(f"{where}: a {shape[1]}x{shape[2]} map gives an empty {new[1]}x{new[2]} output")
            shape = new
        flat = int(np.prod(shape))
        if self.head.num_inputs != flat:
            raise ConvError(f"dense head reads {self.head.num_inputs} bits, but the last stage gives "
                            f"{shape[0]}x{shape[1]}x{shape[2]} = {flat}")
        if self.head.encoder is not None:
            raise ConvError("the dense head must not have its own encoder")

    # ------------------------------------------------------------------ bits
    def encode(self, x: np.ndarray) -> np.ndarray:
        """Real images -> model input bits uint8 [N, num_input_bits] (flat order, see module doc)."""
        if self.thresholds is None:
            raise ConvError("this model has no input encoder: give input bits instead of images")
        c, h, w = self.in_shape
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 3 and c == 1 and x.shape[1:] == (h, w):
            x = x[:, None]
        elif x.ndim == 2 and x.shape[1] == c * h * w:
            x = x.reshape(-1, c, h, w)
        if x.ndim != 4 or x.shape[1:] != (c, h, w):
            raise ConvError(f"images must be [N, {c}, {h}, {w}] or [N, {c * h * w}] in (c, h, w) order, "
                            f"got {list(x.shape)}")
        bits = x[..., None] > self.thresholds[None, :, None, None, :]  # [N, C, H, W, T]
        return bits.reshape(x.shape[0], -1).astype(np.uint8)

    def image_bits(self, flat: np.ndarray) -> np.ndarray:
        """Flat input bits [N, num_input_bits] -> the input map [N, C*T, H, W]."""
        c, h, w = self.in_shape
        t = self.bits_per_channel
        flat = np.asarray(flat)
        return flat.reshape(-1, c, h, w, t).transpose(0, 1, 4, 2, 3).reshape(-1, c * t, h, w)

    def flat_bits(self, image: np.ndarray) -> np.ndarray:
        """The input map [N, C*T, H, W] -> flat input bits [N, num_input_bits]."""
        c, h, w = self.in_shape
        t = self.bits_per_channel
        image = np.asarray(image)
        return np.ascontiguousarray(image.reshape(-1, c, t, h, w).transpose(0, 1, 3, 4, 2)).reshape(-1, c * h * w * t)

    def input_map_ids(self) -> np.ndarray:
        """Signal ids of the input bits as a map [C*T, H, W] (in the unrolled netlist)."""
        c, h, w = self.in_shape
        t = self.bits_per_channel
        ids = 2 + np.arange(c * h * w * t, dtype=np.int64).reshape(c, h, w, t)
        return np.ascontiguousarray(ids.transpose(0, 3, 1, 2)).reshape(c * t, h, w)

    # ------------------------------------------------------------------ counts
    def gate_counts(self) -> dict:
        """Gates per stage (shared and unrolled); OR pooling counts its 2-input ORs."""
        rows = []
        shapes = self.shapes()
        for i, st in enumerate(self.stages):
            oc, oh, ow = shapes[i + 1]
            if isinstance(st, ConvBlock):
                rows.append({"stage": i, "kind": "conv", "gates": st.kernel.num_nodes,
                             "unrolled": st.kernel.num_nodes * oh * ow})
            else:
                rows.append({"stage": i, "kind": "pool", "gates": 0,
                             "unrolled": oc * oh * ow * (st.kernel * st.kernel - 1)})
        rows.append({"stage": len(self.stages), "kind": "dense", "gates": self.head.num_nodes,
                     "unrolled": self.head.num_nodes})
        return {"stages": rows, "shared": sum(r["gates"] for r in rows),
                "unrolled": sum(r["unrolled"] for r in rows)}

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps([list(self.in_shape), [st.describe() for st in self.stages]]).encode())
        if self.thresholds is not None:
            h.update(self.thresholds.tobytes())
        for st in self.conv_blocks():
            h.update(st.kernel.fingerprint().encode())
        h.update(self.head.fingerprint().encode())
        return h.hexdigest()

    # ------------------------------------------------------------------ unroll
    def unroll(self) -> Netlist:
        """The exact flat netlist: every kernel copied at every position, pooling as OR trees."""
        arity = max([2] + [st.kernel.arity for st in self.conv_blocks()] + [self.head.arity])
        b = _Builder(2 + self.num_input_bits, arity)
        cur = self.input_map_ids()
        for st in self.stages:
            cur = b.conv(cur, st) if isinstance(st, ConvBlock) else b.pool(cur, st)
        outputs = b.instance(self.head, cur.reshape(1, -1))[0]
        encoder = None
        if self.thresholds is not None:
            c, h, w = self.in_shape
            encoder = Encoder(np.repeat(self.thresholds, h * w, axis=0))
        prov = dict(self.provenance)
        prov.setdefault("unrolled_from", "conv")
        return Netlist.build(self.num_input_bits, arity, b.tables(), b.fanin(), outputs, self.num_classes,
                             encoder=encoder, tau=self.tau, provenance=prov, output_inv=self.head.output_inv)


def pad_map(fmap: np.ndarray, p: int) -> np.ndarray:
    """A feature map [ch, H, W, ...] with ``p`` rows and columns of zeros around it (signal id 0
    is FALSE, so the same padding serves the unroll's id maps and the simulator's words)."""
    ch, h, w = fmap.shape[:3]
    out = np.zeros((ch, h + 2 * p, w + 2 * p) + fmap.shape[3:], fmap.dtype)
    out[:, p:p + h, p:p + w] = fmap
    return out


def shifted(padded: np.ndarray, dy: int, dx: int, stride: int, oh: int, ow: int) -> np.ndarray:
    """View [ch, oh, ow, ...] of the window cell (dy, dx) at every output position."""
    return padded[:, dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride]


class _Builder:
    """Appends node blocks to a flat netlist under construction (ids stay topological)."""

    def __init__(self, base: int, arity: int):
        self.next_id = base
        self.arity = arity
        self._tables: list[np.ndarray] = []
        self._fanin: list[np.ndarray] = []

    def tables(self) -> np.ndarray:
        return np.concatenate(self._tables) if self._tables else np.zeros(0, np.uint64)

    def fanin(self) -> np.ndarray:
        return np.concatenate(self._fanin) if self._fanin else np.zeros((0, self.arity), np.int64)

    def _widen(self, tables: np.ndarray, fanin: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k == self.arity:
            return tables, fanin
        pad = np.zeros(fanin.shape[:-1] + (self.arity - k,), np.int64)
        return ops.widen(tables, k, self.arity), np.concatenate([fanin, pad], axis=-1)

    def instance(self, nl: Netlist, inputs: np.ndarray) -> np.ndarray:
        """Copies of ``nl``, copy j reading signal ids ``inputs[j]`` [P, I]; returns its outputs [P, O]."""
        p = inputs.shape[0]
        n = nl.num_nodes
        first = self.next_id
        # signal map per copy: constants, the copy's inputs, the copy's nodes
        own = first + np.arange(p, dtype=np.int64)[:, None] * n + np.arange(n, dtype=np.int64)[None, :]
        sig = np.concatenate([np.broadcast_to(np.array([0, 1], np.int64), (p, 2)), inputs.astype(np.int64), own],
                             axis=1)  # [P, base + n]
        if n:
            fan = sig[:, nl.fanin.astype(np.int64)]  # [P, n, k]
            tables, fan = self._widen(np.tile(nl.tables, p), fan.reshape(p * n, nl.arity), nl.arity)
            self._tables.append(tables)
            self._fanin.append(fan)
            self.next_id += p * n
        return sig[:, nl.outputs.astype(np.int64)]

    def conv(self, cur: np.ndarray, st: ConvBlock) -> np.ndarray:
        cin = cur.shape[0]
        k, oh, ow = st.out_shape(cur.shape)
        pad = pad_map(cur, st.padding)
        y = (np.arange(oh) * st.stride)[:, None, None, None, None] + np.arange(st.rf)[None, None, :, None, None]
        x = (np.arange(ow) * st.stride)[None, :, None, None, None] + np.arange(st.rf)[None, None, None, :, None]
        c = np.arange(cin)[None, None, None, None, :]
        win = pad[c, y, x]  # [oh, ow, rf, rf, cin]
        outs = self.instance(st.kernel, win.reshape(oh * ow, -1))  # [P, K]
        return np.ascontiguousarray(outs.T).reshape(k, oh, ow)

    def pool(self, cur: np.ndarray, st: OrPool) -> np.ndarray:
        c, oh, ow = st.out_shape(cur.shape)
        pad = pad_map(cur, st.padding)
        parts = [shifted(pad, dy, dx, st.step, oh, ow).reshape(-1)
                 for dy in range(st.kernel) for dx in range(st.kernel)]
        parts = [p for p in parts if not np.all(p == 0)] or [parts[0]]
        while len(parts) > 1:  # a balanced tree of 2-input ORs, all windows at once
            nxt = []
            for a, bb in zip(parts[0::2], parts[1::2]):
                m = a.shape[0]
                tables, fan = self._widen(np.full(m, OR, np.uint64), np.stack([a, bb], axis=1), 2)
                self._tables.append(tables)
                self._fanin.append(fan)
                nxt.append(self.next_id + np.arange(m, dtype=np.int64))
                self.next_id += m
            if len(parts) % 2:
                nxt.append(parts[-1])
            parts = nxt
        return parts[0].reshape(c, oh, ow)


# ---------------------------------------------------------------------- file form
CONV_FILE_VERSION = 3          # 3: netlists carry output polarity (the head's ``output_inv``)
CONV_READ_VERSIONS = (2, 3)


def save(model: ConvModel, path) -> None:
    """The netlist file form (version 3, kind 'conv'): every kernel netlist and the head."""
    stages, arrays = [], {}
    for i, st in enumerate(model.stages):
        if isinstance(st, ConvBlock):
            fields, arr = ir.netlist_arrays(st.kernel, f"s{i}.")
            stages.append({"type": "conv", "rf": st.rf, "stride": st.stride, "padding": st.padding, "kernel": fields})
            arrays.update(arr)
        else:
            stages.append({"type": "pool", "kernel": st.kernel, "stride": st.step, "padding": st.padding})
    head, arr = ir.netlist_arrays(model.head, "head.")
    arrays.update(arr)
    if model.thresholds is not None:
        arrays["thresholds"] = model.thresholds
    header = {"format": ir.FORMAT_NAME, "version": CONV_FILE_VERSION, "kind": "conv",
              "in_shape": list(model.in_shape), "stages": stages, "head": head, "provenance": model.provenance}
    ir.write_npz(path, header, arrays)


def load(path) -> ConvModel:
    return from_npz(*ir.read_npz(path), path)


def from_npz(header: dict, arrays: dict, path) -> ConvModel:
    """The model in a netlist file already read by ``ir.read_npz``."""
    if header.get("kind") != "conv" or header.get("version") not in CONV_READ_VERSIONS:
        raise ConvError(f"{path}: not a conv model file (kind {header.get('kind')!r}, version {header.get('version')!r})")
    try:
        shape = header["in_shape"]
        if not (isinstance(shape, list) and len(shape) == 3 and all(isinstance(v, int) for v in shape)):
            raise NetlistError(f"in_shape {shape!r}: expected [C, H, W]")
        stages = []
        for i, st in enumerate(header["stages"]):
            if not isinstance(st, dict):
                raise NetlistError(f"stage {i}: expected an object")
            geo = {k: st.get(k) for k in (("rf", "stride", "padding") if st.get("type") == "conv"
                                           else ("kernel", "stride", "padding"))}
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in geo.values()):
                raise NetlistError(f"stage {i}: geometry {geo} must be integers")
            if st.get("type") == "conv":
                kern = ir.netlist_from_arrays(st["kernel"], arrays, f"s{i}.")
                stages.append(ConvBlock(kern, geo["rf"], geo["stride"], geo["padding"]))
            elif st.get("type") == "pool":
                stages.append(OrPool(geo["kernel"], geo["stride"], geo["padding"]))
            else:
                raise NetlistError(f"stage {i}: type {st.get('type')!r}, expected 'conv' or 'pool'")
        head = ir.netlist_from_arrays(header["head"], arrays, "head.")
        thr = np.asarray(arrays["thresholds"], np.float64) if "thresholds" in arrays else None
        prov = header.get("provenance") or {}
        if not isinstance(prov, dict):
            raise NetlistError("provenance: expected an object")
        return ConvModel(tuple(shape), thr, tuple(stages), head, prov)
    except KeyError as e:
        raise ConvError(f"{path}: missing key {e}") from None
    except (NetlistError, TypeError, ValueError) as e:
        raise ConvError(f"{path}: {e}") from None


# ---------------------------------------------------------------------- kernel trees
def tree_kernel(leaf_inputs: np.ndarray, leaf_ops: np.ndarray, tree_ops: list[np.ndarray],
                num_inputs: int) -> Netlist:
    """The kernel netlist of K logic trees of depth d (torchlogix LogicConv2d, lgn2hw train).

    ``leaf_inputs`` int [K, L, 2] window indices of the L = 2**(d-1) leaf gates of each kernel,
    ``leaf_ops`` int [K, L] their op ids; ``tree_ops[l]`` int [K, L >> (l+1)] the op ids of
    tree level l+1 (gate j reads gates 2j and 2j+1 of the level below). Returns the K roots.
    """
    leaf_inputs = np.asarray(leaf_inputs, np.int64)
    k, nleaf, _ = leaf_inputs.shape
    tables = [np.asarray(leaf_ops, np.uint64).reshape(-1)]
    fanin = [2 + leaf_inputs.reshape(-1, 2)]
    prev = 2 + num_inputs + np.arange(k * nleaf, dtype=np.int64).reshape(k, nleaf)
    nxt = 2 + num_inputs + k * nleaf
    for lv, opsl in enumerate(tree_ops):
        opsl = np.asarray(opsl, np.uint64).reshape(k, -1)
        g = opsl.shape[1]
        if prev.shape[1] != 2 * g:
            raise ConvError(f"tree level {lv + 1}: {g} gates per kernel cannot read {prev.shape[1]} below")
        tables.append(opsl.reshape(-1))
        fanin.append(np.stack([prev[:, 0::2], prev[:, 1::2]], axis=2).reshape(-1, 2))
        prev = nxt + np.arange(k * g, dtype=np.int64).reshape(k, g)
        nxt += k * g
    if prev.shape[1] != 1:
        raise ConvError(f"a kernel tree must end in one root gate, got {prev.shape[1]}")
    return Netlist.build(num_inputs, 2, np.concatenate(tables), np.concatenate(fanin), prev[:, 0], 1)
