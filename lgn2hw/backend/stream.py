# SPDX-License-Identifier: MIT
"""The streaming conv core: pixels in, one class per image out; one instance of each kernel.

Pixels arrive in raster order, one per clock at full rate (``in_pixel``: the pixel's C*T
thermometer bits, bit ``c*T + t``). Each conv block is a window generator (window.py: line
buffers, padding, stride) feeding the block's kernel netlist built once (Amaranth stages of
the same schedule as the dense fabric, a register every ``--pipeline-every`` levels); an
overlapping OR pool is a window generator feeding an OR per channel, a non-overlapping one an
accumulator (pool.py). The last stage's positions are collected into a bank of ``K*H*W`` bits
in flatten order (``k*H*W + y*W + x``); a non-overlapping last pool is folded into it (each
cell ORed into its pooled bit). When a frame's last position is in, the bank goes to the dense
head — an ordinary dense core (``{top}_head``, plan.py; its argmax serial where an image's
cycles leave the time), which registers its input on that cycle, so the next frame fills the
bank meanwhile.

Ports: ``clk``, ``rst`` (synchronous: drops every frame in flight), ``in_valid``, ``in_first``
(with the first pixel of a frame: a frame cut short is dropped and the new one starts),
``in_pixel``, ``in_ready`` (low only while the core finishes a frame's border on its own after
the input paused, and for one cycle when ``in_first`` cuts a frame short), ``out_valid``,
``out_class``, ``out_sums`` (class c at ``[c*sum_width +: sum_width]``), once per image.
"""
from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, ResetInserter, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..conv import ConvBlock, ConvModel
from ..errors import LgnError
from .fabric import AmaranthStage
from .plan import CorePlan
from .pool import PoolAcc, RasterPos, accumulates, pool_axis
from .schedule import Schedule, schedule
from .window import WindowGen, WindowGeometry


DRAIN_START = 2  # cycles between a later stage's last pixel and its first drain step (see StreamFrontEnd)


@dataclass(frozen=True)
class StreamStage:
    kind: str                       # "conv" | "pool"
    geometry: WindowGeometry
    out_channels: int
    schedule: Schedule | None       # conv: the kernel netlist's pipeline schedule
    mode: str = "window"            # "window": a window generator (conv, overlapping pool); "acc": a
                                    # non-overlapping pool accumulated in a line (pool.py); "bank": the
                                    # model's last pool, non-overlapping, folded into the bank

    @property
    def latency(self) -> int:
        """Cycles from a window step to the stage's output: the window register, then the kernel
        pipeline's registers (conv) or the OR register (pool); nothing for an accumulating pool
        (its output leaves with its last cell) or a pool folded into the bank."""
        if self.mode in ("bank", "acc"):
            return 0
        if self.kind == "pool":
            return 2
        return 1 + (self.schedule.num_stages if self.schedule.registered else 0)

    @property
    def tail(self) -> int:
        """Steps the stage takes after its frame's last input (its border); pools that
        accumulate have none."""
        return self.geometry.tail if self.mode == "window" else 0


@dataclass(frozen=True)
class StreamPlan:
    top: str
    pixel_bits: int                 # in_pixel width: C*T
    image: tuple                    # (C*T, H, W) of the input bit map
    stages: tuple                   # StreamStage per conv block / pool
    features: int                   # bits collected per image (the head's inputs)
    head: CorePlan                  # the dense head's core plan (top ``{top}_head``)
    pipeline_every: int             # the front end's kernels' register stage every K levels
    model_sha256: str               # ConvModel.fingerprint() of the model it streams
    estimates: dict                 # resource estimates, streaming vs unrolled (``estimate``)

    @property
    def cycles_per_image(self) -> int:
        _, h, w = self.image
        return h * w

    @property
    def latency(self) -> int:
        """Cycles from the last pixel of an image (followed by no other) to its ``out_valid``:
        every stage's border steps and pipeline, the bank, the head core. A later stage starts
        its border ``DRAIN_START`` cycles after its last pixel (the stages before it are seen
        idle through a register, then the input is held through another)."""
        return front_latency(self.stages) + self.head.latency

    def metadata(self) -> dict:
        head = self.head.metadata()
        pipeline = {**head["pipeline"], "pipeline_every": self.pipeline_every,
                    "head_pipeline_every": head["pipeline"]["pipeline_every"]}
        return {**head, "kind": "stream", "top": self.top, "files": [*head["files"], f"{self.top}.v"],
                "pipeline": pipeline,
                "netlist_sha256": self.model_sha256, "estimates": self.estimates,
                "latency": self.latency, "num_inputs": self.pixel_bits, "input_width": self.pixel_bits,
                "stream": {"image": list(self.image), "cycles_per_image": self.cycles_per_image,
                           "features": self.features, "head_top": self.head.top, "head_latency": self.head.latency,
                           "stages": [{"kind": st.kind, "rf": st.geometry.rf, "stride": st.geometry.stride,
                                       "padding": st.geometry.padding, "in": [st.geometry.channels,
                                                                               st.geometry.height, st.geometry.width],
                                       "out_channels": st.out_channels, "tail": st.tail,
                                       "latency": st.latency, "mode": st.mode} for st in self.stages]}}


