# SPDX-License-Identifier: MIT
"""Argmax tree over the class sums, in Amaranth: ties go to the lowest class index."""
from __future__ import annotations

from amaranth.hdl import Elaboratable, Module, Mux, Signal

from .metadata import class_width
from .plan import COMPARATOR_LEVELS, register_levels, tree_levels  # noqa: F401  (the schedule lives in the plan)


class ArgmaxTree(Elaboratable):
    """``sums`` (C lanes of ``sum_width`` bits) -> ``index`` of the largest (combinational
    output), with a register before each comparator level in ``breaks`` (see
    ``register_levels``). ``latency`` = registers on the path.
    """

    def __init__(self, num_classes: int, sum_width: int, breaks: tuple[int, ...] = ()):
        self.num_classes, self.sum_width, self.breaks = num_classes, sum_width, tuple(breaks)
        if not set(self.breaks) <= set(range(1, tree_levels(num_classes) + 1)):
            raise ValueError(f"argmax of {num_classes} classes: no comparator level among {self.breaks}")
        self.sums = Signal(num_classes * sum_width)
        self.index = Signal(class_width(num_classes))
        self.latency = len(self.breaks)

    def elaborate(self, platform):
        m = Module()
        sw, cw = self.sum_width, class_width(self.num_classes)
        lanes = [(self.sums[c * sw:(c + 1) * sw], c) for c in range(self.num_classes)]  # (value, index)
        level = 0
        while len(lanes) > 1:
            level += 1
            if level in self.breaks:  # register the lanes this level reads
                held = []
                for j, (v, i) in enumerate(lanes):
                    rv = Signal(sw, name=f"q{level}_v{j}", reset_less=True)
                    m.d.sync += rv.eq(v)
                    if not isinstance(i, int):  # a level-0 index is a constant: nothing to hold
                        ri = Signal(cw, name=f"q{level}_i{j}", reset_less=True)
                        m.d.sync += ri.eq(i)
                        i = ri
                    held.append((rv, i))
                lanes = held
            nxt = []
            for j in range(0, len(lanes), 2):
                pair = lanes[j:j + 2]
                if len(pair) == 1:  # odd lane out: passes to the next level unchanged
                    nxt.append(pair[0])
                    continue
                (lv, li), (rv, ri) = pair
                v, i = Signal(sw, name=f"v{level}_{j // 2}"), Signal(cw, name=f"i{level}_{j // 2}")
                # rv > lv as the borrow of lv - rv: a subtraction, which synthesis keeps on the
                # carry chain (a '>' became LUT levels); strictly greater: a tie keeps the left index
                right = (lv.as_unsigned() - rv.as_unsigned())[-1]
                m.d.comb += [v.eq(Mux(right, rv, lv)), i.eq(Mux(right, ri, li))]
                nxt.append((v, i))
            lanes = nxt
        m.d.comb += self.index.eq(lanes[0][1])
        return m
