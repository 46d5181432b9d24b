# SPDX-License-Identifier: MIT
"""On-chip thermometer encoder: one comparator per input bit against a quantized threshold
(see lgn2hw.quantize for the exact fixed-point semantics)."""
from __future__ import annotations

from ..ir import Encoder
from ..quantize import FixedFormat
from .fabric import templates


def encoder_verilog(encoder: Encoder, fmt: FixedFormat, name: str) -> str:
    thr = fmt.thresholds(encoder)
    w, t_per = fmt.width, encoder.bits_per_feature
    mask = (1 << w) - 1
    lines = []
    for j, tq in enumerate(thr.reshape(-1).tolist()):
        f = j // t_per
        if tq >= fmt.hi:
            rhs = "1'b0"  # no code is above the top of the range
        elif tq < fmt.lo:
            rhs = "1'b1"
        elif fmt.signed:
            rhs = f"$signed(x[{f * w} +: {w}]) > $signed({w}'h{tq & mask:x})"
        else:
            rhs = f"x[{f * w} +: {w}] > {w}'h{tq:x}"
        lines.append(f"assign y[{j}] = {rhs};")
    return templates().get_template("encoder.v.j2").render(
        name=name, features=encoder.num_features, width=w, signed=fmt.signed, frac_bits=fmt.frac_bits,
        bits=thr.size, body="\n".join(lines))
