# SPDX-License-Identifier: MIT
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lgn2hw.errors import LgnError
from lgn2hw.ir import Encoder
from lgn2hw.quantize import FixedFormat


@settings(max_examples=60, deadline=None)
@given(width=st.integers(2, 16), frac=st.integers(0, 12), signed=st.booleans(), seed=st.integers(0, 2**31))
def test_integer_thresholds_are_exact(width, frac, signed, seed):
    """q > T(t) <=> q / 2**frac > t for every code q of the format."""
    rng = np.random.default_rng(seed)
    fmt = FixedFormat(width, frac, signed)
    span = (fmt.hi - fmt.lo) / fmt.scale
    thr = rng.uniform(fmt.lo / fmt.scale - 0.1 * span, fmt.hi / fmt.scale + 0.1 * span, (3, 5))
    thr[0, :2] = np.array([fmt.lo, fmt.hi]) / fmt.scale  # exactly on a code
    enc = Encoder(thr)
    q = rng.integers(fmt.lo, fmt.hi + 1, (200, 3))
    q[0], q[1] = fmt.lo, fmt.hi
    assert np.array_equal(fmt.encode(q, enc), enc.encode(fmt.dequantize(q)))


def test_quantize_rounds_and_saturates():
    fmt = FixedFormat(4, 1, True)  # codes -8..7 = -4.0..3.5
    assert fmt.quantize(np.array([[0.24, 0.25, -0.25, 100.0, -100.0, 1.74]])).tolist() == [[0, 1, 0, 7, -8, 3]]
    with pytest.raises(LgnError, match="NaN"):
        fmt.quantize(np.array([[np.nan]]))


def test_format_for_encoder():
    enc = Encoder(np.array([[0.1, 0.5, 0.9]]))
    assert FixedFormat.for_encoder(enc, 8) == FixedFormat(8, 8, False)  # all of [0, 1) in 8 fractional bits
    enc = Encoder(np.array([[-3.0, 0.0, 5.5]]))
    assert FixedFormat.for_encoder(enc, 8) == FixedFormat(8, 4, True)  # sign + 3 integer bits (|t| < 8)
    assert FixedFormat.for_encoder(enc, 8, frac_bits=2, signed=True) == FixedFormat(8, 2, True)
    with pytest.raises(LgnError, match="thermometer encoder"):
        FixedFormat.for_encoder(None, 8)
    with pytest.raises(LgnError, match="outside"):
        FixedFormat(4, 0, False).encode(np.array([[16]]), Encoder(np.zeros((1, 1))))
