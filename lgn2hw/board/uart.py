# SPDX-License-Identifier: MIT
"""8N1 UART receiver and transmitter in Amaranth, ``divisor`` clock cycles per bit."""
from __future__ import annotations

from amaranth.hdl import Cat, Elaboratable, Module, Signal
from amaranth.lib.cdc import FFSynchronizer


class UartRx(Elaboratable):
    """``data``/``valid`` (one-cycle strobe) per received byte; bytes with a bad stop bit are dropped."""

    def __init__(self, divisor: int):
        if divisor < 4:
            raise ValueError(f"UART divisor {divisor}: need at least 4 clock cycles per bit")
        self.divisor = divisor
        self.rx = Signal(init=1)
        self.data = Signal(8)
        self.valid = Signal()

    def elaborate(self, platform):
        m = Module()
        rx = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, rx, init=1)
        timer = Signal(range(self.divisor * 3 // 2 + 1))
        bit = Signal(range(9))
        shreg = Signal(8)
        m.d.sync += self.valid.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):  # start bit edge: sample the first data bit 1.5 bits later
                    m.d.sync += [timer.eq(self.divisor * 3 // 2 - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shreg.eq(Cat(shreg[1:], rx)), bit.eq(bit + 1),
                                 timer.eq(self.divisor - 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    with m.If(rx):
                        m.d.sync += [self.data.eq(shreg), self.valid.eq(1)]
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "BREAK"  # framing error: wait for the line to go idle
            with m.State("BREAK"):
                with m.If(rx):
                    m.next = "IDLE"
        return m


class UartTx(Elaboratable):
    """Sends ``data`` when ``valid`` and ``ready``; ``ready`` is high while idle."""

    def __init__(self, divisor: int):
        if divisor < 1:
            raise ValueError(f"UART divisor {divisor}: must be positive")
        self.divisor = divisor
        self.tx = Signal(init=1)
        self.data = Signal(8)
        self.valid = Signal()
        self.ready = Signal()

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self.divisor))
        bits = Signal(10, init=0x3FF)  # stop, data[7:0], start, shifted out LSB first
        left = Signal(range(11))
        m.d.comb += [self.tx.eq(bits[0]), self.ready.eq(left == 0)]
        with m.If(left == 0):
            with m.If(self.valid):
                m.d.sync += [bits.eq((1 << 9) | (self.data << 1)), left.eq(10), timer.eq(self.divisor - 1)]
        with m.Elif(timer != 0):
            m.d.sync += timer.eq(timer - 1)
        with m.Else():
            m.d.sync += [bits.eq((1 << 9) | (bits >> 1)), left.eq(left - 1), timer.eq(self.divisor - 1)]
        return m
