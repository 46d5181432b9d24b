# SPDX-License-Identifier: MIT
"""The gate fabric of each pipeline stage.

Two emitters with the same module interface (``x`` = vector held at time s-1, ``y`` = vector
at time s, see schedule.py): ``stage_verilog`` writes flat Verilog text, one wire per gate,
from ``rtl_templates/fabric_stage.v.j2`` (fast for any size, and fast in Icarus);
``AmaranthStage`` builds the same stage from Amaranth statements (about 0.5 ms per gate,
for small nets and for cross-checking the text emitter).
"""
from __future__ import annotations

from pathlib import Path

import jinja2
import numpy as np
from amaranth.hdl import Cat, Const, Elaboratable, Module, Signal

from .. import ops
from ..ir import Netlist
from .schedule import Schedule

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "rtl_templates"


def templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, autoescape=False)


# Verilog expression of each 2-input op over "{a}" and "{b}".
_OP2 = tuple(e.replace("a", "{a}").replace("b", "{b}") if e not in ("0", "1") else f"1'b{e}"
             for e in ops.OP_EXPR)


def lut_rom(tables: np.ndarray, k: int) -> np.ndarray:
    """Tables re-addressed so that bit ``addr`` holds the output at address addr."""
    bits = ops.table_bits(tables, k).astype(np.uint64)
    return np.bitwise_or.reduce(bits << np.arange(1 << k, dtype=np.uint64)[None, :], axis=1)


def width(v: np.ndarray) -> int:
    """Verilog vectors are at least one bit wide; empty vectors get a padding bit."""
    return max(1, int(v.size))


class StageRefs:
    """How stage s names each signal it reads: a gate wire, a bit of x, or a constant."""

    def __init__(self, nl: Netlist, sched: Schedule, stage: int):
        self.nl, self.sched, self.stage = nl, sched, stage
        self.prev = sched.vectors[stage - 1]

    def classify(self, ids: np.ndarray):
        """(kind, index) arrays: kind 0/1 constant, 2 local gate (index = signal id), 3 x bit."""
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
        kind, idx = self.classify(ids)
        return [("1'b0", "1'b1", "g", "x[")[k] + ("" if k < 2 else f"{i}" if k == 2 else f"{i}]")
                for k, i in zip(kind.tolist(), idx.tolist())]


def stage_nodes(sched: Schedule, stage: int) -> tuple[int, int]:
    lo, hi = np.searchsorted(sched.node_stage, [stage, stage + 1])
    return int(lo), int(hi)


def fabric_top_verilog(nl: Netlist, sched: Schedule, top: str, in_width: int, sum_width: int,
                       encoder: bool, popcount_clk: bool) -> str:
    """The ``{top}_fabric`` module: input register, optional encoder, the stages, the popcounts."""
    return templates().get_template("fabric_top.v.j2").render(
        name=f"{top}_fabric", in_width=in_width, encoder=f"{top}_encoder" if encoder else "",
        widths=[width(v) for v in sched.vectors], registered=sched.registered,
        stages=[f"{top}_fabric_s{s}" for s in range(1, sched.num_stages + 1)],
        classes=nl.num_classes, group_size=nl.group_size, sum_width=sum_width,
        popcount=f"{top}_popcount", popcount_clk=popcount_clk)


def stage_verilog(nl: Netlist, sched: Schedule, stage: int, name: str) -> str:
    """Verilog text of fabric stage ``stage`` (1-based) as module ``name``."""
    lo, hi = stage_nodes(sched, stage)
    refs = StageRefs(nl, sched, stage)
    k = nl.arity
    fan = refs.names(nl.fanin[lo:hi].reshape(-1))
    ids = range(nl.base + lo, nl.base + hi)
    if k == 2:
        tabs = nl.tables[lo:hi].tolist()
        gate_lines = [f"wire g{s} = " + _OP2[t].format(a=fan[2 * j], b=fan[2 * j + 1]) + ";"
                      for j, (s, t) in enumerate(zip(ids, tabs))]
    else:
        rom = lut_rom(nl.tables[lo:hi], k).tolist()
        n = 1 << k
        gate_lines = [f"wire [{n - 1}:0] t{s} = {n}'h{r:x};\nwire g{s} = t{s}[{{{', '.join(fan[k * j:k * j + k])}}}];"
                      for j, (s, r) in enumerate(zip(ids, rom))]
    out = sched.vectors[stage]
    src = refs.names(out) if out.size else ["1'b0"]
    op = "<=" if sched.registered else "="
    lead = "    " if sched.registered else "assign "
    out_lines = [f"{lead}y[{j}] {op} {v};" for j, v in enumerate(src)]
    levels = f"{int(nl.level[lo])}..{int(nl.level[hi - 1])}" if hi > lo else "none"
    return templates().get_template("fabric_stage.v.j2").render(
        name=name, stage=stage, stages=sched.num_stages, levels=levels, gates=hi - lo,
        registered=sched.registered, in_width=width(refs.prev), out_width=width(out),
        gate_lines="\n".join(gate_lines), out_lines="\n".join(out_lines))


class AmaranthStage(Elaboratable):
    """The same stage as Amaranth statements (small nets only: ~0.5 ms per gate)."""

    def __init__(self, nl: Netlist, sched: Schedule, stage: int):
        self.nl, self.sched, self.stage = nl, sched, stage
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
        domain = m.d.sync if self.sched.registered else m.d.comb
        for j in range(out.size):
            domain += self.y[j].eq(value(kind[j], int(idx[j])))
        return m
