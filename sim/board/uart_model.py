# SPDX-License-Identifier: MIT
"""A UART line model for cocotb: 8N1 frames, timing counted in clock cycles (pure cocotb, no DUT knowledge)."""
from __future__ import annotations

from cocotb.triggers import ClockCycles, FallingEdge


class UartSource:
    """Drives ``line`` (idle high) with bytes, ``cycles_per_bit`` clocks per bit."""

    def __init__(self, line, clk, cycles_per_bit: int):
        self.line, self.clk, self.cpb = line, clk, cycles_per_bit
        self.line.value = 1

    async def send(self, data: bytes, gap_bits: int = 0) -> None:
        for byte in data:
            for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:  # start, LSB first, stop
                self.line.value = bit
                await ClockCycles(self.clk, self.cpb)
            if gap_bits:
                await ClockCycles(self.clk, gap_bits * self.cpb)


class UartSink:
    """Receives bytes from ``line`` into ``self.data``; records framing errors instead of raising."""

    def __init__(self, line, clk, cycles_per_bit: int):
        self.line, self.clk, self.cpb = line, clk, cycles_per_bit
        self.data = bytearray()
        self.framing_errors = 0

    async def run(self) -> None:
        while True:
            await FallingEdge(self.line)
            await ClockCycles(self.clk, self.cpb // 2)  # middle of the start bit
            if int(self.line.value) != 0:
                continue  # a glitch, not a start bit
            byte = 0
            for i in range(8):
                await ClockCycles(self.clk, self.cpb)
                byte |= int(self.line.value) << i
            await ClockCycles(self.clk, self.cpb)
            if int(self.line.value) != 1:
                self.framing_errors += 1
            self.data.append(byte)
