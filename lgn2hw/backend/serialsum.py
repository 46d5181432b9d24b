# SPDX-License-Identifier: MIT
"""A serial GroupSum: each class's bits counted a few per clock over ``cycles`` cycles.

A core that takes a vector at most once per many cycles (the streaming conv core's head: one
image per ``H*W`` pixels) need not add a class's bits in one adder tree. Here every class's
variable bits are split into lanes of at most ``cycles`` bits; a lane is one bit wide and
visits its bits in turn, selected by a one-hot phase (two rings: a block and a bit of it), and
an accumulator per class adds its lanes each cycle. On LUT4 fabric a selected bit costs about
half a LUT (``(a & s) | (b & t)``, the OR trees above it a sixth) against about one LUT and a
share of a carry chain per bit in an adder tree, and the only carry chains left are the
accumulators'.

Exactness: the bits are the ones ``popcount.popcount_inputs`` names for the class (constants
as literals, a bit and its complement cancelled, copies merged): a bit read m times sits in
the lane of each 1 in m's binary form and is added shifted by that bit's weight; constant
ones start the accumulator. The inputs must hold still from ``start`` until the last bit has
been selected (``hold(cycles)`` cycles); ``sums`` is the exact GroupSum from ``latency``
cycles after ``start`` until the next ``start``.

Timing from ``start`` (cycle 0): the phase registers load on its edge, bit t of every lane is
selected in cycle ``1 + t`` and registered, the accumulators clear on the edge of cycle 1
and add lane registers from the edge of cycle 2, so the sums are complete in cycle
``cycles + 2``. The phase is two one-hot rings (``hi``: which block of ``lo`` bits, ``lo``:
which bit of the block): ``hi`` shifts out to zero after the last block, so the lanes then
read zeros and the accumulators hold; no reset is needed (``start`` clears what matters).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .metadata import sum_width
from .popcount import weight_columns


@dataclass(frozen=True)
class SerialPlan:
    """Lanes of one class: ``(weight shift, bit names)`` each, and the constant ones."""

    lanes: tuple
    ones: int

    @classmethod
    def of(cls, inputs, cycles: int) -> "SerialPlan":
        """The lanes of the bits ``inputs`` names (``popcount.weight_columns``), each weight's
        column cut into lanes of at most ``cycles`` bits."""
        columns, ones = weight_columns(inputs)
        return cls(tuple((j, tuple(col[i:i + cycles])) for j, col in enumerate(columns)
                         for i in range(0, len(col), cycles)), ones)

    @property
    def bits(self) -> int:
        return sum(len(names) for _, names in self.lanes)


def phase_shape(cycles: int) -> tuple[int, int]:
    """(blocks, bits per block) of the two one-hot rings for ``cycles`` phases."""
    lo = max(1, math.isqrt(cycles - 1) + 1) if cycles > 1 else 1
    return -(-cycles // lo), lo


def latency(cycles: int) -> int:
    """Cycles from ``start`` to complete sums."""
    return cycles + 2


def hold(cycles: int) -> int:
    """Cycles from ``start`` (0) through the last one whose inputs are read: 0 .. cycles."""
    return cycles + 1


def serial_lines(plans, group_size: int, cycles: int, start: str = "start") -> list[str]:
    """Verilog lines (inside the fabric module, which has ``clk``; ``start`` names the start
    pulse) summing every class ``c`` of ``plans`` into ``p<c>_sum``."""
    sw = sum_width(group_size)
    hi_n, lo_n = phase_shape(cycles)
    lines = [f"// serial GroupSum: {cycles} phase(s), {hi_n} x {lo_n} one-hot",
             f"reg [{hi_n - 1}:0] sg_hi = {hi_n}'d0;", f"reg [{lo_n - 1}:0] sg_lo = {lo_n}'d0;",
             "reg sg_clear = 1'b0;",
             "always @(posedge clk) begin",
             f"    sg_clear <= {start};",
             f"    if ({start}) begin",
             f"        sg_hi <= {hi_n}'d1;", f"        sg_lo <= {lo_n}'d1;",
             "    end else begin"]
    lines.append(f"        sg_lo <= {{sg_lo[{lo_n - 2}:0], sg_lo[{lo_n - 1}]}};" if lo_n > 1 else
                 "        sg_lo <= sg_lo;")
    lines.append(f"        if (sg_lo[{lo_n - 1}]) sg_hi <= " +
                 (f"{{sg_hi[{hi_n - 2}:0], 1'b0}};" if hi_n > 1 else "1'b0;"))
    lines += ["    end", "end"]
    for c, plan in enumerate(plans):
        terms = []
        for k, (shift, names) in enumerate(plan.lanes):
            # block b (a bit of ``hi``) ORs its bits, each gated by its bit of ``lo``: about half a
            # LUT4 per bit, and no per-phase select signal
            blocks = []
            for b in range(0, len(names), lo_n):
                bits = " | ".join(f"({x} & sg_lo[{t}])" for t, x in enumerate(names[b:b + lo_n]))
                blocks.append(f"(sg_hi[{b // lo_n}] & ({bits}))")
            lines += [f"wire p{c}_l{k} = {' | '.join(blocks)};", f"reg p{c}_q{k} = 1'b0;",
                      f"always @(posedge clk) p{c}_q{k} <= p{c}_l{k};"]
            terms.append((shift, f"p{c}_q{k}"))
        add = " + ".join([f"p{c}_sum", *addends(terms, sw)])
        lines += [f"reg [{sw - 1}:0] p{c}_sum = {sw}'d0;",
                  f"always @(posedge clk) p{c}_sum <= sg_clear ? {sw}'d{plan.ones} : {add};"]
    return lines


def addends(terms, sw: int) -> list[str]:
    """The lanes' bits ``(weight shift, name)`` as few ``sw``-bit addends as can hold them: lanes
    of different weights share one addend (its bits), so one lane per weight is one adder."""
    layers: list[dict[int, str]] = []
    for shift, name in terms:
        layer = next((lay for lay in layers if shift not in lay), None)
        if layer is None:
            layers.append(layer := {})
        layer[shift] = name
    out = []
    for layer in layers:
        bits = [layer.get(j, "1'b0") for j in range(max(layer) + 1)]
        out.append("{" + ", ".join([f"{sw - len(bits)}'d0"] * (sw > len(bits)) + bits[::-1]) + "}")
    return out
