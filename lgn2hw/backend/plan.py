# SPDX-License-Identifier: MIT
"""The core plan: every quantity of a core computed once, from a netlist and ``EmitOptions``.

``plan_core(nl, options)`` decides the fabric schedule, whether the last gate stage is fused
with the popcount, each class's popcount (the bits it adds, its adder tree, where its
registers sit), the argmax register breaks, the port widths, the input format and the
latency. The renderers (the text fabric, the Amaranth fabric and core, the popcount text,
the testbench) only read it, and ``metadata.json`` is the plan written out
(``CorePlan.metadata``, read back by ``backend.metadata.load_metadata``).

Cycle budget (``--adder-stages`` m): the popcount's adder levels and the argmax's comparator
levels (one counts ``argmax.COMPARATOR_LEVELS``) form one sequence with a register at most
every m adder levels. Fused (``--fuse-popcount``, a registered fabric), the last gate
stage's cycle also takes the popcount's first levels, each gate level beyond the first
counting as one adder level there.

``kind`` names the core architecture: ``"dense"`` (the flat netlist in fabric stages). A
streaming conv core will be planned by its own function into its own kind; the fields every
kind shares (top, widths, classes, latency, input format) are what the metadata loader and
every reader of a compile folder use.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import LgnError
from ..ir import Netlist
from ..quantize import FixedFormat
from .metadata import FORMAT_VERSION, class_width, sum_width
from .options import EmitOptions
from .gpc import GpcTree
from .lut6c import Lut6cTree, leaf_functions
from .popcount import TREES, CarryPlan, Tree, popcount_inputs
from . import serialsum
from .schedule import Schedule, schedule

# Amaranth numbers the bits of a cell (the top's inputs are one) with 16 bits; 65,500 is checked to convert.
MAX_INPUT_BITS = 65500


@dataclass(frozen=True)
class InputPlan:
    """The ``in_data`` port: netlist input bits, or fixed-point features for the on-chip encoder."""

    num_inputs: int                  # netlist input bits
    width: int                       # in_data bits
    fixed: FixedFormat | None = None
    features: int = 0

    def metadata(self) -> dict:
        return {"kind": "bits"} if self.fixed is None else self.fixed.metadata(self.features)


@dataclass(frozen=True)
class PopcountPlan:
    """The GroupSum popcounts: one per class, pipelined alike."""

    style: str
    group_size: int
    sum_width: int
    groups: tuple                    # per popcount module: the bit names it adds
    shapes: tuple                    # per group: its CarryPlan (carry), GpcTree (gpc), the shared Tree
                                     # (wallace, dadda), SerialPlan (serial), or None
    per_class: bool                  # one popcount per class (text fabric) or one module for all (Amaranth)
    every: int                       # adder levels per cycle (--adder-stages; 0: combinational)
    first: int                       # adder levels before the first register (0: ``every``)
    depth: int                       # carry, gpc: the deepest group's adder levels (every group is pipelined to it)
    levels: int                      # adder levels the registers are counted over
    extra: int                       # 1 where a carry group adds leftover constant ones after its root
    latency: int                     # registers on the path
    tail: int                        # adder levels after the last register (the argmax's first cycle holds them)
    bits: int                        # variable bits the popcounts add, all classes
    cycles: int = 0                  # serial: the phases each lane visits (serialsum.py); 0: adder trees

    @property
    def serial(self) -> bool:
        return self.style == "serial"

    @property
    def modules(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class CorePlan:
    kind: str
    options: EmitOptions
    schedule: Schedule
    fused: bool                      # no register between the last gate stage and the popcount
    input: InputPlan
    popcount: PopcountPlan
    argmax_breaks: tuple             # comparator levels with a register before them
    classes: int
    class_width: int
    latency: int
    netlist_sha256: str
    source: dict

    @property
    def top(self) -> str:
        return self.options.top

    @property
    def head(self) -> str:
        """"argmax" or "sums" (a regression head: no argmax tree, out_class tied to 0)."""
        return "sums" if self.options.sums_only else "argmax"

    @property
    def sum_width(self) -> int:
        return self.popcount.sum_width

    @property
    def group_size(self) -> int:
        return self.popcount.group_size

    @property
    def fabric_latency(self) -> int:
        """Registers of the fabric stages after the input register (a fused last stage has none)."""
        return self.schedule.fabric_latency - int(self.fused)

    @property
    def encoder_latency(self) -> int:
        return int(self.input.fixed is not None)

    @property
    def serial_argmax(self) -> bool:
        """One comparator visiting the classes in turn (``EmitOptions.argmax`` "serial")."""
        return self.head == "argmax" and self.options.argmax == "serial" and self.classes > 1

    @property
    def argmax_latency(self) -> int:
        return self.classes - 1 if self.serial_argmax else len(self.argmax_breaks)

    def stage_registered(self, stage: int) -> bool:
        """Whether fabric stage ``stage`` (1-based) ends in a register."""
        return self.schedule.registered and not (self.fused and stage == self.schedule.num_stages)

    def module(self, part: str) -> str:
        return f"{self.top}_{part}"

    @property
    def files(self) -> list[str]:
        """The Verilog files of the core, dependencies first."""
        data = "fabric" if self.options.fabric == "text" else "popcount"
        return [f"{self.module(data)}.v", f"{self.top}.v"]

    def metadata(self) -> dict:
        """metadata.json: the plan written out (``backend.metadata`` reads it back)."""
        sched, opts, pop = self.schedule, self.options, self.popcount
        return {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "top": self.top,
            "files": self.files,
            "latency": self.latency,
            "num_inputs": self.input.num_inputs,
            "input_width": self.input.width,
            "input_format": self.input.metadata(),
            "classes": self.classes,
            "class_width": self.class_width,
            "sum_width": self.sum_width,
            "group_size": self.group_size,
            "pipeline": {"pipeline_every": opts.pipeline_every, "adder_stages": opts.adder_stages,
                         "fabric_stages": sched.num_stages, "fabric_registers": sched.register_bits(),
                         "popcount": pop.style, "popcount_latency": pop.latency, "popcount_bits": pop.bits,
                         **({"groupsum_cycles": pop.cycles} if pop.serial else {}),
                         "argmax_latency": self.argmax_latency, "fabric": opts.fabric,
                         **({"argmax": "serial"} if self.serial_argmax else {}),
                         "fuse_popcount": opts.fuse_popcount,
                         # lut6c: the AMD carry primitive (written only then: other cores keep their bytes)
                         **({"carry_cell": opts.carry_cell} if pop.style == "lut6c" else {})},
            "netlist_sha256": self.netlist_sha256,
            "source": self.source,
            # written only for a sums-only head, so argmax cores keep their bytes
            **({"head": "sums"} if self.head == "sums" else {}),
        }


# adder levels one comparator level counts for in a cycle's budget (a carry-chain compare, then a select)
COMPARATOR_LEVELS = 2


def tree_levels(num_classes: int) -> int:
    return max(0, (num_classes - 1).bit_length())


def register_levels(num_classes: int, budget: int, used: int = 0) -> tuple[int, ...]:
    """Comparator levels (1-based) that start a new clock cycle: a register sits before each.

    The cycle the tree starts in already holds ``used`` adder levels (the popcount's levels
    after its last register); a level joins the current cycle while the cycle stays within
    ``budget`` adder levels, a comparator level counting ``COMPARATOR_LEVELS``. A cycle takes
    at least one level, so ``budget`` 1 still gives one comparator level per cycle. The last
    level feeds the core's output register, so no register follows it. ``budget`` 0: none.
    """
    if budget <= 0:
        return ()
    starts = []
    for level in range(1, tree_levels(num_classes) + 1):
        if used and used + COMPARATOR_LEVELS > budget:
            starts.append(level)
            used = 0
        used += COMPARATOR_LEVELS
    return tuple(starts)


def popcount_registers(levels: int, every: int, first: int) -> tuple[int, int]:
    """(registers, levels after the last one) of a popcount of ``levels`` adder levels with a
    register after levels ``first``, ``first + every``, ... (``first`` 0: ``every``, ...).
    Without a register, the cycle the sum comes out in also holds the ``every - first`` levels
    before the popcount (the fused gate stage's share)."""
    if not every:
        return 0, 0
    before = (every - first) % every
    return (levels + before) // every, (levels + before) % every


def popcount_bits(groups, shapes, style: str) -> int:
    """Variable bits the popcounts add: a ``carry`` tree counts a bit read m times once per 1
    in m's binary form; the other styles add every copy."""
    if style in ("carry", "gpc", "lut6c"):
        return sum(len(p.names) for p in shapes)
    if style == "serial":
        return sum(p.bits for p in shapes)
    return sum(x not in ("1'b0", "1'b1") for g in groups for x in g)


def plan_popcount(groups: list[list[str]], style: str, every: int, first: int, per_class: bool,
                  classes: int, funcs: dict | None = None, cycles: int = 0) -> PopcountPlan:
    """``cycles`` > 0: the serial GroupSum (style "serial", whatever ``style`` says)."""
    g = len(groups[0])
    sw = sum_width(g)
    if cycles:
        shapes = tuple(serialsum.SerialPlan.of(x, cycles) for x in groups)
        return PopcountPlan(style="serial", group_size=g, sum_width=sw, groups=tuple(tuple(x) for x in groups),
                            shapes=shapes, per_class=per_class, every=0, first=0, depth=0, levels=0, extra=0,
                            latency=serialsum.latency(cycles), tail=0, bits=popcount_bits(groups, shapes, "serial"),
                            cycles=cycles)
    if style == "carry":
        shapes = tuple(CarryPlan.of(x) for x in groups)
        depth = max(p.depth for p in shapes)
        levels, extra = depth, int(any(p.extra for p in shapes))
    elif style == "gpc":  # per group (weights differ); every group pipelined to the deepest one
        gpc = tuple(GpcTree.of(x, g) for x in groups)
        shapes, depth, extra = gpc, max(t.depth for t in gpc), 0
        levels = depth
    elif style == "lut6c":  # per group; ``funcs``: the output bits the leaf counters compute from their wires
        trees = tuple(Lut6cTree.of(x, g, funcs) for x in groups)
        shapes, depth, extra = trees, max(t.depth for t in trees), 0
        levels = depth
    elif style in TREES:  # one tree shape for every group; the final adder counts as a level
        tree: Tree = TREES[style](g)
        shapes, depth, levels, extra = (tree,) * len(groups), 0, len(tree.rounds) + 1, 0
    else:  # behavioural: one unpipelined adder, its cycle is full
        shapes, depth, levels, extra = (None,) * len(groups), 0, 0, 0
    if style == "behavioural":
        latency, tail = 0, every
    else:
        latency, tail = popcount_registers(levels, every, first)
        tail += extra if every else 0
    bits = popcount_bits(groups, shapes, style) * (1 if per_class else classes)
    return PopcountPlan(style=style, group_size=g, sum_width=sw, groups=tuple(tuple(x) for x in groups),
                        shapes=shapes, per_class=per_class, every=every, first=first, depth=depth, levels=levels,
                        extra=extra, latency=latency, tail=tail, bits=bits)


def plan_input(nl: Netlist, opts: EmitOptions) -> InputPlan:
    if opts.input_width is None:
        return InputPlan(nl.num_inputs, nl.num_inputs)
    fmt = FixedFormat.for_encoder(nl.encoder, opts.input_width, opts.frac_bits, opts.signed)
    f = nl.encoder.num_features
    return InputPlan(nl.num_inputs, f * fmt.width, fmt, f)


def plan_core(nl: Netlist, options: EmitOptions | None = None) -> CorePlan:
    """The plan of the dense core for ``nl``; LgnError on options or nets it cannot build."""
    opts = options or EmitOptions()
    opts.check()
    if nl.num_outputs == 0:
        raise LgnError("the netlist has no output bits: nothing to sum per class")
    if opts.groupsum == "serial" and not opts.groupsum_cycles:
        raise LgnError("--groupsum serial: only the streaming conv core's head counts serially (it takes an image "
                       "at most once per H*W pixels); this core takes a vector every clock")
    sched = schedule(nl, opts.pipeline_every)
    inp = plan_input(nl, opts)
    if inp.width > MAX_INPUT_BITS:  # Amaranth numbers a module's port bits with 16 bits
        raise LgnError(f"in_data would be {inp.width} bits wide; the Amaranth core takes at most "
                       f"{MAX_INPUT_BITS} (fewer thermometer bits, or --onchip-encoder, narrow the port)")
    # a serial GroupSum loads the last stage's wires into its lanes (shift registers)
    fused = (opts.fuse_popcount or opts.groupsum_cycles > 0) and sched.registered
    m = opts.adder_stages
    # fused, the last gate stage's cycle also takes the popcount's first levels: each gate
    # level beyond the first counts as one adder level there (at least one adder level)
    first = max(1, m - opts.pipeline_every + 1) if fused else 0
    per_class = opts.fabric == "text"
    # the text fabric adds each class's rewritten bits; the Amaranth fabric's one popcount
    # module (a port per bit) serves every class
    groups = popcount_inputs(nl) if per_class else [[f"x[{i}]" for i in range(nl.group_size)]]
    # lut6c: the last gate stage's outputs, as functions of its input wires, for the leaf counters
    # to read (when that stage ends in wires, not registers)
    funcs = leaf_functions(nl, sched) if opts.popcount == "lut6c" and per_class and \
        not (sched.registered and not fused) else None
    pop = plan_popcount(groups, opts.popcount, m, first, per_class, nl.num_classes, funcs, opts.groupsum_cycles)
    # the argmax's first levels share the popcount's last cycle (one budget of adder levels);
    # a sums-only head has no argmax
    serial = opts.argmax == "serial" and nl.num_classes > 1
    breaks = () if opts.sums_only or serial else register_levels(nl.num_classes, m, pop.tail)
    fabric_latency = sched.fabric_latency - int(fused)
    argmax = nl.num_classes - 1 if serial and not opts.sums_only else len(breaks)
    latency = int(opts.input_register) + int(inp.fixed is not None) + fabric_latency + pop.latency + argmax + 1
    return CorePlan(kind="dense", options=opts, schedule=sched, fused=fused, input=inp, popcount=pop,
                    argmax_breaks=tuple(breaks), classes=nl.num_classes, class_width=class_width(nl.num_classes),
                    latency=latency, netlist_sha256=nl.fingerprint(), source=nl.provenance)
