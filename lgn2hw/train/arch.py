# SPDX-License-Identifier: MIT
"""The ``--arch`` text of a convolutional LGN (torch-free, so the CLI checks it before training).

Grammar: stages joined by ``-``, conv blocks and OR pools first, then dense logic layers::

    conv(k=16,d=3,rf=3,pad=1)-pool(2)-conv(k=32,d=3,rf=3,pad=1,ch=2)-pool(2)-dense(2000)-dense(1000)

- ``conv(k=K, d=D, rf=R, stride=S, pad=P, ch=N)``: K logic-tree kernels of depth D (2^(D-1) leaf
  gates) over an R x R window; ``ch`` restricts each kernel to N randomly chosen input channels
  (default: all). Defaults: d=3, rf=3, stride=1, pad=0; ``k`` is required.
- ``pool(K)`` or ``pool(k=K, stride=S, pad=P)``: OR pooling (stride defaults to K).
- ``dense(W)``: a dense logic layer of W gates; the last one feeds GroupSum, so its width must be
  a multiple of the class count. At least one dense layer ends the architecture.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import LgnError


@dataclass(frozen=True)
class Conv:
    k: int
    d: int = 3
    rf: int = 3
    stride: int = 1
    pad: int = 0
    ch: int | None = None

    @property
    def leaves(self) -> int:
        return 1 << (self.d - 1)

    @property
    def gates_per_kernel(self) -> int:
        return (1 << self.d) - 1

    def __str__(self) -> str:
        ch = f",ch={self.ch}" if self.ch is not None else ""
        return f"conv(k={self.k},d={self.d},rf={self.rf},stride={self.stride},pad={self.pad}{ch})"


@dataclass(frozen=True)
class Pool:
    k: int
    stride: int | None = None
    pad: int = 0

    @property
    def step(self) -> int:
        return self.k if self.stride is None else self.stride

    def __str__(self) -> str:
        return f"pool(k={self.k},stride={self.step},pad={self.pad})"


@dataclass(frozen=True)
class Arch:
    stages: tuple[Conv | Pool, ...]
    dense: tuple[int, ...]

    def __str__(self) -> str:
        return "-".join([*map(str, self.stages), *(f"dense({w})" for w in self.dense)])

    def shapes(self, in_shape: tuple[int, int, int]) -> list[tuple[int, int, int]]:
        """(channels, H, W) of the input bits and after every stage; errors name the stage."""
        shapes = [tuple(int(v) for v in in_shape)]
        for i, st in enumerate(self.stages, 1):
            c, h, w = shapes[-1]
            if isinstance(st, Conv):
                if st.ch is not None and st.ch > c:
                    raise LgnError(f"--arch stage {i} {st}: ch={st.ch} exceeds its {c} input channels")
                if st.rf * st.rf * (st.ch or c) < 2:
                    raise LgnError(f"--arch stage {i} {st}: a 1-bit window cannot feed two-input gates")
                size, step, pad, out_c = st.rf, st.stride, st.pad, st.k
            else:
                if st.pad * 2 > st.k:
                    raise LgnError(f"--arch stage {i} {st}: padding must be at most half the pool size")
                size, step, pad, out_c = st.k, st.step, st.pad, c
            oh, ow = (h + 2 * pad - size) // step + 1, (w + 2 * pad - size) // step + 1
            if oh < 1 or ow < 1:
                raise LgnError(f"--arch stage {i} {st}: its {h}x{w} input is smaller than the "
                               f"{size}x{size} window (padding {pad})")
            shapes.append((out_c, oh, ow))
        return shapes

    def check(self, in_shape: tuple[int, int, int], num_classes: int) -> None:
        self.shapes(in_shape)
        if self.dense[-1] % num_classes:
            raise LgnError(f"--arch: the last dense layer's {self.dense[-1]} gates cannot form {num_classes} "
                           f"equal class groups; use a multiple of {num_classes}")


_TOKEN = re.compile(r"^([a-z]+)\((.*)\)$")
_KEYS = {"conv": ("k", "d", "rf", "stride", "pad", "ch"), "pool": ("k", "stride", "pad"), "dense": ("w",)}
_MIN = {"k": 1, "d": 1, "rf": 1, "stride": 1, "pad": 0, "ch": 1, "w": 1}


def _parse_token(tok: str) -> Conv | Pool | int:
    m = _TOKEN.match(tok.strip().replace(" ", ""))
    if not m or m.group(1) not in _KEYS:
        raise LgnError(f"--arch: bad token {tok!r}; expected conv(k=..,d=..,rf=..,stride=..,pad=..,ch=..), "
                       "pool(K) or pool(k=..,stride=..,pad=..), or dense(W)")
    kind, body = m.group(1), m.group(2)
    keys = _KEYS[kind]
    vals: dict[str, int] = {}
    named = False
    for n, item in enumerate(body.split(",") if body else []):
        key, eq, value = item.partition("=")
        named = named or bool(eq)
        if not eq:
            key, value = (keys[n] if n < len(keys) and not named else ""), item
            if not key:
                raise LgnError(f"--arch: bad token {tok!r}: positional value {item!r} after named ones or too many")
        if key not in keys:
            raise LgnError(f"--arch: bad token {tok!r}: unknown key {key!r}; {kind} takes {', '.join(keys)}")
        if key in vals:
            raise LgnError(f"--arch: bad token {tok!r}: {key!r} given twice")
        try:
            v = int(value)
        except ValueError:
            raise LgnError(f"--arch: bad token {tok!r}: {key}={value!r} is not an integer") from None
        if v < _MIN[key]:
            raise LgnError(f"--arch: bad token {tok!r}: {key} must be at least {_MIN[key]}, got {v}")
        vals[key] = v
    required = {"conv": ("k",), "pool": ("k",), "dense": ("w",)}[kind]
    missing = [k for k in required if k not in vals]
    if missing:
        raise LgnError(f"--arch: bad token {tok!r}: missing {', '.join(missing)}")
    if kind == "conv":
        if vals.get("d", 3) > 12:
            raise LgnError(f"--arch: bad token {tok!r}: tree depth d={vals['d']} is beyond 12")
        return Conv(**vals)
    if kind == "pool":
        vals.setdefault("stride", vals["k"])
        return Pool(**vals)
    return vals["w"]


def parse(text: str) -> Arch:
    """An ``Arch`` from its text; errors name the bad token."""
    if not text or not text.strip():
        raise LgnError("--arch: empty architecture")
    stages: list[Conv | Pool] = []
    dense: list[int] = []
    for tok in text.split("-"):
        if not tok.strip():
            raise LgnError(f"--arch: empty stage in {text!r} (two '-' in a row, or one at an end)")
        st = _parse_token(tok)
        if isinstance(st, int):
            dense.append(st)
        elif dense:
            raise LgnError(f"--arch: bad token {tok!r}: conv and pool stages must come before the dense layers")
        else:
            stages.append(st)
    if not dense:
        raise LgnError(f"--arch: {text!r} has no dense layer; end it with dense(W) (W a multiple of the classes)")
    if not any(isinstance(s, Conv) for s in stages):
        raise LgnError(f"--arch: {text!r} has no conv stage; use --widths for a dense network")
    return Arch(tuple(stages), tuple(dense))
