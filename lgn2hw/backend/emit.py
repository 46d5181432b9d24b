# SPDX-License-Identifier: MIT
"""``emit(netlist, out_dir, options)``: write the core's Verilog, ``netlist.npz`` and
``metadata.json`` into ``out_dir`` (each file written to a temporary name and renamed).

Output is byte-stable: the same netlist and options give identical files.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import ir
from ..errors import LgnError
from ..ir import Netlist
from .argmax import class_width
from .core import CoreSpec, LgnCore
from .fabric import fabric_verilog, popcount_inputs
from .options import EmitOptions
from .popcount import TREES, CarryPlan, popcount_verilog, sum_width
from .schedule import schedule

# Amaranth numbers the bits of a cell (the top's inputs are one) with 16 bits; 65,500 is checked to convert.
MAX_INPUT_BITS = 65500


@dataclass(frozen=True)
class EmitResult:
    out_dir: Path
    files: list               # every file written, relative to out_dir
    metadata: dict
    seconds: dict = field(default_factory=dict)

    @property
    def latency(self) -> int:
        return self.metadata["latency"]


def popcount_groups(nl: Netlist, fabric: str) -> list[list[str]]:
    """The bit names each class's popcount adds, as the data path builds them: the text
    fabric's (``popcount_inputs``), or the Amaranth fabric's one module with a port per bit."""
    if fabric != "text":
        return [[f"x[{i}]" for i in range(nl.group_size)]]
    return popcount_inputs(nl)


def popcount_levels(groups: list[list[str]], style: str) -> tuple[int, int]:
    """(adder levels the popcount pipelines, as ``popcount_lines`` counts them; 1 where a
    ``carry`` group then adds its leftover constant ones after the root, else 0), of the
    deepest group."""
    if style in TREES:  # one tree shape for every group; the final adder counts as a level
        return len(TREES[style](len(groups[0])).rounds) + 1, 0
    plans = [CarryPlan.of(g) for g in groups]
    return max(p.depth for p in plans), int(any(p.extra for p in plans))


def popcount_bits(groups: list[list[str]], style: str) -> int:
    """Variable bits the popcounts add: a ``carry`` tree counts a bit read m times once per
    1 in m's binary form; the other styles add every copy."""
    if style == "carry":
        return sum(len(CarryPlan.of(g).names) for g in groups)
    return sum(x not in ("1'b0", "1'b1") for g in groups for x in g)


def popcount_registers(levels: int, every: int, first: int) -> tuple[int, int]:
    """(registers, levels after the last one) of a popcount of ``levels`` adder levels with a
    register after levels ``first``, ``first + every``, ... (``first`` 0: ``every``, ...).
    Without a register, the cycle the sum comes out in also holds the ``every - first`` levels
    before the popcount (the fused gate stage's share)."""
    if not every:
        return 0, 0
    before = (every - first) % every
    return (levels + before) // every, (levels + before) % every


def _write_text(path: Path, text: str) -> None:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    ir.atomic_write(path, write)


