# SPDX-License-Identifier: MIT
"""User inputs -> a netlist's input bits -> a core's ``in_data`` port bits, defined once.

``input_bits(nl, arrays)`` is the one reading of a sample set: ``bits`` (uint8 [N, I], 0/1)
or ``X`` (real features [N, F] through the netlist's thermometer encoder), checked with
errors that name the source; ``read_inputs(path, nl)`` does the same for an .npz file (and
its optional ``y`` labels). ``predict``, ``opt``/``compile`` (data-driven passes), ``verify``
(dataset vectors) and the board host all use it.

``PortFormat`` is how ``in_data`` encodes one input vector (metadata ``input_format``):
``bits`` (port bit i is netlist input bit i) or ``fixed`` (F features of W bits, feature f at
``[f*W +: W]``, LSB first, two's complement when signed, value = code / 2**frac_bits, see
``lgn2hw.quantize``). The expected input bits of a fixed-point port are the netlist's float
encoder applied to those values, independently of how the backend quantized thresholds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LgnError
from .ir import Netlist
from .quantize import FixedFormat


def _features(x, nl: Netlist, where: str) -> np.ndarray:
    x = np.asarray(x)
    if nl.encoder is None:
        raise LgnError(f"{where}: has features 'X' but the model has no input encoder; give 'bits'")
    if x.ndim > 2 and int(np.prod(x.shape[1:])) == nl.encoder.num_features:
        x = x.reshape(x.shape[0], -1)  # images [N, C, H, W] (conv models): (c, h, w) order
    if x.ndim != 2 or x.shape[1] != nl.encoder.num_features:
        raise LgnError(f"{where}: 'X' has shape {list(x.shape)}, expected [N, {nl.encoder.num_features}]")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise LgnError(f"{where}: 'X' must hold real numbers, got {x.dtype}")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise LgnError(f"{where}: 'X' contains NaN or infinity")
    return x


def _bits(bits, width: int, where: str) -> np.ndarray:
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != width:
        raise LgnError(f"{where}: 'bits' has shape {list(bits.shape)}, expected [N, {width}]")
    if bits.size and not np.isin(bits, (0, 1)).all():
        raise LgnError(f"{where}: 'bits' must hold only 0 and 1")
    return bits.astype(np.uint8)


def input_bits(nl: Netlist, arrays: dict, where: str = "inputs") -> np.ndarray:
    """The netlist input bits uint8 [N, I] of a sample set: its ``bits`` or its ``X`` encoded.
    The whole set is checked first (``datafile.check_samples``: numbers, NaN, shapes, labels in
    the model's range, equal counts); a set with both ``bits`` and ``X`` is refused (which one
    counts would be a guess)."""
    from . import limits
    from .datafile import check_samples
    if "bits" in arrays and "X" in arrays:
        raise LgnError(f"{where}: has both 'bits' and 'X'; keep one of them")
    if "X" in arrays and "bits" not in arrays and nl.encoder is None:
        raise LgnError(f"{where}: has features 'X' but the model has no input encoder; give 'bits'")
    arrays = check_samples(arrays, nl, where)
    if "X" in arrays:
        limits.check_elements(arrays["X"].shape[0] * nl.num_inputs, "'X' encoded to input bits", where)
    if "bits" in arrays:
        return _bits(arrays["bits"], nl.num_inputs, where)
    if "X" in arrays:
        return nl.encoder.encode(_features(arrays["X"], nl, where))
    raise LgnError(f"{where}: expected an array 'bits' (uint8 [N, {nl.num_inputs}]) or 'X' (float features)")


def labels(arrays: dict, n: int, where: str = "inputs") -> np.ndarray | None:
    """The optional ``y`` labels of a sample set of ``n`` samples."""
    y = arrays.get("y")
    if y is not None and np.shape(y) != (n,):
        raise LgnError(f"{where}: 'y' has shape {list(np.shape(y))}, expected [{n}]")
    return None if y is None else np.asarray(y)


def read_inputs(path, nl: Netlist) -> tuple[np.ndarray, np.ndarray | None]:
    """(input bits, labels or None) of an .npz file with 'bits' or 'X' and optional 'y'."""
    from .datafile import load_arrays
    arrays = load_arrays(path)
    bits = input_bits(nl, arrays, str(path))
    return bits, labels(arrays, bits.shape[0], str(path))


def sample_bits(nl: Netlist, data: dict | None) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(bits, labels) of the samples a checkpoint carries, or None when it has none usable
    (no 'bits', and 'X' without an encoder)."""
    data = data or {}
    if "bits" not in data and ("X" not in data or nl.encoder is None):
        return None
    bits = input_bits(nl, data, "the checkpoint's samples")
    return bits, labels(data, bits.shape[0], "the checkpoint's samples")


