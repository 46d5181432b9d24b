# SPDX-License-Identifier: MIT
"""The board top: UART bridge around the core (see protocol.py for the bytes on the wire).

RX bytes fill an input frame; a complete frame is one ``in_valid`` pulse into the core; each
``out_valid`` pushes ``{sums, class}`` into a small FIFO that the TX side sends as bytes. The
core is instantiated by name (its Verilog comes from the backend), the bridge is Amaranth.
"""
from __future__ import annotations

from amaranth.back import verilog
from amaranth.hdl import Cat, ClockDomain, ClockSignal, Const, Instance, Module, Mux, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from ..errors import LgnError
from .protocol import FrameFormat
from .uart import UartRx, UartTx

TOP = "lgn_board"
POR_CYCLES = 16


class BoardBridge(wiring.Component):
    """Ports: ``clk`` (unless ``hfosc_div`` is given), ``uart_rx``, ``uart_tx``, ``led``."""

    def __init__(self, core_top: str, frame: FrameFormat, divisor: int, frame_timeout: int,
                 hfosc_div: int | None = None, led_active_low: bool = False):
        self.core_top, self.frame, self.divisor = core_top, frame, divisor
        self.frame_timeout, self.hfosc_div, self.led_active_low = frame_timeout, hfosc_div, led_active_low
        members = {"uart_rx": In(1, init=1), "uart_tx": Out(1, init=1), "led": Out(1)}
        if hfosc_div is None:
            members = {"clk": In(1), **members}
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        f = self.frame
        # clock and a power-on reset (FPGA flip-flops start at their init value after configuration)
        m.domains.sync = sync = ClockDomain("sync")  # propagates to the UART and FIFO submodules
        m.domains.por = por = ClockDomain("por", reset_less=True, local=True)
        clk = Signal()
        if self.hfosc_div is None:
            m.d.comb += clk.eq(self.clk)
        else:
            m.submodules.hfosc = Instance("SB_HFOSC", p_CLKHF_DIV=f"0b{self.hfosc_div:02b}",
                                          i_CLKHFEN=Const(1), i_CLKHFPU=Const(1), o_CLKHF=clk)
        por_count = Signal(range(POR_CYCLES + 1))
        m.d.comb += [sync.clk.eq(clk), por.clk.eq(clk), sync.rst.eq(por_count != POR_CYCLES)]
        with m.If(por_count != POR_CYCLES):
            m.d.por += por_count.eq(por_count + 1)

        m.submodules.rx = rx = UartRx(self.divisor)
        m.submodules.tx = tx = UartTx(self.divisor)
        m.d.comb += [rx.rx.eq(self.uart_rx), self.uart_tx.eq(tx.tx)]

        # input frames: bytes shift in from the top, so the first byte ends up in bits [0, 8)
        frame = Signal(f.in_bytes * 8)
        count = Signal(range(f.in_bytes))
        idle = Signal(range(self.frame_timeout + 1))
        in_valid = Signal()
        m.d.sync += in_valid.eq(0)
        with m.If(rx.valid):
            m.d.sync += [frame.eq(Cat(frame[8:], rx.data)), idle.eq(0)]
            with m.If(count == f.in_bytes - 1):
                m.d.sync += [count.eq(0), in_valid.eq(1)]
            with m.Else():
                m.d.sync += count.eq(count + 1)
        with m.Elif(count != 0):  # a pause inside a frame drops the partial frame
            with m.If(idle == self.frame_timeout):
                m.d.sync += [count.eq(0), idle.eq(0)]
            with m.Else():
                m.d.sync += idle.eq(idle + 1)

        out_valid = Signal()
        out_class = Signal(f.class_width)
        out_sums = Signal(f.classes * f.sum_width)
        outs = dict(o_out_valid=out_valid, o_out_class=out_class, o_out_sums=out_sums)
        if f.pixels == 1:
            m.submodules.core = Instance(self.core_top, i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"),
                                         i_in_valid=in_valid, i_in_data=frame[:f.in_width], **outs)
        else:  # a streaming conv core: each frame is a pixel, held until the core takes it
            pixel = Signal(f.in_width)
            pending, first, ready = Signal(), Signal(), Signal()
            index = Signal(range(f.pixels))  # the next pixel's position in its image
            with m.If(in_valid):
                m.d.sync += [pixel.eq(frame[:f.in_width]), pending.eq(1), first.eq(index == 0),
                             index.eq(Mux(index == f.pixels - 1, 0, index + 1))]
            with m.Elif(pending & ready):
                m.d.sync += pending.eq(0)
            with m.If((count == 0) & (idle == self.frame_timeout)):  # a pause between pixels: the image is cut
                m.d.sync += index.eq(0)
            with m.If(~rx.valid & (idle != self.frame_timeout)):
                m.d.sync += idle.eq(idle + 1)
            m.submodules.core = Instance(self.core_top, i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"),
                                         i_in_valid=pending, i_in_first=first, i_in_pixel=pixel, o_in_ready=ready,
                                         **outs)

        m.submodules.fifo = fifo = SyncFIFO(width=f.response_bits, depth=f.fifo_depth)
        m.d.comb += [fifo.w_data.eq(Cat(out_class, out_sums)), fifo.w_en.eq(out_valid)]

        shreg = Signal(f.out_bytes * 8)
        left = Signal(range(f.out_bytes + 1))
        activity = Signal()
        with m.If(left == 0):
            with m.If(fifo.r_rdy):
                m.d.comb += fifo.r_en.eq(1)
                m.d.sync += [shreg.eq(fifo.r_data), left.eq(f.out_bytes), activity.eq(~activity)]
        with m.Else():
            m.d.comb += [tx.data.eq(shreg[:8]), tx.valid.eq(1)]
            with m.If(tx.ready):
                m.d.sync += [shreg.eq(shreg >> 8), left.eq(left - 1)]
        m.d.comb += self.led.eq(activity ^ int(self.led_active_low))
        return m


def uart_divisor(clock_hz: float, baud: int) -> int:
    """Clock cycles per bit; refuses rates more than 2% off (the UART would misread bytes)."""
    div = round(clock_hz / baud)
    if div < 4:
        raise LgnError(f"baud {baud} is too fast for a {clock_hz / 1e6:g} MHz clock (need >= 4 cycles per bit)")
    err = abs(clock_hz / div - baud) / baud
    if err > 0.02:
        raise LgnError(f"baud {baud} is {100 * err:.1f}% off with a {clock_hz / 1e6:g} MHz clock (max 2%)")
    return div


def board_top_verilog(bridge: BoardBridge) -> str:
    return verilog.convert(bridge, name=TOP, emit_src=False, strip_internal_attrs=True)
