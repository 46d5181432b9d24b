# SPDX-License-Identifier: MIT
"""The Amaranth design of the core: ports, the data path (the generated ``{top}_fabric``
module: input register, optional on-chip encoder, fabric stages, GroupSum popcounts; or the
same built in Amaranth for small nets), the argmax tree, output registers and the valid
pipeline. Only the class sums cross between the generated text and Amaranth, so Amaranth
never handles a per-gate vector (its cells are limited to 65,536 output bits, and it keeps
Python objects per bit).

Port contract (shared with verification and synthesis): ``clk``, ``rst`` (synchronous,
active high, clears the valid pipeline only), ``in_valid``, ``in_data``, ``out_valid``,
``out_class``, ``out_sums`` (class c at ``[c*sum_width +: sum_width]``); one vector per
clock; ``out_valid`` follows ``in_valid`` by ``latency`` cycles. A sums-only head (``head``
"sums", regression) has no argmax tree and ties ``out_class`` to 0.
"""
from __future__ import annotations

from amaranth.hdl import Array, Cat, ClockSignal, Const, Elaboratable, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..ir import Netlist
from .argmax import ArgmaxTree
from .encoder import comparisons
from .fabric import AmaranthStage
from .plan import CorePlan


class LgnCore(wiring.Component):
    def __init__(self, nl: Netlist, plan: CorePlan):
        self.nl, self.plan = nl, plan
        self.argmax = None if plan.head == "sums" or plan.serial_argmax else \
            ArgmaxTree(plan.classes, plan.sum_width, plan.argmax_breaks)
        self.latency = plan.latency
        super().__init__({
            "in_valid": In(1),
            "in_data": In(plan.input.width),
            "out_valid": Out(1),
            "out_class": Out(plan.class_width),
            "out_sums": Out(plan.classes * plan.sum_width),
        })

    def elaborate(self, platform):
        m = Module()
        nl, plan = self.nl, self.plan
        c, sw = plan.classes, plan.sum_width
        sums = Signal(c * sw, name="sums")
        if plan.options.fabric == "amaranth":
            m.submodules.fabric = fabric = AmaranthDatapath(nl, plan)
            m.d.comb += [fabric.in_data.eq(self.in_data), sums.eq(fabric.sums)]
        else:
            start = {"i_start": self.in_valid} if plan.popcount.serial else {}
            m.submodules.fabric = Instance(plan.module("fabric"), i_clk=ClockSignal("sync"),
                                           i_in_data=self.in_data, **start, o_sums=sums)
        out_class = Signal(self.out_class.shape(), name="class_reg", reset_less=True)
        out_sums = Signal(self.out_sums.shape(), name="sums_reg", reset_less=True)
        if plan.serial_argmax:
            valid_at = self.valid_pipeline(m)
            # the sums' cycle loads them (out_sums) and class 0 as the best; then one comparator
            # visits class 1 .. C-1, one per cycle (strictly greater: a tie keeps the lower class)
            load = valid_at(self.latency - c)
            k = Signal(range(c + 1), name="argmax_k")  # the class compared this cycle; 0 or C: none
            best = Signal(sw, name="argmax_best", reset_less=True)
            # a serial GroupSum holds its sums until the next vector starts, an image later: no copy
            held = sums if plan.popcount.serial else out_sums
            lanes = [held[j * sw:(j + 1) * sw] for j in range(c)]
            # the lane compared next, registered a cycle ahead (no multiplexer before the compare)
            lane = Signal(sw, name="argmax_lane", reset_less=True)
            run = (k != 0) & (k != c)
            right = Signal(name="argmax_right")
            m.d.comb += right.eq((best.as_unsigned() - lane.as_unsigned())[-1])
            with m.If(load):
                m.d.sync += [best.eq(sums[:sw]), out_class.eq(0), k.eq(1), lane.eq(sums[sw:2 * sw])]
                if held is out_sums:
                    m.d.sync += out_sums.eq(sums)
            with m.Elif(run):
                m.d.sync += [k.eq(k + 1), lane.eq(Array(lanes[1:] + lanes[-1:])[k])]
                with m.If(right):
                    m.d.sync += [best.eq(lane), out_class.eq(k)]
            m.d.comb += [self.out_valid.eq(valid_at(self.latency)), self.out_class.eq(out_class),
                         self.out_sums.eq(held)]
            return m
        if self.argmax is not None:
            m.submodules.argmax = self.argmax
            m.d.comb += self.argmax.sums.eq(sums)
            for d in range(self.argmax.latency):  # keep the sums aligned with the argmax result
                nxt = Signal(c * sw, name=f"sums_d{d + 1}", reset_less=True)
                m.d.sync += nxt.eq(sums)
                sums = nxt
            m.d.sync += out_class.eq(self.argmax.index)
        m.d.sync += out_sums.eq(sums)
        valid_at = self.valid_pipeline(m)
        m.d.comb += [self.out_valid.eq(valid_at(self.latency)), self.out_class.eq(out_class),
                     self.out_sums.eq(out_sums)]
        return m

    def valid_pipeline(self, m: Module):
        """A function of j: high in the cycle j after ``in_valid``'s. A shift register of the
        valid bit; with a serial GroupSum (one vector in flight, a long latency) a counter
        instead, which a new ``in_valid`` restarts. It counts up from 0 (a constant load would
        set some bits and clear others through the flip-flops' set/reset pins, and nextpnr then
        splits the counter's carry chain every few bits: a 25 ns path on a UP5K), and ``run``
        says it is counting, so an idle count matches no cycle."""
        if self.plan.popcount.serial:
            count = Signal(range(self.latency + 1), name="valid_count")
            run = Signal(name="valid_run")
            with m.If(self.in_valid):
                m.d.sync += [count.eq(0), run.eq(1)]
            with m.Elif(run):
                m.d.sync += [count.eq(count + 1), run.eq(count != self.latency - 1)]
            return lambda j: self.in_valid if j == 0 else run & (count == j - 1)
        valid = Signal(self.latency, name="valid")
        m.d.sync += valid.eq(Cat(self.in_valid, valid[:-1]))
        return lambda j: Cat(self.in_valid, valid)[j]