def emit(nl: Netlist, out_dir, options: EmitOptions | None = None,
         progress: Callable[[str], None] | None = None) -> EmitResult:
    """Generate the core for ``nl`` into ``out_dir``; see the port contract in core.py."""
    opts = options or EmitOptions()
    opts.check()
    say = progress or (lambda msg: None)
    if nl.num_outputs == 0:
        raise LgnError("the netlist has no output bits: nothing to sum per class")
    out = Path(out_dir)
    seconds = {}
    t0 = time.perf_counter()
    sched = schedule(nl, opts.pipeline_every)
    top = opts.top
    sw = sum_width(nl.group_size)
    input_format: dict = {"kind": "bits"}
    in_width = nl.num_inputs
    verilog: dict[str, str] = {}
    enc_lines: list[str] = []
    fmt = None
    if opts.input_width is not None:
        from ..quantize import FixedFormat
        from .encoder import encoder_lines
        fmt = FixedFormat.for_encoder(nl.encoder, opts.input_width, opts.frac_bits, opts.signed)
        input_format = fmt.metadata(nl.encoder.num_features)
        in_width = nl.encoder.num_features * fmt.width
        enc_lines = encoder_lines(nl.encoder, fmt)
    # fused, the last gate stage's cycle also takes the popcount's first levels: each gate
    # level beyond the first counts as one adder level there (at least one adder level)
    first = max(1, opts.adder_stages - opts.pipeline_every + 1) if opts.fuse_popcount and sched.registered else 0
    groups = popcount_groups(nl, opts.fabric)
    if opts.fabric == "text":
        say(f"fabric: {nl.num_nodes} gates in {sched.num_stages} stage(s), "
            f"{nl.num_classes} x popcount({nl.group_size}) ({opts.popcount})")
        verilog[f"{top}_fabric.v"], pop_latency = fabric_verilog(
            nl, sched, top, in_width, enc_lines, opts.adder_stages, opts.popcount, opts.fuse_popcount, first,
            groups)
    else:  # the Amaranth data path instantiates a stand-alone popcount module per class
        verilog[f"{top}_popcount.v"], pop_latency = popcount_verilog(
            nl.group_size, f"{top}_popcount", opts.adder_stages, opts.popcount, first)
    seconds["fabric"] = time.perf_counter() - t0
    # the argmax's first levels share the popcount's last cycle (one budget of adder levels)
    m = opts.adder_stages
    if opts.popcount == "behavioural":
        tail = m  # one unpipelined adder: its cycle is full
    else:
        levels, extra = popcount_levels(groups, opts.popcount)
        regs, tail = popcount_registers(levels, m, first)
        tail += extra if m else 0
        if regs != pop_latency:
            raise AssertionError(f"popcount: {pop_latency} register levels emitted, {regs} expected")
    t1 = time.perf_counter()
    if in_width > MAX_INPUT_BITS:  # Amaranth numbers a module's port bits with 16 bits
        raise LgnError(f"in_data would be {in_width} bits wide; the Amaranth core takes at most "
                       f"{MAX_INPUT_BITS} (fewer thermometer bits, or --onchip-encoder, narrow the port)")
    spec = CoreSpec(top=top, in_width=in_width, sum_width=sw, popcount_latency=pop_latency,
                    adder_stages=opts.adder_stages, popcount_tail=tail, fabric=opts.fabric,
                    encoder=fmt, fuse_popcount=opts.fuse_popcount)
    core = LgnCore(nl, sched, spec)
    say("elaborating the Amaranth core")
    from amaranth.back import verilog as amaranth_verilog
    verilog[f"{top}.v"] = amaranth_verilog.convert(core, name=top, emit_src=False, strip_internal_attrs=True)
    seconds["core"] = time.perf_counter() - t1
    metadata = {
        "top": top,
        "files": list(verilog),
        "latency": core.latency,
        "num_inputs": nl.num_inputs,
        "input_width": in_width,
        "input_format": input_format,
        "classes": nl.num_classes,
        "class_width": class_width(nl.num_classes),
        "sum_width": sw,
        "group_size": nl.group_size,
        "pipeline": {"pipeline_every": opts.pipeline_every, "adder_stages": opts.adder_stages,
                     "fabric_stages": sched.num_stages, "fabric_registers": sched.register_bits(),
                     "popcount": opts.popcount, "popcount_latency": pop_latency,
                     # the Amaranth fabric's one popcount module serves every class
                     "popcount_bits": popcount_bits(groups, opts.popcount) * (1 if opts.fabric == "text" else nl.num_classes),
                     "argmax_latency": core.argmax.latency, "fabric": opts.fabric,
                     "fuse_popcount": opts.fuse_popcount},
        "netlist_sha256": nl.fingerprint(),
        "source": nl.provenance,
    }
    t2 = time.perf_counter()
    say(f"writing {len(verilog)} Verilog file(s) to {out}")
    for name, text in verilog.items():
        _write_text(out / name, text)
    ir.save(nl, out / "netlist.npz")
    _write_text(out / "metadata.json", json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    seconds["write"] = time.perf_counter() - t2
    return EmitResult(out, [*verilog, "netlist.npz", "metadata.json"], metadata, seconds)