def array_bits(nl: Netlist, x, where: str = "inputs") -> np.ndarray:
    """Input bits of one bare array: 0/1 values of I columns are bits, F columns are features."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise LgnError(f"{where} must be a 2-D array [vectors, values], got shape {list(x.shape)}")
    if x.shape[1] == nl.num_inputs and np.all((x == 0) | (x == 1)):
        return x.astype(np.uint8)
    if nl.encoder is not None and x.shape[1] == nl.encoder.num_features:
        return nl.encoder.encode(_features(x, nl, where))
    raise LgnError(f"{where}: expected {nl.num_inputs} input bits per vector"
                   + (f" or {nl.encoder.num_features} features" if nl.encoder is not None else "")
                   + f", got {x.shape[1]} values")


# ---------------------------------------------------------------------- the in_data port
@dataclass(frozen=True)
class PortFormat:
    """How ``in_data`` encodes one input vector (see the module docstring)."""

    num_inputs: int
    features: int = 0
    fixed: FixedFormat | None = None

    @classmethod
    def of(cls, nl: Netlist, fixed: FixedFormat | None, features: int, where: str) -> "PortFormat":
        """The port of a core built from ``nl``, checked against it."""
        if fixed is not None and (nl.encoder is None or nl.encoder.num_features != features):
            have = "no encoder" if nl.encoder is None else f"an encoder of {nl.encoder.num_features} features"
            raise LgnError(f"{where}: input_format has {features} fixed-point features but the netlist has {have}")
        return cls(nl.num_inputs, features, fixed)

    @classmethod
    def from_metadata(cls, meta, nl: Netlist) -> "PortFormat":
        """The port format of a loaded metadata.json (``backend.metadata.CoreMetadata``)."""
        if meta.num_inputs != nl.num_inputs:
            raise LgnError(f"{meta.path}: num_inputs {meta.num_inputs}, netlist.npz has {nl.num_inputs}")
        return cls.of(nl, meta.fixed, meta.features, str(meta.path))

    @property
    def kind(self) -> str:
        return "bits" if self.fixed is None else "fixed"

    @property
    def in_width(self) -> int:
        """Width of the ``in_data`` port."""
        return self.num_inputs if self.fixed is None else self.features * self.fixed.width

    def codes(self, port_bits: np.ndarray) -> np.ndarray:
        """int64 [N, F] fixed-point codes of port vectors uint8 [N, in_width]."""
        w = self.fixed.width
        b = port_bits.reshape(port_bits.shape[0], self.features, w).astype(np.int64)
        codes = (b << np.arange(w, dtype=np.int64)).sum(axis=2)
        if self.fixed.signed:
            codes -= b[:, :, -1] << w
        return codes

    def port_bits_from_codes(self, codes: np.ndarray) -> np.ndarray:
        w = self.fixed.width
        codes = np.asarray(codes, dtype=np.int64) & ((1 << w) - 1)
        bits = (codes[:, :, None] >> np.arange(w, dtype=np.int64)) & 1
        return bits.reshape(codes.shape[0], -1).astype(np.uint8)

    def input_bits(self, port_bits: np.ndarray, nl: Netlist) -> np.ndarray:
        """The netlist input bits uint8 [N, I] that port vectors stand for."""
        if self.fixed is None:
            return np.ascontiguousarray(port_bits, dtype=np.uint8)
        return nl.encoder.encode(self.fixed.dequantize(self.codes(port_bits)))

    def port_bits(self, nl: Netlist, x, where: str = "inputs") -> np.ndarray:
        """Port vectors uint8 [N, in_width] of a bare array: features (quantized for a
        fixed-point port) or, for a bits port, input bits or features (``array_bits``)."""
        x = np.asarray(x)
        if self.fixed is None:
            return array_bits(nl, x, where)
        if x.ndim != 2 or x.shape[1] != self.features:
            raise LgnError(f"{where}: this core takes {self.features} features per vector, got shape {list(x.shape)}")
        return self.port_bits_from_codes(self.fixed.quantize(x))

    def data_bits(self, nl: Netlist, data: dict, where: str = "data") -> np.ndarray:
        """Port vectors of a sample set ('X' features or 'bits' input bits)."""
        if self.fixed is None:
            return input_bits(nl, data, where)
        if "X" not in data:
            raise LgnError(f"{where}: has only input 'bits' but the core takes fixed-point features; give 'X'")
        x = np.asarray(data["X"])
        if x.ndim != 2 or x.shape[1] != self.features:
            raise LgnError(f"{where}: 'X' has shape {list(x.shape)}, the core takes [N, {self.features}]")
        return self.port_bits_from_codes(self.fixed.quantize(x))
