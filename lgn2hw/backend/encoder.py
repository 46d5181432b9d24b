# SPDX-License-Identifier: MIT
"""On-chip thermometer encoder: one comparator per input bit against a quantized threshold
(see lgn2hw.quantize for the exact fixed-point semantics)."""
from __future__ import annotations

import numpy as np

from ..ir import Encoder
from ..quantize import FixedFormat


def comparisons(encoder: Encoder, fmt: FixedFormat) -> tuple[np.ndarray, np.ndarray]:
    """(kind, threshold) per input bit: kind 0 = always 0, 1 = always 1, 2 = compare x_f > T."""
    thr = fmt.thresholds(encoder).reshape(-1)
    kind = np.full(thr.shape, 2, dtype=np.int8)
    kind[thr >= fmt.hi] = 0  # no code is above the top of the range
    kind[thr < fmt.lo] = 1
    return kind, thr


def encoder_lines(encoder: Encoder, fmt: FixedFormat, source: str = "in_reg") -> list[str]:
    """``wire e<j> = ...;`` for every input bit j = f*T + t, reading feature f at
    ``source[f*W +: W]``."""
    kind, thr = comparisons(encoder, fmt)
    w, per = fmt.width, encoder.bits_per_feature
    lines = []
    for j, (k, tq) in enumerate(zip(kind.tolist(), thr.tolist())):
        x = f"{source}[{j // per * w} +: {w}]"
        if k < 2:
            rhs = f"1'b{k}"
        elif fmt.signed:
            rhs = f"$signed({x}) > $signed({w}'h{tq & ((1 << w) - 1):x})"
        else:
            rhs = f"{x} > {w}'h{tq:x}"
        lines.append(f"wire e{j} = {rhs};")
    return lines
