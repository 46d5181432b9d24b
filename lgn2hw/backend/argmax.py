# SPDX-License-Identifier: MIT
"""Argmax tree over the class sums, in Amaranth: ties go to the lowest class index."""
from __future__ import annotations

from amaranth.hdl import Elaboratable, Module, Mux, Signal


def class_width(num_classes: int) -> int:
    return max(1, (num_classes - 1).bit_length())


def tree_levels(num_classes: int) -> int:
    return max(0, (num_classes - 1).bit_length())


class ArgmaxTree(Elaboratable):
    """``sums`` (C lanes of ``sum_width`` bits) -> ``index`` of the largest, registered after
    every ``every`` comparison levels (0: combinational). ``latency`` = registers on the path.
    """

    def __init__(self, num_classes: int, sum_width: int, every: int = 0):
        self.num_classes, self.sum_width, self.every = num_classes, sum_width, every
        self.sums = Signal(num_classes * sum_width)
        self.index = Signal(class_width(num_classes))
        levels = tree_levels(num_classes)
        self.latency = levels // every if every else 0

    def elaborate(self, platform):
        m = Module()
        sw, cw = self.sum_width, class_width(self.num_classes)
        lanes = [(self.sums[c * sw:(c + 1) * sw], c) for c in range(self.num_classes)]
        level = 0
        while len(lanes) > 1:
            level += 1
            reg = self.every and level % self.every == 0
            nxt = []
            for j in range(0, len(lanes), 2):
                pair = lanes[j:j + 2]
                v, i = Signal(sw, name=f"v{level}_{j // 2}", reset_less=True), \
                    Signal(cw, name=f"i{level}_{j // 2}", reset_less=True)
                dom = m.d.sync if reg else m.d.comb
                if len(pair) == 1:
                    dom += [v.eq(pair[0][0]), i.eq(pair[0][1])]
                else:
                    (lv, li), (rv, ri) = pair
                    right = rv > lv  # strictly greater: a tie keeps the lower (left) index
                    dom += [v.eq(Mux(right, rv, lv)), i.eq(Mux(right, ri, li))]
                nxt.append((v, i))
            lanes = nxt
        m.d.comb += self.index.eq(lanes[0][1])
        return m