def stage_geometries(model: ConvModel) -> list[WindowGeometry]:
    """The window each stage slides over its input map (a pool's window is its kernel)."""
    shapes = model.shapes()
    return [WindowGeometry(*shapes[i], st.rf, st.stride, st.padding) if isinstance(st, ConvBlock)
            else WindowGeometry(*shapes[i], st.kernel, st.step, st.padding) for i, st in enumerate(model.stages)]


def stage_modes(model: ConvModel) -> list[str]:
    """How each stage streams (``StreamStage.mode``): a non-overlapping pool accumulates, the last
    stage's one in the bank; every other stage slides a window."""
    geos = stage_geometries(model)
    last = len(model.stages) - 1
    return ["window" if isinstance(st, ConvBlock) or not accumulates(g) else ("bank" if i == last else "acc")
            for i, (st, g) in enumerate(zip(model.stages, geos))]


def stream_stages(model: ConvModel, pipeline_every: int) -> tuple:
    stages = []
    for st, geo, mode in zip(model.stages, stage_geometries(model), stage_modes(model)):
        if isinstance(st, ConvBlock):
            stages.append(StreamStage("conv", geo, st.num_kernels, schedule(st.kernel, pipeline_every)))
        else:
            stages.append(StreamStage("pool", geo, geo.channels, None, mode))
    return tuple(stages)


def front_latency(stages) -> int:
    """Cycles from the last pixel of an image (followed by no other) to ``feat_valid``: every
    stage's border steps and pipeline, then the bank. A later stage starts its border
    ``DRAIN_START`` cycles after its last pixel (the stages before it are seen idle through a
    register, then the input is held through another)."""
    return sum(st.tail + st.latency + (DRAIN_START if i and st.tail else 0) for i, st in enumerate(stages)) + 1


def pixel_of(stages, r: int, c: int, image_width: int) -> int:
    """A lower bound on the raster index of the pixel (of the same frame) that completes cell
    (r, c) of the last of ``stages``' output: each stage's output (i, j) needs its input up to
    the window's bottom-right corner (``WindowGeometry.corner``), so walking the stages back
    from the cell gives the pixel. A pool folded into the bank adds nothing (it writes from
    its first input cell on)."""
    for st in reversed(stages):
        if st.mode != "bank":
            r, c = st.geometry.corner(r, c)
    return r * image_width + c


def bank_hold(stages, image_width: int) -> int:
    """Cycles from ``feat_valid`` (0) through which the bank is sure to hold the image it
    announced, whatever follows. The next frame's first write needs its pixel ``P`` (the one
    completing the last streamed stage's first output), which comes ``P`` cycles after that
    frame's first pixel at the soonest. ``feat_valid`` comes ``front_latency`` cycles after the
    image's last pixel when nothing follows; when the next frame follows at once, a stage's
    border steps are taken by that frame's first cells at the stage (its pixel ``Q``, the latest
    over the stages with a border), and ``feat_valid`` comes at most ``front_latency`` cycles
    after them. Bubbles only widen the gap (``Q`` < ``P``); two cycles are kept as a margin."""
    streamed = [st for st in stages if st.mode != "bank"]
    first = pixel_of(stages, 0, 0, image_width)
    driven = -1  # the next frame's pixel that finishes this frame's borders (-1: none needed)
    for j, st in enumerate(streamed):
        if st.tail:
            r, c = divmod(st.tail - 1, st.geometry.width)
            driven = max(driven, pixel_of(streamed[:j], r, c, image_width))
    return max(0, first - 1 - driven - front_latency(stages))


