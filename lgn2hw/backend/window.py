# SPDX-License-Identifier: MIT
"""Sliding-window generator for the streaming conv core: line buffers, a window register,
padding and stride, one window position per pixel step.

A stage receives a frame's pixels (``C`` bits each) in raster order, one per step, and emits
its ``H' x W'`` windows (``rf*rf*C`` bits, index ``(dy*rf + dx)*C + c``) in raster order with
padded cells read as 0. The window register always holds the ``rf x rf`` block whose
bottom-right corner is the pixel just shifted in (its newest column: the line buffer's output
register and a register of that pixel); the window of output ``(i, j)`` has its
bottom-right corner at ``(i*s + d, j*s + d)`` with ``d = rf - 1 - padding``. A corner right of
the image (column ``W + e``, right padding) is reached one row later at column ``e``, and a
corner below the image (bottom padding) in the next frame's first rows: the cells that are
padding are masked, whatever the register holds there. So a frame's bottom border is emitted
while the next frame's first pixels arrive (frames back to back: one pixel per clock, no gap),
and ``2*padding <= rf - 1`` keeps the two frames' windows from ever falling on the same step.

When no pixel follows a frame, the stage finishes its border by itself ("drain" steps, the
pixel read as 0); a frame that starts meanwhile waits (``i_ready`` low) until that is done.
``upstream_idle`` says that no pixel can arrive (the stages before are idle), which a later
stage needs before it drains.
"""
from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..errors import LgnError


@dataclass(frozen=True)
class WindowGeometry:
    channels: int
    height: int
    width: int
    rf: int
    stride: int = 1
    padding: int = 0

    @property
    def out_height(self) -> int:
        return (self.height + 2 * self.padding - self.rf) // self.stride + 1

    @property
    def out_width(self) -> int:
        return (self.width + 2 * self.padding - self.rf) // self.stride + 1

    @property
    def d(self) -> int:
        return self.rf - 1 - self.padding

    def corner(self, i: int, j: int) -> tuple[int, int]:
        """The step (row, column) at which output (i, j) is emitted (rows may pass H: next frame)."""
        br, bc = i * self.stride + self.d, j * self.stride + self.d
        return (br + 1, bc - self.width) if bc >= self.width else (br, bc)

    @property
    def end_step(self) -> tuple[int, int]:
        """The last step of a frame: its last pixel or its last window, whichever comes later."""
        last = self.corner(self.out_height - 1, self.out_width - 1)
        return max(last, (self.height - 1, self.width - 1))

    @property
    def tail(self) -> int:
        """Steps after the frame's last pixel until its last window (the next frame's or drain steps)."""
        r, c = self.end_step
        return (r * self.width + c) - (self.height * self.width - 1)

    def check(self, where: str = "") -> None:
        at = f"{where}: " if where else ""
        if 2 * self.padding > self.rf - 1:
            raise LgnError(f"{at}padding {self.padding} with rf {self.rf} cannot stream (needs 2*padding <= rf-1); "
                           "use --conv unrolled")
        if self.rf > 1 and self.width < 2:
            raise LgnError(f"{at}a {self.width}-pixel-wide map cannot stream with rf {self.rf}; use --conv unrolled")
        if self.stride > self.rf:
            raise LgnError(f"{at}stride {self.stride} > rf {self.rf} cannot stream; use --conv unrolled")
        if self.out_height < 1 or self.out_width < 1:
            raise LgnError(f"{at}no output positions")

    def tables(self):
        """Per step column and per window-corner row: (valid, mask, first, last) as Python ints."""
        w, h, rf, s, d = self.width, self.height, self.rf, self.stride, self.d
        cols = []
        for sx in range(w):
            wrapped = sx < self.padding
            bc = sx + w if wrapped else sx
            j, ok = divmod(bc - d, s)
            valid = ok == 0 and 0 <= j < self.out_width and bc >= d
            mask = sum(1 << dx for dx in range(rf) if 0 <= bc - (rf - 1) + dx < w)
            cols.append((int(wrapped), int(valid), mask, int(valid and j == 0), int(valid and j == self.out_width - 1)))
        rows = []
        for br in range(-1, self.end_step[0] + 1):  # the corner's row, index br + 1
            i, ok = divmod(br - d, s)
            valid = ok == 0 and 0 <= i < self.out_height and br >= d
            mask = sum(1 << dy for dy in range(rf) if 0 <= br - (rf - 1) + dy < h)
            rows.append((int(valid), mask, int(valid and i == 0), int(valid and i == self.out_height - 1)))
        return cols, rows