class AmaranthDatapath(Elaboratable):
    """The ``{top}_fabric`` module's behaviour with Amaranth stages (small nets): input
    register, optional encoder, fabric stages, popcount instances."""

    def __init__(self, nl: Netlist, plan: CorePlan):
        self.nl, self.plan = nl, plan
        self.in_data = Signal(plan.input.width)
        self.sums = Signal(plan.classes * plan.sum_width)

    def elaborate(self, platform):
        m = Module()
        nl, plan = self.nl, self.plan
        sched, pop = plan.schedule, plan.popcount
        clk = ClockSignal("sync")
        x = Signal(plan.input.width, name="in_reg", reset_less=True)
        if plan.options.input_register:
            m.d.sync += x.eq(self.in_data)
        else:  # the caller holds in_data for the cycle in_valid is high
            m.d.comb += x.eq(self.in_data)
        if plan.input.fixed is not None:
            fmt = plan.input.fixed
            kind, thr = comparisons(nl.encoder, fmt)
            bits = Signal(kind.size, name="t0", reset_less=True)
            per, w = nl.encoder.bits_per_feature, fmt.width
            for j in range(kind.size):
                f = x[j // per * w:(j // per + 1) * w]
                cmp = Const(int(kind[j]), 1) if kind[j] < 2 else \
                    ((f.as_signed() if fmt.signed else f) > int(thr[j]))
                m.d.sync += bits[j].eq(cmp)
            x = bits
        vec = x
        for s in range(1, sched.num_stages + 1):
            m.submodules[f"stage{s}"] = st = AmaranthStage(nl, sched, s, plan.stage_registered(s))
            m.d.comb += st.x.eq(vec)
            vec = st.y
        g, sw = plan.group_size, plan.sum_width
        for k in range(plan.classes):
            ports = {"i_clk": clk} if pop.latency else {}
            m.submodules[f"popcount{k}"] = Instance(plan.module("popcount"), **ports, i_x=vec[k * g:(k + 1) * g],
                                                    o_s=self.sums[k * sw:(k + 1) * sw])
        return m
