# SPDX-License-Identifier: MIT
"""Backend options: the ``EmitOptions`` dataclass and the matching CLI options (light to
import: no Amaranth)."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import click

from ..errors import LgnError

POPCOUNT_STYLES = ("wallace", "dadda", "carry", "gpc", "lut6c", "behavioural")
CARRY_CELLS = ("CARRY8", "CARRY4")  # lut6c: the AMD carry primitive (UltraScale(+), 7-series)
FABRICS = ("text", "amaranth")
HEADS = ("argmax", "sums")
ARGMAX = ("tree", "serial")
GROUPSUMS = ("auto", "parallel", "serial")


@dataclass(frozen=True)
class EmitOptions:
    top: str = "lgn_core"
    pipeline_every: int = 1       # logic levels per register stage; 0: combinational core
    head_pipeline_every: int | None = None  # the streaming conv core's dense head only (None: pipeline_every)
    adder_stages: int = 2         # popcount levels per register (a comparator counts 2); 0: combinational
    popcount: str = "carry"       # carry-chain adder tree, LUT compressor tree ("wallace", "dadda"), "behavioural"
    fabric: str = "text"          # "text" (generated Verilog) or "amaranth" (small nets)
    fuse_popcount: bool = True    # last gate stage and first popcount level(s) in one cycle (fewer LUTs/FFs)
    input_width: int | None = None  # on-chip encoder: fixed-point bits per feature (None: input bits)
    frac_bits: int | None = None    # on-chip encoder: fractional bits (None: chosen from thresholds)
    signed: bool | None = None      # on-chip encoder: signed features (None: if a threshold is < 0)
    input_register: bool = True     # False: in_data feeds the fabric directly and must hold for the cycle
                                    # in_valid is high (the streaming core's head reads its bank so)
    head: str | None = None         # "argmax" (class + sums), "sums" (regression: no argmax, out_class tied
                                    # to 0); None: "sums" for a model trained with --task regression
    carry_cell: str = "CARRY8"      # lut6c: CARRY8 (UltraScale(+)) or CARRY4 (7-series), from the --device
    argmax: str = "tree"            # "tree": pipelined comparator tree, one vector per clock; "serial": one
                                    # comparator visits the classes in turn (classes - 1 cycles, a new
                                    # vector at most every ``classes`` cycles: the streaming core's head)
    groupsum: str = "auto"          # "parallel": adder trees; "serial": counted over many cycles where the
                                    # core takes a vector at most once per image (the streaming core's
                                    # head); "auto": serial there, else parallel
    groupsum_cycles: int = 0        # > 0: the GroupSum counts each class's bits over this many cycles
                                    # (serialsum.py; one vector in flight, read in its start cycle: the
                                    # streaming core's head); 0: one adder tree per class

    @property
    def sums_only(self) -> bool:
        return self.head == "sums"

    def check(self) -> None:
        if not self.top.isidentifier():
            raise LgnError(f"top module name {self.top!r} is not a Verilog identifier")
        if self.pipeline_every < 0 or self.adder_stages < 0 or (self.head_pipeline_every or 0) < 0:
            raise LgnError("--pipeline-every, --head-pipeline-every and --adder-stages must be >= 0")
        if self.popcount not in POPCOUNT_STYLES:  # "auto" is resolved by lgn2hw.compile from the target
            raise LgnError(f"popcount style {self.popcount!r}: expected one of {', '.join(POPCOUNT_STYLES)}")
        if self.carry_cell not in CARRY_CELLS:
            raise LgnError(f"carry cell {self.carry_cell!r}: expected one of {', '.join(CARRY_CELLS)}")
        if self.fabric not in FABRICS:
            raise LgnError(f"fabric {self.fabric!r}: expected one of {', '.join(FABRICS)}")
        if self.head is not None and self.head not in HEADS:
            raise LgnError(f"head {self.head!r}: expected one of {', '.join(HEADS)}")
        if self.argmax not in ARGMAX:
            raise LgnError(f"argmax {self.argmax!r}: expected one of {', '.join(ARGMAX)}")
        if self.groupsum not in GROUPSUMS:
            raise LgnError(f"groupsum {self.groupsum!r}: expected one of {', '.join(GROUPSUMS)}")
        if self.groupsum_cycles < 0:
            raise LgnError("groupsum_cycles must be >= 0")
        if self.groupsum_cycles and (self.fabric != "text" or self.argmax != "serial" and not self.sums_only):
            raise LgnError("a serial GroupSum needs the text fabric and a serial argmax (one vector in flight)")
        if not self.input_register and self.input_width is not None:
            raise LgnError("the on-chip encoder needs the input register")


_RTL_OPTIONS = [
    click.option("--pipeline-every", type=click.IntRange(min=0), default=1, show_default=True,
                 help="Register stage every K logic levels (0: combinational core, registered at the ports)."),
    click.option("--head-pipeline-every", type=click.IntRange(min=0), default=None,
                 help="Streaming conv core: register stage every K logic levels in the dense head only (its "
                      "fabric runs once per image; a register there shortens the path into the serial "
                      "GroupSum) [default: --pipeline-every]."),
    click.option("--adder-stages", type=click.IntRange(min=0), default=2, show_default=True,
                 help="At most M adder levels per clock cycle from the popcount tree through the argmax "
                      "tree, a comparator level counting two (0: combinational)."),
    click.option("--popcount", type=click.Choice(("auto", *POPCOUNT_STYLES)), default="auto", show_default=True,
                 help="GroupSum adder: carry-chain adder tree (carry), LUT6 generalized parallel counters into "
                      "a carry-chain adder (gpc), AMD LUT6_2 and carry-chain (7;3) counter primitives that read the last gates' inputs (lut6c; AMD only), full-adder compressor tree (wallace, dadda), or one behavioural "
                      "'+' (behavioural); auto: the --target family's choice (carry without a target)."),
    click.option("--fuse-popcount/--no-fuse-popcount", default=EmitOptions.fuse_popcount, show_default=True,
                 help="No register between the last gate stage and the popcount: synthesis can merge them "
                      "(fewer LUTs and flip-flops, one cycle less latency, a longer path in that cycle)."),
    click.option("--onchip-encoder/--no-onchip-encoder", default=False,
                 help="Take fixed-point features and compare them with the thermometer thresholds on chip."),
    click.option("--input-width", type=click.IntRange(1, 48), default=8, show_default=True,
                 help="Bits per feature with --onchip-encoder."),
    click.option("--input-frac-bits", type=click.IntRange(min=0), default=None,
                 help="Fractional bits per feature with --onchip-encoder (default: fit the thresholds)."),
    click.option("--groupsum", type=click.Choice(GROUPSUMS), default="auto", show_default=True,
                 help="GroupSum hardware: adder trees (parallel) or each class's bits counted a few per clock "
                      "(serial: the streaming conv core's head, which takes one image per H*W pixels and "
                      "whose inputs hold still meanwhile); auto: serial for the streaming head, else parallel."),
    click.option("--top", default="lgn_core", show_default=True, help="Name of the top Verilog module."),
    click.option("--head", type=click.Choice(HEADS), default=None,
                 help="argmax: class and group sums; sums: the group sums only, no argmax tree (out_class is tied "
                      "to 0), as a regression head needs [sums for a model trained with --task regression, "
                      "else argmax]."),
]


def rtl_options(command):
    """Add the RTL options; the command receives them as ``rtl_opts`` (an EmitOptions)."""
    @functools.wraps(command)
    def wrapper(*args, pipeline_every, head_pipeline_every, adder_stages, popcount, fuse_popcount, onchip_encoder,
                input_width, input_frac_bits, groupsum, top, head, **kwargs):
        opts = EmitOptions(top=top, pipeline_every=pipeline_every, head_pipeline_every=head_pipeline_every,
                           adder_stages=adder_stages, popcount=popcount,
                           fuse_popcount=fuse_popcount, groupsum=groupsum,
                           input_width=input_width if onchip_encoder else None, frac_bits=input_frac_bits, head=head)
        return command(*args, rtl_opts=opts, **kwargs)
    for option in reversed(_RTL_OPTIONS):
        wrapper = option(wrapper)
    return wrapper