class WindowGen(wiring.Component):
    def __init__(self, geo: WindowGeometry):
        geo.check()
        self.geo = geo
        super().__init__({
            "i_valid": In(1), "i_data": In(geo.channels), "i_ready": Out(1),
            "upstream_idle": In(1, init=1),
            "o_valid": Out(1), "o_first": Out(1), "o_last": Out(1),
            "o_window": Out(geo.rf * geo.rf * geo.channels),
            "idle": Out(1), "draining": Out(1), "border": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        g = self.geo
        c, rf, w = g.channels, g.rf, g.width
        end_r, end_c = g.end_step
        sy = Signal(range(end_r + 2), name="sy")      # the step's row in the emitting frame
        sx = Signal(range(max(2, w)), name="sx")
        busy = Signal(name="busy")                    # a frame is in progress (pixels or its border)
        drained = Signal(name="drained")              # a drain step was taken for this frame's border
        fed = Signal(name="fed")                      # a pixel of the next frame was taken during the border
        # flags of the current step position, registered with it (compared on the next position),
        # so no comparator sits on the path to ``step``, which enables every register of the stage
        below = Signal(name="below")                  # sy >= H: the step is in the frame's bottom border
        last = Signal(name="last", init=int((end_r, end_c) == (0, 0)))  # the step is the frame's last
        # busy & below, kept as a register of its own (updated with both), so the step logic
        # starts from a flip-flop rather than a gate
        in_tail = Signal(name="in_tail")
        at_end = Signal()
        m.d.comb += at_end.eq(last)
        ready = Signal()
        m.d.comb += ready.eq(~(in_tail & drained))
        take = Signal()
        drain = Signal()
        m.d.comb += [
            take.eq(self.i_valid & ready),
            # a border is finished by the next frame's pixels once one has come, else by drain steps
            drain.eq((~self.i_valid | drained) & in_tail & ~fed & self.upstream_idle),
            self.i_ready.eq(ready), self.draining.eq(in_tail & drained),
            self.idle.eq(~busy), self.border.eq(in_tail),
        ]
        step = Signal()
        m.d.comb += step.eq(take | drain)
        pixel = Signal(c)
        m.d.comb += pixel.eq(Mux(take, self.i_data, 0))

        # next step position: raster order; after the frame's end, the next frame (rows - H) or (0, 0)
        nx, ny = Signal.like(sx), Signal.like(sy)
        wrap = sx == w - 1
        m.d.comb += [nx.eq(Mux(wrap, 0, sx + 1)), ny.eq(Mux(wrap, sy + 1, sy))]
        next_x, next_y = Signal.like(sx), Signal.like(sy)
        with m.If(step & at_end):
            with m.If(in_tail & ~drained & ~drain):  # the next frame's pixels drove (the end of) the border
                m.d.comb += [next_x.eq(nx), next_y.eq(ny - g.height)]
            with m.Else():
                m.d.comb += [next_x.eq(0), next_y.eq(0)]
        with m.Elif(step):
            m.d.comb += [next_x.eq(nx), next_y.eq(ny)]
        with m.Else():
            m.d.comb += [next_x.eq(sx), next_y.eq(sy)]
        # the next position's flags from the current position's registers (no adder before the
        # compare): after a frame's end the next position is (0, 0) or in the next frame's first
        # rows, neither in a bottom border nor a frame's last step (H >= 2)
        if g.height >= 2:
            below_next = ~at_end & (below | (wrap & (sy == g.height - 1)))
            on_last_row = Const(0, 1) if end_c != 0 else (sy == end_r - 1)
            last_next = ~at_end & Mux(wrap, on_last_row, (sy == end_r) & (sx == end_c - 1))
        else:
            below_next, last_next = next_y >= g.height, (next_y == end_r) & (next_x == end_c)
        busy_next = Signal(name="busy_next")
        m.d.comb += busy_next.eq(Mux(at_end, in_tail & ~drained & ~drain, 1))
        with m.If(step):
            m.d.sync += [sx.eq(next_x), sy.eq(next_y), last.eq(last_next)]
            if g.tail:  # without a border the step never reaches row H: ``below`` stays 0, and with it
                # the drain logic (no path from it to ``i_ready``)
                m.d.sync += [below.eq(below_next), in_tail.eq(busy_next & below_next)]
            with m.If(at_end):
                m.d.sync += [busy.eq(busy_next), drained.eq(0), fed.eq(0)]
            with m.Else():
                m.d.sync += busy.eq(1)
                with m.If(drain):
                    m.d.sync += drained.eq(1)
                with m.If(take & in_tail):
                    m.d.sync += fed.eq(1)

        # line buffers: one memory word per column, rows y-1 .. y-rf+1 (C bits each). A step reads
        # its own column's word (the block RAM's output register then holds it, with the step's
        # pixel in a register beside it: the window's newest column, no flip-flops of its own) and
        # writes the previous step's column, the one left of it, back shifted down by a row. The
        # write address is the read address's left neighbour (``w >= 2``), so synthesis sees
        # that the two never meet (no read-during-write logic). The one step whose previous
        # step was elsewhere is a frame's first, at (0, 0) after a finished frame (or a reset):
        # its write lands in column ``w - 1`` instead of the old frame's last, and every word
        # then holds rows above the new frame (padding, or rows no emitted window reaches)
        # until the new frame's rows overwrite it
        newest = Signal(rf * c, name="wcol_new")  # top (row y-rf+1) first, the step's pixel last
        if rf > 1:
            m.submodules.lines = lines = Memory(shape=(rf - 1) * c, depth=w, init=[])
            rd = lines.read_port()
            wr = lines.write_port()
            above = rd.data  # [row y-1, row y-2, ..., row y-rf+1] of the last step's column
            px = Signal(c, name="wpix")              # the last step's pixel
            with m.If(step):
                m.d.sync += px.eq(pixel)
            m.d.comb += [rd.addr.eq(sx), rd.en.eq(step), wr.addr.eq(Mux(sx == 0, w - 1, sx - 1)),
                         wr.en.eq(step), wr.data.eq(Cat(px, above[:(rf - 2) * c]))]
            rows_top_first = [above[k * c:(k + 1) * c] for k in range(rf - 2, -1, -1)] + [px]
            m.d.comb += newest.eq(Cat(*rows_top_first))
        else:
            with m.If(step):
                m.d.sync += newest.eq(pixel)

        # window register: rf columns, the newest on the right
        cols_reg = [Signal(rf * c, name=f"wcol{k}") for k in range(rf - 1)] + [newest]
        with m.If(step):
            for k in range(rf - 1):
                m.d.sync += cols_reg[k].eq(cols_reg[k + 1])

        # what this step emits: from the step's column and its corner row (tables of constants)
        col_t, row_t = g.tables()
        wrapped = Array(Const(t[0], 1) for t in col_t)[sx]
        col_ok = Array(Const(t[1], 1) for t in col_t)[sx]
        col_mask = Array(Const(t[2], rf) for t in col_t)[sx]
        col_first = Array(Const(t[3], 1) for t in col_t)[sx]
        col_last = Array(Const(t[4], 1) for t in col_t)[sx]
        # the corner's row is sy, or sy - 1 for a wrapped corner: row_t[sy + 1] or row_t[sy],
        # two tables indexed by sy itself (no adder ahead of the lookup)
        here, up = row_t[1:] + [(0, 0, 0, 0)], row_t

        def row(k: int, width: int = 1):
            return Mux(wrapped, Array(Const(t[k], width) for t in up)[sy], Array(Const(t[k], width) for t in here)[sy])
        row_ok, row_mask, row_first, row_last = row(0), row(1, rf), row(2), row(3)
        mask_r = Signal(rf, name="row_mask")
        mask_c = Signal(rf, name="col_mask")
        m.d.sync += [self.o_valid.eq(step & row_ok & col_ok),
                     self.o_first.eq(row_first & col_first), self.o_last.eq(row_last & col_last)]
        with m.If(step):
            m.d.sync += [mask_r.eq(row_mask), mask_c.eq(col_mask)]
        bits = []
        for dy in range(rf):
            for dx in range(rf):
                cell = cols_reg[dx][dy * c:(dy + 1) * c]
                # without padding every window that is emitted lies inside its frame: nothing to mask
                # (and a LUT saved per window bit the kernels read)
                bits.append(Mux(mask_r[dy] & mask_c[dx], cell, 0) if g.padding else cell)
        m.d.comb += self.o_window.eq(Cat(*bits))
        return m

