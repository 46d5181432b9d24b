# SPDX-License-Identifier: MIT
"""The byte protocol between a host and the board's UART bridge (8N1, no flow control).

Host -> board, one frame per input vector: ``in_bytes = ceil(W/8)`` bytes, where W is the
core's ``in_data`` width; bit i of ``in_data`` is bit ``i % 8`` of byte ``i // 8``
(little-endian bit vector; unused top bits are zero). The bridge counts bytes, so frames
are sent back to back without separators; a pause of more than ``frame_timeout`` (a few
milliseconds on hardware) inside a frame discards the partial frame, which resynchronizes a
host that was interrupted mid-frame.

Board -> host, one response per vector, in order: ``out_bytes = ceil((cw + C*sw)/8)`` bytes
holding the little-endian bit vector ``{sums, class}``: the class in bits ``[0, cw)``, the
group sum of class c in bits ``[cw + c*sw, cw + (c+1)*sw)``.

A streaming conv core (metadata kind "stream") takes an image as ``pixels = H*W`` frames, one
per pixel in raster order (``in_width`` = the pixel's C*T bits), and answers once per image; a
pause longer than the frame timeout inside an image drops the partial image.

The bridge buffers ``fifo_depth`` responses; a host keeps at most that many vectors in
flight (see host.py), so nothing is dropped however slow the responses are.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import LgnError

if TYPE_CHECKING:
    from ..backend.metadata import CoreMetadata


@dataclass(frozen=True)
class FrameFormat:
    in_width: int
    classes: int
    class_width: int
    sum_width: int
    fifo_depth: int = 4
    pixels: int = 1                  # input frames per vector: a streaming conv core takes an image as H*W pixels

    @classmethod
    def from_metadata(cls, meta: "CoreMetadata", fifo_depth: int = 4) -> "FrameFormat":
        """The frames of the core a loaded metadata.json describes."""
        pixels = meta.stream["cycles_per_image"] if meta.kind == "stream" else 1
        return cls(meta.input_width, meta.classes, meta.class_width, meta.sum_width, fifo_depth, pixels)

    @classmethod
    def from_dict(cls, fr: dict) -> "FrameFormat":
        """Inverse of ``as_dict`` (board.json's ``frame``)."""
        return cls(fr["in_width"], fr["classes"], fr["class_width"], fr["sum_width"], fr["fifo_depth"],
                   fr.get("pixels", 1))

    @property
    def in_bytes(self) -> int:
        """Bytes of one input frame (a vector, or a pixel of a streaming core)."""
        return max(1, (self.in_width + 7) // 8)

    @property
    def vector_bytes(self) -> int:
        """Bytes sent per vector (an image's pixels for a streaming core)."""
        return self.pixels * self.in_bytes

    @property
    def vector_bits(self) -> int:
        """Bits of one vector: ``in_width``, or an image's pixels one after the other."""
        return self.pixels * self.in_width

    @property
    def response_bits(self) -> int:
        return self.class_width + self.classes * self.sum_width

    @property
    def out_bytes(self) -> int:
        return (self.response_bits + 7) // 8

    def encode_inputs(self, in_data_bits: np.ndarray) -> bytes:
        """uint8 [N, vector_bits] of 0/1 (bit i of in_data; for a streaming core pixel p's bit c
        at p*in_width + c) -> the frames of N vectors, concatenated."""
        bits = np.asarray(in_data_bits)
        if bits.ndim != 2 or bits.shape[1] != self.vector_bits:
            raise LgnError(f"board input: expected bits [N, {self.vector_bits}], got {list(bits.shape)}")
        if bits.size and (bits.min() < 0 or bits.max() > 1):
            raise LgnError("board input: bits must be 0 or 1")
        bits = bits.reshape(-1, self.in_width)  # one row per frame
        padded = np.zeros((bits.shape[0], self.in_bytes * 8), dtype=np.uint8)
        padded[:, :self.in_width] = bits
        return np.packbits(padded, axis=1, bitorder="little").tobytes()

    def decode_responses(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Response bytes of N vectors -> (classes int64 [N], sums int32 [N, C])."""
        if len(data) % self.out_bytes:
            raise LgnError(f"board response: {len(data)} bytes is not a whole number of "
                           f"{self.out_bytes}-byte responses")
        raw = np.frombuffer(bytes(data), dtype=np.uint8).reshape(-1, self.out_bytes)
        bits = np.unpackbits(raw, axis=1, bitorder="little").astype(np.int64)
        weights = lambda w: (1 << np.arange(w, dtype=np.int64))  # noqa: E731
        classes = bits[:, :self.class_width] @ weights(self.class_width)
        lanes = bits[:, self.class_width:self.response_bits].reshape(-1, self.classes, self.sum_width)
        sums = (lanes @ weights(self.sum_width)).astype(np.int32)
        return classes, sums

    def as_dict(self) -> dict:
        return {"in_width": self.in_width, "in_bytes": self.in_bytes, "classes": self.classes,
                "class_width": self.class_width, "sum_width": self.sum_width, "out_bytes": self.out_bytes,
                "fifo_depth": self.fifo_depth, "pixels": self.pixels}