def plan_stream(model: ConvModel, head_plan: CorePlan, top: str, pipeline_every: int) -> StreamPlan:
    """Plan the stream stages of ``model``; ``head_plan`` is the dense core planned for its head."""
    stages = stream_stages(model, pipeline_every)
    c, h, w = model.shapes()[-1]
    image = model.input_map_shape
    return StreamPlan(top, image[0], image, stages, c * h * w, head_plan, pipeline_every, model.fingerprint(),
                      estimate(model, head_plan))


def estimate(model: ConvModel, head_plan: CorePlan) -> dict:
    """Before synthesis: LUT4 upper estimates (one per logic gate, one per bit the GroupSum adds)
    for the streaming core and for the unrolled design of the same model, and the streaming
    core's memory bits (line buffers) and collection bank."""
    from ..analysis import gate_counts
    kernels = sum(gate_counts(st.kernel)["logic_gates"] for st in model.conv_blocks())
    head = gate_counts(model.head)["logic_gates"]
    pop = head_plan.popcount.bits
    geos, modes = stage_geometries(model), stage_modes(model)
    lines = sum(max(0, g.rf - 1) * g.width * g.channels if mode == "window" else
                (g.out_width * g.channels if mode == "acc" and g.rf > 1 else 0) for g, mode in zip(geos, modes))
    # OR gates: a window's k*k - 1 per channel; an accumulator's two per channel; the bank's one
    # per pooled bit (its read-modify-write)
    ors = sum(g.channels * {"window": g.rf * g.rf - 1, "acc": 2, "bank": g.out_height * g.out_width}[mode]
              for st, g, mode in zip(model.stages, geos, modes) if not isinstance(st, ConvBlock))
    unrolled = gate_counts(model.unroll())["logic_gates"]
    c, h, w = model.shapes()[-1]
    return {"streaming": {"logic_gates": kernels + ors + head, "lut4_upper": kernels + ors + head + pop,
                          "line_buffer_bits": lines, "bank_bits": c * h * w},
            "unrolled": {"logic_gates": unrolled, "lut4_upper": unrolled + pop},
            "note": "LUT4 upper estimates before synthesis: one per logic gate and per GroupSum bit; "
                    "yosys packs gates, so the synthesized counts are lower"}


def pool_cells(n: int) -> list[int]:
    """The window cells an OR pool reads: all of them (a function so tests can plant a fault)."""
    return list(range(n))


def bank_last(positions: int) -> int:
    """The bank position that completes an image (a function so tests can plant a fault)."""
    return positions - 1


class KernelPipe(wiring.Component):
    """A conv block's kernel netlist on one window: its schedule's stages in Amaranth."""

    def __init__(self, kernel, sched: Schedule):
        self.kernel, self.sched = kernel, sched
        super().__init__({"x": In(kernel.num_inputs), "y": Out(kernel.num_outputs)})

    def elaborate(self, platform):
        m = Module()
        vec = self.x
        for s in range(1, self.sched.num_stages + 1):
            m.submodules[f"stage{s}"] = st = AmaranthStage(self.kernel, self.sched, s, self.sched.registered)
            m.d.comb += st.x.eq(vec)
            vec = st.y
        m.d.comb += self.y.eq(vec)
        return m


