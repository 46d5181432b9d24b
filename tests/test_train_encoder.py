# SPDX-License-Identifier: MIT
import numpy as np
import pytest

from lgn2hw.errors import LgnError
from lgn2hw.train import encoder


def test_uniform_thresholds_are_evenly_spaced_inside_the_range(rng):
    X = rng.uniform(-2, 6, size=(500, 3))
    thr = encoder.thresholds(X, 3, "uniform")
    assert thr.shape == (3, 3)
    lo, hi = X.min(0), X.max(0)
    np.testing.assert_allclose(thr, lo[:, None] + (hi - lo)[:, None] * np.array([0.25, 0.5, 0.75]), rtol=1e-6)
    assert np.array_equal(thr, thr.astype(np.float32).astype(np.float64))  # stored as float32 losslessly


def test_distributive_thresholds_balance_the_bits(rng):
    X = rng.exponential(size=(4000, 2))
    thr = encoder.thresholds(X, 4, "distributive")
    share = encoder.encode(X, thr).reshape(4000, 2, 4).mean(axis=0)
    np.testing.assert_allclose(share, [[0.8, 0.6, 0.4, 0.2]] * 2, atol=0.01)


def test_encode_is_thermometer_order(rng):
    thr = np.array([[0.0, 1.0], [10.0, 20.0]])
    bits = encoder.encode(np.array([[0.5, 25.0], [-1.0, 10.0]]), thr)
    np.testing.assert_array_equal(bits, [[1, 0, 1, 1], [0, 0, 0, 0]])


def test_bad_arguments():
    with pytest.raises(LgnError, match="at least 1"):
        encoder.thresholds(np.zeros((3, 1)), 0)
    with pytest.raises(LgnError, match="unknown encoding"):
        encoder.thresholds(np.zeros((3, 1)), 2, "learned")
