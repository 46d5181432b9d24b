# SPDX-License-Identifier: MIT
"""OR pooling in the stream without a window register: non-overlapping pools accumulate.

A pool whose stride equals its kernel (any padding, which OR pooling fills with 0) reads every
input cell in at most one window, so its output can be built as the pixels pass: a horizontal
partial OR (``C`` bits) over the window's columns in the current row, and one line of ``W'``
words of ``C`` bits holding the OR of the window's rows above. The window's last cell (its
bottom-right one in the image) emits the pooled cell. Compared with a window generator (``k - 1``
line buffers of ``W`` words, a ``k x k x C`` window register, an OR of ``k*k`` cells) this holds
``C`` flip-flops and ``W' * C`` memory bits and ORs three terms; it has no border (tail 0) and
never stalls the stream.

``pool_axis`` is the per-coordinate table both this accumulator and the streaming core's bank
(stream.py, which folds the last pool of a model into the bank the same way) read.
"""
from __future__ import annotations

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .window import WindowGeometry


def accumulates(geo: WindowGeometry) -> bool:
    """Whether a pool of this geometry streams as an accumulator (non-overlapping windows)."""
    return geo.stride == geo.rf


def pool_axis(size: int, k: int, padding: int, out: int) -> list[tuple[int, int, int]]:
    """Per input coordinate along one axis of a non-overlapping pool: (window index, or -1 where
    no window reads the cell; 1 at the window's first cell; 1 at its last cell)."""
    t = []
    for y in range(size):
        i = (y + padding) // k
        if i >= out:
            t.append((-1, 0, 0))
            continue
        lo, hi = max(0, i * k - padding), min(size - 1, i * k - padding + k - 1)
        t.append((i, int(y == lo), int(y == hi)))
    return t


def rom(values, width: int, index):
    """A table of constants read at ``index`` (a small ROM in LUTs)."""
    return Array(Const(int(v), width) for v in values)[index]


class RasterPos:
    """Column and row counters of a ``height x width`` map advancing on ``step`` in raster order,
    with per-column and per-row table entries registered for the current position (loaded with
    the counters from the next position's entries, so no table lookup is on the data path)."""

    def __init__(self, m: Module, step, height: int, width: int, col_fields: dict, row_fields: dict,
                 prefix: str):
        self.x = Signal(range(max(2, width)), name=f"{prefix}_x")
        self.y = Signal(range(max(2, height)), name=f"{prefix}_y")
        wrap = self.x == width - 1
        self.nx = Signal.like(self.x, name=f"{prefix}_nx")
        ny = Signal.like(self.y, name=f"{prefix}_ny")
        m.d.comb += [self.nx.eq(Mux(wrap, 0, self.x + 1)),
                     ny.eq(Mux(wrap, Mux(self.y == height - 1, 0, self.y + 1), self.y))]
        self.fields = {}
        for fields, idx in ((col_fields, self.nx), (row_fields, ny)):
            for name, (values, bits) in fields.items():
                reg = Signal(bits, name=f"{prefix}_{name}", init=int(values[0]))
                with m.If(step):
                    m.d.sync += reg.eq(rom(values, bits, idx))
                self.fields[name] = reg
        with m.If(step):
            m.d.sync += [self.x.eq(self.nx), self.y.eq(ny)]
        self.at_start = Signal(name=f"{prefix}_at_start")
        m.d.comb += self.at_start.eq((self.x == 0) & (self.y == 0))

    def __getitem__(self, name: str):
        return self.fields[name]


class PoolAcc(wiring.Component):
    """A non-overlapping OR pool over a stream of ``C``-bit cells in raster order: ``o_data`` is
    a pooled cell when ``o_valid`` (combinational: in its window's last cell's cycle); ``idle``
    when no frame is in progress."""

    def __init__(self, geo: WindowGeometry):
        assert accumulates(geo)
        self.geo = geo
        super().__init__({"i_valid": In(1), "i_data": In(geo.channels),
                          "o_valid": Out(1), "o_data": Out(geo.channels), "idle": Out(1)})

    def elaborate(self, platform):
        m = Module()
        g = self.geo
        c, wo = g.channels, g.out_width
        cols = pool_axis(g.width, g.rf, g.padding, wo)
        rows = pool_axis(g.height, g.rf, g.padding, g.out_height)
        jw = max(1, (wo - 1).bit_length())
        js = [max(0, t[0]) for t in cols]
        pos = RasterPos(m, self.i_valid, g.height, g.width,
                        {"j": (js, jw), "jn": ([js[(x + 1) % g.width] for x in range(g.width)], jw),
                         "cok": ([t[0] >= 0 for t in cols], 1),
                         "cfirst": ([t[1] for t in cols], 1), "clast": ([t[2] for t in cols], 1)},
                        {"rok": ([t[0] >= 0 for t in rows], 1), "rfirst": ([t[1] for t in rows], 1),
                         "rlast": ([t[2] for t in rows], 1)}, "pool")
        h = Signal(c, name="hpart")      # OR of the window's cells left of this one in this row
        cur = Signal(c, name="rowpart")  # ... and this one
        m.d.comb += cur.eq(self.i_data | Mux(pos["cfirst"], 0, h))
        with m.If(self.i_valid):
            m.d.sync += h.eq(cur)
        fire = Signal(name="fire")       # the window's last cell in this row
        m.d.comb += fire.eq(self.i_valid & pos["cok"] & pos["clast"] & pos["rok"])
        above = Signal(c, name="above")  # OR of the window's rows above
        if wo >= 2:
            m.submodules.line = line = Memory(shape=c, depth=wo, init=[])
            wr = line.write_port()
            # read the next position's word (``jn``, registered with the position); with no cell
            # this cycle, this position's. A write (``fire``: a window's last column) goes to this
            # position's word, and the next position is then the next window's first column (word
            # ``j + 1``), past the last window (its word is not used) or the next row's first
            # (word 0 after word ``wo - 1``): read word ``j + 1`` or 0 then, so synthesis sees that
            # the read never meets the write (no read-during-write logic; ``wo >= 2``)
            rd = line.read_port()
            after = Mux(pos["j"] == wo - 1, 0, pos["j"] + 1)
            m.d.comb += [rd.addr.eq(Mux(fire, after, Mux(self.i_valid, pos["jn"], pos["j"]))),
                         rd.en.eq(1), above.eq(rd.data),
                         wr.addr.eq(pos["j"]), wr.en.eq(fire)]
        out = Signal(c, name="pooled")
        m.d.comb += out.eq(cur | Mux(pos["rfirst"], 0, above))
        if wo >= 2:
            m.d.comb += wr.data.eq(out)
        else:  # one window across: the line is one register
            held = Signal(c, name="line")
            m.d.comb += above.eq(held)
            with m.If(fire):
                m.d.sync += held.eq(out)
        # the pooled cell leaves in its window's last cell's cycle: the next stage registers it
        # (a register here would hold C bits apart from the LUTs that make them: a logic cell each)
        m.d.comb += [self.o_valid.eq(fire & pos["rlast"]), self.o_data.eq(out)]
        m.d.comb += self.idle.eq(pos.at_start)
        return m