class StreamFrontEnd(wiring.Component):
    """Pixel stream -> the collected feature bits of each image (``feat_valid`` for one cycle)."""

    def __init__(self, plan: StreamPlan, model: ConvModel):
        self.plan, self.model = plan, model
        super().__init__({
            "in_valid": In(1), "in_pixel": In(plan.pixel_bits), "in_ready": Out(1),
            "busy": Out(1), "feat_valid": Out(1), "features": Out(plan.features),
        })

    def elaborate(self, platform):
        m = Module()
        hold = Signal()      # a later stage is about to finish a border on its own, or does
        held = Signal()      # ... registered: the input waits
        m.d.sync += held.eq(hold)
        valid, data = self.in_valid & ~held, self.in_pixel
        taken = Signal()     # a pixel enters this cycle
        # idle[i]: in the previous cycle nothing of a frame was in stage i or before it and no pixel
        # was taken (registered, so it reaches the later stages' drain decisions without a long
        # path). A later stage in its border with the stages before it idle raises ``hold``; one
        # cycle later ``held`` keeps pixels out, and only then does it drain (idle and held both
        # registered: no pixel entered in between), until its border is done: so nothing can
        # reach a draining stage, and no long path leads to a stage's step enable.
        idle, quiets = [], []
        holds = []           # later stages about to finish a border on their own
        gens = []
        streamed = [(st, mst) for st, mst in zip(self.plan.stages, self.model.stages) if st.mode != "bank"]
        for i, (st, mst) in enumerate(streamed):
            out = Signal(st.out_channels, name=f"s{i}_out")
            out_valid = Signal(name=f"s{i}_valid")
            flight = Signal(name=f"s{i}_flight")  # a window of this stage still in its pipeline
            if st.mode == "acc":  # a pool that accumulates: never stalls, has no border
                acc = PoolAcc(st.geometry)
                m.submodules[f"pool{i}"] = acc
                m.d.comb += [acc.i_valid.eq(valid), acc.i_data.eq(data), out.eq(acc.o_data),
                             out_valid.eq(acc.o_valid), flight.eq(acc.o_valid)]
                stage_quiet = acc.idle
            else:
                gen = WindowGen(st.geometry)
                m.submodules[f"win{i}"] = gen
                gens.append(gen)
                m.d.comb += [gen.i_valid.eq(valid), gen.i_data.eq(data)]
                if idle:
                    # drain only once the input is held (registered) and nothing came in before it
                    m.d.comb += gen.upstream_idle.eq(idle[-1] & held)
                    # it is about to finish a border on its own, or doing so: no new frame may enter meanwhile
                    holds.append(gen.border & (idle[-1] | gen.draining))
                else:
                    m.d.comb += taken.eq(valid & gen.i_ready)
                if st.kind == "conv":
                    m.submodules[f"kernel{i}"] = pipe = KernelPipe(mst.kernel, st.schedule)
                    m.d.comb += [pipe.x.eq(gen.o_window), out.eq(pipe.y)]
                    delay = st.latency - 1
                else:
                    g = st.geometry
                    ors = []
                    for ch in range(g.channels):
                        cells = [gen.o_window[(k * g.channels) + ch] for k in pool_cells(g.rf * g.rf)]
                        ors.append(Cat(*cells).any())
                    reg = Signal(st.out_channels, name=f"s{i}_or")
                    m.d.sync += reg.eq(Cat(*ors))
                    m.d.comb += out.eq(reg)
                    delay = 1
                v = gen.o_valid
                chain = []
                for d in range(delay):
                    nxt = Signal(name=f"s{i}_v{d + 1}")
                    m.d.sync += nxt.eq(v)
                    chain.append(nxt)
                    v = nxt
                m.d.comb += [out_valid.eq(v), flight.eq(Cat(gen.o_valid, *chain).any())]
                stage_quiet = gen.idle
            # all of one cycle (the previous): this stage and every one before it, no pixel taken
            quiet = Signal(name=f"s{i}_quiet")
            m.d.comb += quiet.eq(stage_quiet & ~flight & (quiets[-1] if quiets else ~taken))
            quiets.append(quiet)
            stage_idle = Signal(name=f"s{i}_idle")
            m.d.sync += stage_idle.eq(quiet)
            idle.append(stage_idle)
            valid, data = out_valid, out
        bank_start = self.bank(m, valid, data)
        m.d.comb += [hold.eq(Cat(*holds).any() if holds else 0),
                     self.in_ready.eq(gens[0].i_ready & ~held),
                     self.busy.eq(~idle[-1] | ~bank_start)]
        return m


    def bank(self, m: Module, valid, data):
        """The bank: the features of an image in flatten order (bit ``k*H*W + y*W + x`` of the last
        map), written as the last streamed stage's cells arrive; the model's last pool, if it does
        not overlap, is folded in (each cell ORed into its pooled bit, the window's first cell
        overwriting it). ``feat_valid`` rises after the cell that completes the image. Returns a
        signal high while the bank waits for a frame's first cell."""
        st = self.plan.stages[-1]
        c, hb, wb = self.model.shapes()[-1]
        if st.mode == "bank":
            g = st.geometry
            cols = pool_axis(g.width, g.rf, g.padding, wb)
            rows = pool_axis(g.height, g.rf, g.padding, hb)
            h, w = g.height, g.width
        else:
            h, w = hb, wb
            cols = [(x, 1, 1) for x in range(w)]
            rows = [(y, 1, 1) for y in range(h)]
        # the input cell that completes the image: the last cell of the last pooled cell
        yl = max(y for y, t in enumerate(rows) if t[0] == hb - 1 and t[2])
        xl = max(x for x, t in enumerate(cols) if t[0] == wb - 1 and t[2])
        lr, lc = divmod(bank_last(yl * w + xl + 1), w)
        pooled = st.mode == "bank"
        col_fields = {f"c{j}": ([t[0] == j for t in cols], 1) for j in range(wb)}
        row_fields = {f"r{i}": ([t[0] == i for t in rows], 1) for i in range(hb)}
        col_fields["cend"] = ([x == lc for x in range(w)], 1)
        row_fields["rend"] = ([y == lr for y in range(h)], 1)
        if pooled:
            col_fields["cfirst"] = ([t[1] for t in cols], 1)
            row_fields["rfirst"] = ([t[1] for t in rows], 1)
        pos = RasterPos(m, valid, h, w, col_fields, row_fields, "bank")
        first = (pos["cfirst"] & pos["rfirst"]) if pooled else Const(1, 1)
        # no reset: an image cut short must not clear the one the head may still be reading
        # (each write's ``first`` starts a pooled bit afresh)
        banks = [Signal(hb * wb, name=f"bank{k}", reset_less=True) for k in range(c)]
        for i in range(hb):
            for j in range(wb):
                q = i * wb + j
                with m.If(valid & pos[f"r{i}"] & pos[f"c{j}"]):
                    for k in range(c):
                        m.d.sync += banks[k][q].eq(data[k] | (banks[k][q] & ~first))
        m.d.sync += self.feat_valid.eq(valid & pos["rend"] & pos["cend"])
        m.d.comb += self.features.eq(Cat(*banks))
        return pos.at_start

