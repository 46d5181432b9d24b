# SPDX-License-Identifier: MIT
"""Host side: stream input vectors to a board over a serial port, read classes and sums.

    from lgn2hw.board.host import BoardClient
    with BoardClient.open("build/digits/board", "/dev/ttyUSB1") as board:
        classes, sums = board.run(in_bits)          # uint8 [N, in_width]

At most ``fifo_depth`` vectors are in flight (the bridge buffers that many responses), so no
response is lost however the host and the UART rates compare.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import LgnError
from ..datafile import load_json
from .protocol import FrameFormat


def read_board_json(build_dir: str | Path) -> dict:
    path = Path(build_dir)
    path = path / "board.json" if path.is_dir() else path
    return load_json(path, "a board.json",
                     "no such file (build the board first: lgn2hw compile MODEL --board NAME)")


def frame_from_info(info: dict) -> FrameFormat:
    return FrameFormat.from_dict(info["frame"])


class BoardClient:
    """Talks to the UART bridge through any object with pyserial's ``write``/``read``."""

    def __init__(self, port, frame: FrameFormat, timeout_s: float = 2.0):
        self.port, self.frame, self.timeout_s = port, frame, timeout_s

    @classmethod
    def open(cls, build_dir: str | Path, device: str, baud: int | None = None, timeout_s: float = 2.0) -> "BoardClient":
        import serial  # pyserial; imported here so the rest of lgn2hw does not need it

        info = read_board_json(build_dir)
        try:
            # serial_for_url: a device path, or a pyserial URL such as rfc2217://host:port
            port = serial.serial_for_url(device, baudrate=baud or info["baud"], timeout=0.05)
        except (serial.SerialException, ValueError) as e:
            raise LgnError(f"{device}: cannot open the serial port ({e})") from None
        port.reset_input_buffer()
        return cls(port, frame_from_info(info), timeout_s)

    def close(self) -> None:
        self.port.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, in_bits: np.ndarray, progress=None) -> tuple[np.ndarray, np.ndarray]:
        """Classify vectors: in_data bits [N, vector_bits] -> (classes [N], sums [N, C])."""
        f = self.frame
        frames = f.encode_inputs(in_bits)
        n = len(frames) // f.vector_bytes
        received = bytearray()
        sent = 0
        last = time.monotonic()
        while len(received) < n * f.out_bytes:
            done = len(received) // f.out_bytes
            if sent < n and sent - done < f.fifo_depth:
                k = min(n, done + f.fifo_depth) - sent
                self.port.write(frames[sent * f.vector_bytes:(sent + k) * f.vector_bytes])
                sent += k
            chunk = self.port.read(max(1, (sent - done) * f.out_bytes - len(received) % f.out_bytes))
            if chunk:
                received += chunk
                last = time.monotonic()
                if progress:
                    progress(len(received) // f.out_bytes, n)
            elif time.monotonic() - last > self.timeout_s:
                raise LgnError(f"board did not answer vector {done} within {self.timeout_s:g} s "
                               f"({done} of {n} answered): wrong port, baud or bitstream?")
        return f.decode_responses(bytes(received))
