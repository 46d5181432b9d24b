# SPDX-License-Identifier: MIT
"""The gate fabric of each pipeline stage.

Two emitters of the same stages (see schedule.py for times and held vectors):
``fabric_verilog`` writes the whole data path as one flat Verilog module from
``rtl_templates/fabric.v.j2`` and ``fabric_stage.v.j2``: one wire per gate, one reg per held
bit, no vectors (fast to write for 10^6 gates, and fast in Icarus, which re-evaluates a
whole vector on every bit change). ``AmaranthStage`` builds one stage from Amaranth
statements (about 0.5 ms per gate: small nets, and a cross-check of the text emitter).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from amaranth.hdl import Cat, Const, Elaboratable, Module, Signal

from ..ir import Netlist
from ..resources import templates
from .gates import gate_lines, lut_rom
from .schedule import Schedule

if TYPE_CHECKING:
    from .plan import CorePlan

def width(v: np.ndarray) -> int:
    """Verilog vectors are at least one bit wide; empty vectors get a padding bit."""
    return max(1, int(v.size))


class StageRefs:
    """How stage s names each signal it reads: a constant, a gate wire of its own, or the
    register holding it at time s-1."""

    def __init__(self, nl: Netlist, sched: Schedule, stage: int):
        self.nl, self.sched, self.stage = nl, sched, stage
        self.prev = sched.vectors[stage - 1]

    def classify(self, ids: np.ndarray):
        """(kind, index) arrays: kind 0/1 constant, 2 local gate (index = signal id), 3 held
        at time s-1 (index = position in that vector)."""
        ids = np.asarray(ids, dtype=np.int64)
        kind = np.full(ids.shape, 3, dtype=np.int8)
        local = (ids >= self.nl.base) & (self.sched.sig_stage[ids] == self.stage)
        kind[local] = 2
        kind[ids < 2] = ids[ids < 2]
        pos = np.searchsorted(self.prev, ids)
        held = pos < self.prev.size
        held[held] = self.prev[pos[held]] == ids[held]
        if np.any((kind == 3) & ~held):
            bad = int(ids[(kind == 3) & ~held][0])
            raise AssertionError(f"stage {self.stage}: signal {bad} is not held at time {self.stage - 1}")
        return kind, np.where(kind == 3, pos, ids)

    def names(self, ids: np.ndarray) -> list[str]:
        ids = np.asarray(ids, dtype=np.int64)
        kind, _ = self.classify(ids)
        held = f"r{self.stage - 1}_"
        return [("1'b0", "1'b1", "g", held)[k] + ("" if k < 2 else str(i)) for k, i in zip(kind.tolist(), ids.tolist())]


def stage_nodes(sched: Schedule, stage: int) -> tuple[int, int]:
    lo, hi = np.searchsorted(sched.node_stage, [stage, stage + 1])
    return int(lo), int(hi)


def stage_gate_lines(nl: Netlist, lo: int, hi: int, fan: list[str]) -> list[str]:
    """``wire g<id> = ...;`` for nodes lo..hi-1 given the names of their fan-ins."""
    return gate_lines(range(nl.base + lo, nl.base + hi), nl.tables[lo:hi], nl.arity, fan, lambda s: f"wire g{s}")


def stage_verilog(nl: Netlist, sched: Schedule, stage: int, registered: bool) -> str:
    """The section of fabric stage ``stage`` (1-based): its gates and the registers (or, not
    ``registered``, the wires) of the signals held at time ``stage``."""
    lo, hi = stage_nodes(sched, stage)
    refs = StageRefs(nl, sched, stage)
    gates = stage_gate_lines(nl, lo, hi, refs.names(nl.fanin[lo:hi].reshape(-1)))
    held = sched.vectors[stage]
    src = refs.names(held)
    last = stage == sched.num_stages
    if last:  # the output bits in output order, inverted where the output's polarity says
        src = [f"~{v}" if n else v for v, n in zip(src, nl.output_inv.tolist())]
    dest = [f"o{j}" for j in range(held.size)] if last else [f"r{stage}_{s}" for s in held.tolist()]
    if registered:
        decls = [f"reg {d};" for d in dest]
        regs = [f"    {d} <= {v};" for d, v in zip(dest, src)]
    else:
        decls, regs = [], [f"wire {d} = {v};" for d, v in zip(dest, src)]
    levels = f"{int(nl.level[lo])}..{int(nl.level[hi - 1])}" if hi > lo else "none"
    return templates().get_template("fabric_stage.v.j2").render(
        stage=stage, stages=sched.num_stages, levels=levels, gates=hi - lo, held=held.size,
        registered=registered, gate_lines="\n".join(gates), reg_decls="\n".join(decls),
        reg_lines="\n".join(regs))


def fabric_verilog(nl: Netlist, plan: "CorePlan", encoder_lines: list[str]) -> str:
    """The ``{top}_fabric`` module of ``plan``: input register, optional encoder, every stage,
    the GroupSum popcounts. ``encoder_lines`` define ``e<j>`` from ``in_reg``; without them
    input bit j is ``in_data[j]``."""
    from .popcount import popcount_lines
    sched, pop = plan.schedule, plan.popcount
    inputs = sched.vectors[0]
    src = [f"e{j}" for j in range(inputs.size)] if encoder_lines else [f"in_data[{j}]" for j in range(inputs.size)]
    lines = []
    if pop.serial:  # ``start`` comes with in_data; the last stage's wires settle fabric_latency cycles later
        from .serialsum import serial_lines
        lat = plan.fabric_latency
        if lat:
            shift = f"{{sg_delay[{lat - 2}:0], start}}" if lat > 1 else "start"
            lines += [f"reg [{lat - 1}:0] sg_delay = {lat}'d0;", f"always @(posedge clk) sg_delay <= {shift};",
                      f"wire sg_start = sg_delay[{lat - 1}];"]
        lines += serial_lines(pop.shapes, pop.group_size, pop.cycles, "sg_start" if lat else "start")
    else:
        for c, (group, shape) in enumerate(zip(pop.groups, pop.shapes)):
            # constants shrink some carry trees: each is pipelined to the deepest one's latency
            body, regs = popcount_lines(list(group), f"p{c}_", f"p{c}_sum", pop.every, pop.style, pop.first,
                                        pop.depth, shape, plan.options.carry_cell)
            if regs != pop.latency:
                raise AssertionError(f"popcount {c}: {regs} register levels emitted, the plan has {pop.latency}")
            lines += body
    text = templates().get_template("fabric.v.j2").render(
        name=plan.module("fabric"), top=plan.top, in_width=plan.input.width, encoder_lines="\n".join(encoder_lines),
        input_decls="\n".join(f"reg r0_{s};" for s in inputs.tolist()) if plan.options.input_register else
        "\n".join(f"wire r0_{s} = {v};" for s, v in zip(inputs.tolist(), src)),
        input_lines="\n".join(f"    r0_{s} <= {v};" for s, v in zip(inputs.tolist(), src))
        if plan.options.input_register else "",
        stages=[stage_verilog(nl, sched, s, plan.stage_registered(s)) for s in range(1, sched.num_stages + 1)],
        registered=sched.registered, classes=plan.classes, group_size=plan.group_size, sum_width=plan.sum_width,
        popcount=pop.style, popcount_lines="\n".join(lines), start=pop.serial,
        sums="{" + ", ".join(f"p{c}_sum" for c in reversed(range(plan.classes))) + "}")
    if pop.style == "lut6c":  # the AMD primitives it instantiates, for simulators (ifndef SYNTHESIS)
        from .lut6c import sim_models
        text += sim_models()
    return text


class AmaranthStage(Elaboratable):
    """The same stage as Amaranth statements (small nets only: ~0.5 ms per gate)."""

    def __init__(self, nl: Netlist, sched: Schedule, stage: int, registered: bool):
        self.nl, self.sched, self.stage, self.registered = nl, sched, stage, registered
        self.x = Signal(width(sched.vectors[stage - 1]))
        self.y = Signal(width(sched.vectors[stage]), reset_less=True)

    def elaborate(self, platform):
        m = Module()
        nl, k = self.nl, self.nl.arity
        lo, hi = stage_nodes(self.sched, self.stage)
        refs = StageRefs(nl, self.sched, self.stage)
        gates = {}

        def value(kind, idx):
            if kind < 2:
                return Const(int(kind), 1)
            return gates[idx] if kind == 2 else self.x[idx]

        kind, idx = refs.classify(nl.fanin[lo:hi].reshape(-1))
        rom = lut_rom(nl.tables[lo:hi], k).tolist()
        for j in range(hi - lo):
            g = Signal(name=f"g{nl.base + lo + j}")
            ins = [value(kind[k * j + i], int(idx[k * j + i])) for i in range(k)]
            # Cat is LSB first and input 0 is the address MSB
            m.d.comb += g.eq(Const(rom[j], 1 << k).bit_select(Cat(*reversed(ins)), 1))
            gates[nl.base + lo + j] = g
        out = self.sched.vectors[self.stage]
        kind, idx = refs.classify(out)
        domain = m.d.sync if self.registered else m.d.comb
        # the last stage holds the output bits in output order: apply the outputs' polarity
        inv = nl.output_inv if self.stage == self.sched.num_stages else np.zeros(out.size, bool)
        for j in range(out.size):
            v = value(kind[j], int(idx[j]))
            domain += self.y[j].eq(~v if inv[j] else v)
        return m