class StreamCore(wiring.Component):
    """The top: the front end (reset by ``rst`` or a frame cut short) and the head core."""

    def __init__(self, plan: StreamPlan, model: ConvModel):
        self.plan, self.model = plan, model
        hp = plan.head
        super().__init__({
            "in_valid": In(1), "in_first": In(1), "in_pixel": In(plan.pixel_bits), "in_ready": Out(1),
            "out_valid": Out(1), "out_class": Out(hp.class_width), "out_sums": Out(hp.classes * hp.sum_width),
        })

    def elaborate(self, platform):
        m = Module()
        front = StreamFrontEnd(self.plan, self.model)
        # in_first while the front end holds part of a frame: drop it (reset) and take the pixel next cycle
        cut = Signal()
        started = Signal()  # a pixel of the current frame has been taken
        m.d.comb += cut.eq(self.in_valid & self.in_first & started)
        m.submodules.front = ResetInserter(cut)(front)
        take = Signal()
        m.d.comb += [
            front.in_valid.eq(self.in_valid & ~cut), front.in_pixel.eq(self.in_pixel),
            self.in_ready.eq(front.in_ready & ~cut), take.eq(self.in_valid & front.in_ready & ~cut),
        ]
        # a frame is "started" from its first pixel until its last has been taken
        _, h, w = self.plan.image
        count = Signal(range(max(2, h * w)), name="in_count")
        with m.If(cut):
            m.d.sync += [count.eq(0), started.eq(0)]
        with m.Elif(take):
            with m.If(count == h * w - 1):
                m.d.sync += [count.eq(0), started.eq(0)]
            with m.Else():
                m.d.sync += [count.eq(count + 1), started.eq(1)]
        hp = self.plan.head
        m.submodules.head = Instance(hp.top, i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"),
                                     i_in_valid=front.feat_valid, i_in_data=front.features,
                                     o_out_valid=self.out_valid, o_out_class=self.out_class, o_out_sums=self.out_sums)
        return m


# ---------------------------------------------------------------------- emit
def stream_head_options(options, model: ConvModel):
    """The head core's options: the stream's, named ``{top}_head``, taking bits (the bank) without
    an input register, pipelined every ``head_pipeline_every`` levels where that is given: the
    bank holds an image for the cycle its valid is high, and the next
    image's first write lands on the edge where the head's first registers take it. The head
    gets an image at most once per ``H*W`` cycles, so its argmax is one comparator visiting the
    classes in turn (``classes - 1`` cycles) where that fits in an image's cycles, and (``groupsum``
    "auto" or "serial") its GroupSum counts each class's bits serially, loaded from the bank's
    image in one cycle (see ``serial_groupsum_cycles``)."""
    from dataclasses import replace
    _, h, w = model.input_map_shape
    serial = h * w > model.num_classes
    every = options.pipeline_every if options.head_pipeline_every is None else options.head_pipeline_every
    opts = replace(options, top=f"{options.top}_head", input_width=None, frac_bits=None, signed=None,
                   input_register=False, argmax="serial" if serial else "tree", groupsum_cycles=0,
                   pipeline_every=every, head_pipeline_every=None)
    cycles = (serial_groupsum_cycles(model, opts, options.pipeline_every)
              if options.groupsum != "parallel" and serial else 0)
    if options.groupsum == "serial" and not cycles:
        raise LgnError("--groupsum serial: this model's bank holds an image too few cycles for a serial GroupSum "
                       "(or --fabric amaranth); use --groupsum parallel")
    return replace(opts, groupsum_cycles=cycles) if options.fabric == "text" else opts


