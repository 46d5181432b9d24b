# SPDX-License-Identifier: MIT
"""``emit(netlist, out_dir, options)``: plan the core (plan.py), render its Verilog, and write
it, ``netlist.npz`` and ``metadata.json`` into ``out_dir`` (each file written to a temporary
name and renamed).

Output is byte-stable: the same netlist and options give identical files.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import ir
from ..ir import Netlist
from .metadata import write_metadata
from .options import EmitOptions
from .plan import MAX_INPUT_BITS, CorePlan, plan_core  # noqa: F401  (MAX_INPUT_BITS: re-exported)
from .popcount import popcount_verilog


@dataclass(frozen=True)
class EmitResult:
    out_dir: Path
    files: list               # every file written, relative to out_dir
    plan: CorePlan
    metadata: dict            # plan.metadata(), as written to metadata.json
    seconds: dict = field(default_factory=dict)

    @property
    def latency(self) -> int:
        return self.plan.latency


def write_text(path: Path, text: str) -> None:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    ir.atomic_write(path, write)


def render(nl: Netlist, plan: CorePlan, progress: Callable[[str], None] | None = None,
           seconds: dict | None = None) -> dict[str, str]:
    """The Verilog files of ``plan`` (name -> text), in ``plan.files`` order."""
    from .core import LgnCore  # Amaranth: imported when a core is rendered
    from .fabric import fabric_verilog

    say = progress or (lambda msg: None)
    seconds = {} if seconds is None else seconds
    t0 = time.perf_counter()
    top, pop = plan.top, plan.popcount
    verilog: dict[str, str] = {}
    if plan.options.fabric == "text":
        enc_lines: list[str] = []
        if plan.input.fixed is not None:
            from .encoder import encoder_lines
            enc_lines = encoder_lines(nl.encoder, plan.input.fixed)
        say(f"fabric: {nl.num_nodes} gates in {plan.schedule.num_stages} stage(s), "
            f"{plan.classes} x popcount({plan.group_size}) ({pop.style})")
        verilog[f"{plan.module('fabric')}.v"] = fabric_verilog(nl, plan, enc_lines)
    else:  # the Amaranth data path instantiates one stand-alone popcount module per class
        text, regs = popcount_verilog(plan.group_size, plan.module("popcount"), pop.every, pop.style, pop.first,
                                      pop.shapes[0], plan.options.carry_cell)
        if regs != pop.latency:
            raise AssertionError(f"popcount: {regs} register levels emitted, the plan has {pop.latency}")
        verilog[f"{plan.module('popcount')}.v"] = text
    seconds["fabric"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    say("elaborating the Amaranth core")
    from amaranth.back import verilog as amaranth_verilog
    verilog[f"{top}.v"] = amaranth_verilog.convert(LgnCore(nl, plan), name=top, emit_src=False,
                                                   strip_internal_attrs=True)
    seconds["core"] = time.perf_counter() - t1
    assert list(verilog) == plan.files, (list(verilog), plan.files)
    return verilog


def emit(nl: Netlist, out_dir, options: EmitOptions | None = None,
         progress: Callable[[str], None] | None = None) -> EmitResult:
    """Plan the core for ``nl``, render it and write it into ``out_dir`` with ``netlist.npz``
    and ``metadata.json``; see the port contract in core.py."""
    say = progress or (lambda msg: None)
    plan = plan_core(nl, options)
    seconds: dict = {}
    verilog = render(nl, plan, progress, seconds)
    metadata = plan.metadata()
    t2 = time.perf_counter()
    say(f"writing {len(verilog)} Verilog file(s) to {out_dir}")
    files = write_core(out_dir, verilog, lambda path: ir.save(nl, path), metadata)
    seconds["write"] = time.perf_counter() - t2
    return EmitResult(Path(out_dir), files, plan, metadata, seconds)


def write_core(out_dir, verilog: dict[str, str], save_model, metadata: dict) -> list[str]:
    """Write a core folder: its Verilog files, ``netlist.npz`` (``save_model(path)``) and
    ``metadata.json``; returns the file names, relative to ``out_dir``."""
    out = Path(out_dir)
    for name, text in verilog.items():
        write_text(out / name, text)
    save_model(out / "netlist.npz")
    write_metadata(out, metadata)
    return [*verilog, "netlist.npz", "metadata.json"]
