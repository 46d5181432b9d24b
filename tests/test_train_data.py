# SPDX-License-Identifier: MIT
import numpy as np
import pytest

from lgn2hw.errors import LgnError
from lgn2hw.train import data


def yinyang_class(x, y, r_small=0.1, r_big=0.5):
    """The published class rule, vectorized independently of data.yinyang's scalar loop."""
    d_right = np.hypot(x - 1.5 * r_big, y - r_big)
    d_left = np.hypot(x - 0.5 * r_big, y - r_big)
    dots = (d_right < r_small) | (d_left < r_small)
    yin = (d_right <= r_small) | ((d_left > r_small) & (d_left <= 0.5 * r_big)) | ((y > r_big) & (d_right > 0.5 * r_big))
    return np.where(dots, 2, yin.astype(int))


def test_yinyang_follows_its_definition():
    X, y = data.yinyang(600, seed=7)
    assert X.shape == (600, 4) and y.shape == (600,)
    np.testing.assert_allclose(X[:, 2], 1 - X[:, 0])
    np.testing.assert_allclose(X[:, 3], 1 - X[:, 1])
    assert np.all(np.hypot(X[:, 0] - 0.5, X[:, 1] - 0.5) <= 0.5)  # inside the big circle
    np.testing.assert_array_equal(y, yinyang_class(X[:, 0], X[:, 1]))
    counts = np.bincount(y, minlength=3)
    assert counts.min() > 150  # goal classes are drawn uniformly: balanced
    X2, y2 = data.yinyang(600, seed=7)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, data.yinyang(600, seed=8)[0])


def test_yinyang_published_splits():
    ds = data.load_dataset("yinyang")
    assert (len(ds.train), len(ds.val), len(ds.test)) == (5000, 1000, 1000)
    assert ds.num_classes == 3 and ds.num_features == 4
    assert not np.array_equal(ds.train.X[:1000], ds.test.X)


def test_digits_split_is_seeded_stratified_and_disjoint():
    ds = data.load_dataset("digits", seed=3)
    assert ds.num_classes == 10 and ds.num_features == 64
    assert len(ds.train) + len(ds.val) + len(ds.test) == 1797
    rows = {r.tobytes() for r in ds.test.X}
    assert sum(r.tobytes() in rows for r in ds.train.X) < 5  # only duplicate images may coincide
    assert np.bincount(ds.test.y).min() >= 30  # stratified: every class present
    again = data.load_dataset("digits", seed=3)
    np.testing.assert_array_equal(ds.test.y, again.test.y)
    assert not np.array_equal(ds.test.X, data.load_dataset("digits", seed=4).test.X)


def test_breast_cancer():
    ds = data.load_dataset("breast-cancer")
    assert ds.num_classes == 2 and ds.num_features == 30


def test_user_npz(tmp_path, rng):
    p = tmp_path / "d.npz"
    np.savez(p, X=rng.normal(size=(100, 3)), y=rng.integers(0, 4, 100))
    ds = data.load_dataset(str(p), seed=0)
    assert ds.num_classes == 4 and ds.num_features == 3 and ds.name == "d"
    assert len(ds.train) + len(ds.val) + len(ds.test) == 100


@pytest.mark.parametrize("arrays, message", [
    (dict(X=np.zeros((5, 2))), "missing array 'y'"),
    (dict(y=np.zeros(5, int)), "missing array 'X'"),
    (dict(X=np.zeros(5), y=np.zeros(5, int)), "'X' has shape [5]"),
    (dict(X=np.zeros((5, 2)), y=np.zeros(4, int)), "'y' has shape [4], expected [5]"),
    (dict(X=np.array([[0.0, np.nan]] * 4), y=np.array([0, 1, 0, 1])), "NaN"),
    (dict(X=np.zeros((4, 2)), y=np.array([0.5, 1, 0, 1])), "integer class labels"),
    (dict(X=np.zeros((4, 2)), y=np.array([-1, 1, 0, 1])), "negative label"),
    (dict(X=np.zeros((4, 2)), y=np.zeros(4, int)), "single class"),
])
def test_malformed_npz(tmp_path, arrays, message):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(LgnError, match=None) as e:
        data.load_dataset(str(p))
    assert message in str(e.value) and str(p) in str(e.value)


def test_unknown_dataset_and_unreadable_file(tmp_path):
    with pytest.raises(LgnError, match="unknown dataset 'mnist'"):
        data.load_dataset("mnist")
    bad = tmp_path / "x.npz"
    bad.write_text("not a zip")
    with pytest.raises(LgnError, match="not a readable .npz"):
        data.load_dataset(str(bad))