def serial_groupsum_cycles(model: ConvModel, head_options, front_every: int) -> int:
    """Cycles of the stream head's serial GroupSum: as many as the longest lane of a class needs
    (one lane per class and weight), cut to an image's cycles after the rest of the head's
    latency; 0 (adder trees) where that leaves fewer than two, or where the bank does not hold
    an image through the head's fabric registers and the cycle its lanes load."""
    from . import serialsum
    from .popcount import popcount_inputs, weight_columns
    nl = model.head
    need = max((len(col) for g in popcount_inputs(nl) for col in weight_columns(g)[0]), default=0)
    sched = schedule(nl, head_options.pipeline_every)
    fabric = sched.fabric_latency - int(sched.registered)  # the last stage is wires (the lanes load them)
    _, h, w = model.input_map_shape
    if fabric + serialsum.HOLD > bank_hold(stream_stages(model, front_every), w):
        return 0
    # the head's latency (fabric + latency(cycles) + the serial argmax's classes - 1 + the output
    # register) must stay below an image's cycles: one image in the head at a time
    cycles = min(need, h * w - (fabric + serialsum.latency(0) + model.num_classes) - 1)
    return cycles if cycles >= 2 else 0


def check_streamable(model: ConvModel, options) -> None:
    """LgnError naming the first reason the streaming core cannot be built for ``model``."""
    if options.input_width is not None:
        raise LgnError("--onchip-encoder is not available for the streaming conv core yet: it takes thermometer "
                       "bits (in_pixel); or use --conv unrolled")
    if model.head.arity != 2 or any(st.kernel.arity != 2 for st in model.conv_blocks()):
        raise LgnError("the streaming conv core takes two-input gates only; use --conv unrolled")
    if model.input_map_shape[0] > 63:
        raise LgnError(f"pixels of {model.input_map_shape[0]} bits: the streaming core takes at most 63; "
                       "use --conv unrolled")
    for i, (st, geo, mode) in enumerate(zip(model.stages, stage_geometries(model), stage_modes(model))):
        if mode != "window":
            continue  # a pool that accumulates streams any padding (and has output positions: the model's check)
        try:
            geo.check()
        except LgnError as e:
            raise LgnError(f"stage {i} ({st.kind}): {e}") from None


def emit_stream(model: ConvModel, out_dir, options=None, progress=None):
    """Plan and write the streaming core of ``model`` into ``out_dir``: the head core's files,
    ``{top}.v``, ``netlist.npz`` (the conv model) and ``metadata.json`` (kind "stream")."""
    import time
    from pathlib import Path

    from amaranth.back import verilog as amaranth_verilog

    from .. import conv
    from .emit import EmitResult, render, write_core
    from .options import EmitOptions
    from .plan import plan_core

    say = progress or (lambda msg: None)
    opts = options or EmitOptions()
    opts.check()
    check_streamable(model, opts)  # plan_stream and the window generators assume it
    seconds = {}
    t0 = time.perf_counter()
    head_plan = plan_core(model.head, stream_head_options(opts, model))
    plan = plan_stream(model, head_plan, opts.top, opts.pipeline_every)
    say(f"head: {model.head.num_nodes} gates, {head_plan.classes} x popcount({head_plan.group_size})")
    verilog = render(model.head, head_plan, progress, seconds)
    say(f"elaborating the streaming front end ({len(plan.stages)} stages)")
    t1 = time.perf_counter()
    verilog[f"{opts.top}.v"] = amaranth_verilog.convert(StreamCore(plan, model), name=opts.top, emit_src=False,
                                                        strip_internal_attrs=True)
    seconds["stream"] = time.perf_counter() - t1
    metadata = plan.metadata()
    files = write_core(out_dir, verilog, lambda path: conv.save(model, path), metadata)
    seconds["total"] = time.perf_counter() - t0
    return EmitResult(Path(out_dir), files, plan, metadata, seconds)
