# SPDX-License-Identifier: MIT
"""A serial GroupSum: each class's bits counted a few per clock over ``cycles`` cycles.

A core that takes a vector at most once per many cycles (the streaming conv core's head: one
image per ``H*W`` pixels) need not add a class's bits in one adder tree. Here every class's
variable bits are split into lanes of at most ``cycles`` bits; a lane is a shift register that
takes its bits on ``start`` and hands one per clock to an accumulator per class, which adds its
lanes each cycle. On LUT4 fabric a lane bit is one logic cell: a LUT4 that muxes the bit (with
the gate that makes it, where that gate has two inputs) and the shifted neighbour, and its own
flip-flop; its wires run to the neighbour only, and the one net that reaches every bit is
``start``. The only carry chains left are the accumulators'.

Exactness: the bits are the ones ``popcount.popcount_inputs`` names for the class (constants
as literals, a bit and its complement cancelled, copies merged): a bit read m times sits in
the lane of each 1 in m's binary form and is added shifted by that bit's weight; constant
ones start the accumulator. The inputs are read in the ``start`` cycle only (``HOLD``);
``sums`` is the exact GroupSum from ``latency`` cycles after ``start`` until the next
``start``, which must not come before the sums are complete.

Timing from ``start`` (cycle 0): the lanes load on its edge, bit t of every lane is at the
lane's end in cycle ``1 + t`` and registered, the accumulators clear on the edge of cycle 1
and add lane registers from the edge of cycle 2, so the sums are complete in cycle
``cycles + 2``. Zeros shift in behind a lane's last bit, so the accumulators then hold; no
reset is needed (``start`` clears what matters).
"""
from __future__ import annotations

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


def latency(cycles: int) -> int:
    """Cycles from ``start`` to complete sums."""
    return cycles + 2


HOLD = 1  # cycles from ``start`` (0) through the last one whose inputs are read


def serial_lines(plans, group_size: int, cycles: int, start: str = "start") -> list[str]:
    """Verilog lines (inside the fabric module, which has ``clk``; ``start`` names the start
    pulse) summing every class ``c`` of ``plans`` into ``p<c>_sum``."""
    sw = sum_width(group_size)
    lines = [f"// serial GroupSum: lanes of at most {cycles} bit(s), each a shift register loaded on {start}",
             "reg sg_clear = 1'b0;", f"always @(posedge clk) sg_clear <= {start};"]
    for c, plan in enumerate(plans):
        terms = []
        for k, (shift, names) in enumerate(plan.lanes):
            # bit i of the chain takes its bit on ``start`` and its upper neighbour after: one
            # LUT4 (the load mux, with the gate that makes the bit where it has two inputs) and
            # its own flip-flop; zeros shift in behind the last bit, so the sum then holds
            n, ch = len(names), f"p{c}_c{k}"
            load = "{" + ", ".join(reversed(names)) + "}"
            rest = f"{{1'b0, {ch}[{n - 1}:1]}}" if n > 1 else "1'b0"
            lines += [f"reg [{n - 1}:0] {ch} = {n}'d0;", f"always @(posedge clk) {ch} <= {start} ? {load} : {rest};",
                      f"reg p{c}_q{k} = 1'b0;", f"always @(posedge clk) p{c}_q{k} <= {ch}[0];"]
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
