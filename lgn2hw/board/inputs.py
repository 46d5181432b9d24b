# SPDX-License-Identifier: MIT
"""User inputs -> the core's ``in_data`` bits, and the reference result for those bits, for a
board build (its ``board.json`` carries the core's ``input_format``; see ``lgn2hw.inputs``)."""
from __future__ import annotations

import numpy as np

from .. import sim
from ..backend.metadata import parse_input_format
from ..inputs import PortFormat
from ..ir import Netlist


def port_format(input_format: dict, nl: Netlist, where: str = "board.json") -> PortFormat:
    fixed, features = parse_input_format(input_format, where)
    return PortFormat.of(nl, fixed, features, where)


def to_in_data(x: np.ndarray, input_format: dict, nl: Netlist) -> np.ndarray:
    """Input bits [N, I] or real features [N, F] -> in_data bits uint8 [N, W]."""
    return port_format(input_format, nl).port_bits(nl, x)


def reference(nl: Netlist, input_format: dict, in_bits: np.ndarray) -> sim.SimResult:
    """What the core computes for in_data bits [N, W] (the golden model of the board)."""
    fmt = port_format(input_format, nl)
    return sim.simulate_bits(nl, fmt.input_bits(np.asarray(in_bits, dtype=np.uint8), nl))


# ---------------------------------------------------------------------- streaming conv cores
def image_pixels(model, flat_bits: np.ndarray) -> np.ndarray:
    """A conv model's input bits [N, num_input_bits] -> the board's stream bits [N, H*W*C*T]:
    pixels in raster order, pixel p's bit-channel c at p*C*T + c (what ``in_pixel`` takes)."""
    img = model.image_bits(np.asarray(flat_bits, np.uint8))  # [N, C*T, H, W]
    return np.ascontiguousarray(img.transpose(0, 2, 3, 1)).reshape(img.shape[0], -1)


def stream_reference(model, pixel_bits: np.ndarray):
    """What a streaming core computes for images sent as ``image_pixels`` bits."""
    from ..conv_sim import simulate_conv_bits
    c, h, w = model.input_map_shape
    img = np.asarray(pixel_bits, np.uint8).reshape(-1, h, w, c).transpose(0, 3, 1, 2)
    return simulate_conv_bits(model, model.flat_bits(img))
