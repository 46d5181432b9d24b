# SPDX-License-Identifier: MIT
"""Datasets for training: bundled sklearn sets, Yin-Yang, and user ``.npz`` files.

Every dataset comes back split into train / validation / test (``Dataset``) with float64
features and int64 labels 0..C-1. Images keep their shape in ``Dataset.image_shape`` (C, H, W)
while ``X`` holds them flattened in (c, h, w) order, the order ``conv.ConvModel.encode`` reads.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import limits
from ..datafile import load_arrays
from ..errors import LgnError, LgnWarning

BUILTIN = ("digits", "breast-cancer", "yinyang", "diabetes")
REGRESSION = ("diabetes",)  # built-in regression sets (targets float)


@dataclass(frozen=True)
class Split:
    X: np.ndarray  # float64 [N, F]
    y: np.ndarray  # int64 [N] labels; regression: float64 [N] or [N, K] targets

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class Dataset:
    name: str
    train: Split
    val: Split
    test: Split
    num_classes: int                                   # regression: the number of targets
    image_shape: tuple[int, int, int] | None = None  # (C, H, W) when the rows are images
    task: str = "classification"

    def describe_split(self) -> str:
        return f"{len(self.train)} train / {len(self.val)} validation / {len(self.test)} test"

    @property
    def num_features(self) -> int:
        return int(self.train.X.shape[1])


def yinyang(size: int, seed: int, r_small: float = 0.1, r_big: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The Yin-Yang set of Kriener et al. (2021), sample for sample as their reference code.

    Rejection sampling inside the big circle with a uniformly drawn goal class per sample
    (balanced classes); features (x, y, 1-x, 1-y); labels 0 yang, 1 yin, 2 dots. The loop
    draws scalars from one RandomState in the published order, which a vectorized
    version would not reproduce.
    """
    rng = np.random.RandomState(seed)

    def which_class(x, y):
        d_right = np.hypot(x - 1.5 * r_big, y - r_big)
        d_left = np.hypot(x - 0.5 * r_big, y - r_big)
        if d_right < r_small or d_left < r_small:
            return 2
        is_yin = (d_right <= r_small or r_small < d_left <= 0.5 * r_big
                  or (y > r_big and d_right > 0.5 * r_big))
        return int(is_yin)

    X = np.empty((size, 4))
    y = np.empty(size, dtype=np.int64)
    for i in range(size):
        goal = rng.randint(3)
        while True:
            px, py = rng.rand(2) * 2.0 * r_big
            if np.hypot(px - r_big, py - r_big) > r_big:
                continue
            c = which_class(px, py)
            if c == goal:
                break
        X[i] = (px, py, 1.0 - px, 1.0 - py)
        y[i] = c
    return X, y


def parse_image_shape(text: str | None) -> tuple[int, int, int] | None:
    """``28x28`` or ``3x32x32`` (C x H x W) as a tuple; errors name the text."""
    if text is None:
        return None
    try:
        dims = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        dims = ()
    if len(dims) not in (2, 3) or min(dims) < 1:
        raise LgnError(f"--image-shape: expected HxW or CxHxW with positive sizes, got {text!r}")
    return dims if len(dims) == 3 else (1, *dims)


def read_npz(path, image_shape: tuple[int, int, int] | None = None, task: str = "classification"
             ) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int] | None]:
    """User data: ``X`` [N, F], images [N, H, W] or [N, C, H, W], and ``y`` int [N] (labels 0..C-1).

    Returns X flattened to [N, F] (images in (c, h, w) order), y, and the image shape: that of
    ``X``, else ``image_shape`` (whose size must be F), else 1 x s x s when F = s*s is a square.
    """
    arrays = load_arrays(path)
    missing = [k for k in ("X", "y") if k not in arrays]
    if missing:
        raise LgnError(f"{path}: missing array {' and '.join(repr(m) for m in missing)}; "
                       f"expected 'X' (float [N, F]) and 'y' (int [N]), found {sorted(arrays) or 'none'}")
    X, y = arrays["X"], arrays["y"]
    if X.ndim not in (2, 3, 4) or min(X.shape) == 0:
        raise LgnError(f"{path}: 'X' has shape {list(X.shape)}, expected [N, F], [N, H, W] or [N, C, H, W] "
                       "with every size > 0")
    shape = None
    if X.ndim > 2:
        shape = tuple(int(v) for v in ((1, *X.shape[1:]) if X.ndim == 3 else X.shape[1:]))
        if image_shape is not None and tuple(image_shape) != shape:
            raise LgnError(f"{path}: 'X' holds {'x'.join(map(str, shape))} images, but --image-shape says "
                           f"{'x'.join(map(str, image_shape))}")
        X = X.reshape(X.shape[0], -1)
    elif image_shape is not None:
        if int(np.prod(image_shape)) != X.shape[1]:
            raise LgnError(f"{path}: --image-shape {'x'.join(map(str, image_shape))} has "
                           f"{int(np.prod(image_shape))} values, but 'X' rows have {X.shape[1]}")
        shape = tuple(int(v) for v in image_shape)
    else:
        side = int(round(X.shape[1] ** 0.5))
        if side * side == X.shape[1] and side > 1:
            shape = (1, side, side)
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer) or X.dtype == bool):
        raise LgnError(f"{path}: 'X' has dtype {X.dtype}, expected numbers")
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        bad = np.argwhere(~np.isfinite(X))[0]
        raise LgnError(f"{path}: 'X' contains NaN or infinity (first at row {bad[0]}, column {bad[1]})")
    if task == "regression":
        if y.ndim not in (1, 2) or y.shape[0] != X.shape[0] or y.size == 0:
            raise LgnError(f"{path}: 'y' has shape {list(y.shape)}, expected [{X.shape[0]}] or [{X.shape[0]}, K] "
                           "regression targets")
        if not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)) \
                or not np.all(np.isfinite(y)):
            raise LgnError(f"{path}: 'y' must hold finite numbers (regression targets)")
        return X, y.astype(np.float64), shape
    if y.shape != (X.shape[0],):
        raise LgnError(f"{path}: 'y' has shape {list(y.shape)}, expected [{X.shape[0]}] (one label per row of 'X')")
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise LgnError(f"{path}: 'y' must hold integer class labels")
    elif not np.issubdtype(y.dtype, np.integer):
        raise LgnError(f"{path}: 'y' has dtype {y.dtype}, expected integer class labels")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise LgnError(f"{path}: 'y' has negative label {int(y.min())}; expected 0..C-1")
    classes = limits.check_labels(y, "'y'", path)  # a label of 10**6 would make a million-class model
    present = np.unique(y)
    if present.size < 2:
        raise LgnError(f"{path}: 'y' has a single class; need at least 2")
    if present.size < classes:
        missing = sorted(set(range(classes)) - set(present.tolist()))
        warnings.warn(f"{path}: labels span 0..{classes - 1} but {len(missing)} of these classes have no "
                      f"sample ({', '.join(map(str, missing[:8]))}{', ...' if len(missing) > 8 else ''}); "
                      f"the model gets {classes} classes", LgnWarning, stacklevel=2)
    return X, y, shape


def parse_split(text: str | None) -> tuple[int, int, int] | None:
    """``6000,1000,1000``: train, validation, test counts (in file order; the test rows are the last)."""
    if text is None:
        return None
    try:
        sizes = tuple(int(v) for v in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) != 3 or min(sizes) < 1:
        raise LgnError(f"--split: expected three positive counts TRAIN,VAL,TEST, got {text!r}")
    return sizes


def ordered_split(X: np.ndarray, y: np.ndarray, sizes: tuple[int, int, int],
                  name: str = "data") -> tuple[Split, Split, Split]:
    """The first ``train`` rows, the next ``val`` rows, and the LAST ``test`` rows (file order)."""
    n_tr, n_va, n_te = sizes
    n = y.shape[0]
    if n_tr + n_va + n_te > n:
        raise LgnError(f"{name}: --split {n_tr},{n_va},{n_te} asks for {n_tr + n_va + n_te} samples, "
                       f"the data has {n}")
    return (Split(X[:n_tr], y[:n_tr]), Split(X[n_tr:n_tr + n_va], y[n_tr:n_tr + n_va]),
            Split(X[n - n_te:], y[n - n_te:]))


def split(X: np.ndarray, y: np.ndarray, seed: int, val_fraction: float, test_fraction: float,
          name: str = "data") -> tuple[Split, Split, Split]:
    """Stratified train / validation / test split (stratified when every class allows it)."""
    from sklearn.model_selection import train_test_split

    n = y.shape[0]
    n_test = max(1, int(round(n * test_fraction)))
    n_val = max(1, int(round(n * val_fraction)))
    if n - n_test - n_val < 1:
        raise LgnError(f"{name}: {n} samples are too few for a train/validation/test split")
    strat = None
    if np.issubdtype(y.dtype, np.integer) and y.ndim == 1:
        counts = np.bincount(y)
        strat = y if counts[counts > 0].min() >= 3 else None
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=n_test, random_state=seed, stratify=strat)
    strat = y_rest if strat is not None else None
    X_tr, X_val, y_tr, y_val = train_test_split(X_rest, y_rest, test_size=n_val, random_state=seed + 1,
                                                stratify=strat)
    return Split(X_tr, y_tr), Split(X_val, y_val), Split(X_test, y_test)


def load_dataset(name: str, seed: int = 0, val_fraction: float = 0.1, test_fraction: float = 0.2,
                 image_shape: tuple[int, int, int] | None = None,
                 sizes: tuple[int, int, int] | None = None, task: str | None = None,
                 test_data: str | None = None) -> Dataset:
    """A built-in dataset by name or a user ``.npz`` by path.

    Yin-Yang uses the published splits (train 5000 / validation 1000 / test 1000 drawn with
    seeds 42 / 41 / 40), so its figures compare with the literature; ``seed`` does not change it.
    ``sizes`` (train, val, test) splits in file order instead of the stratified random split;
    ``image_shape`` reads flat rows as C x H x W images (digits are 1 x 8 x 8 images).
    ``task``: "classification" or "regression" (None: regression for the built-in regression
    sets). ``test_data``: an .npz whose rows are the test set; the data set is then split into
    train and validation only.
    """
    task = task or ("regression" if name in REGRESSION else "classification")
    if task not in ("classification", "regression"):
        raise LgnError(f"unknown task {task!r}; expected classification or regression")
    if name in BUILTIN and (name in REGRESSION) != (task == "regression"):
        raise LgnError(f"{name}: is a {'regression' if name in REGRESSION else 'classification'} data set, "
                       f"not {task}")
    if not 0 < val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise LgnError(f"--val-split {val_fraction} and --test-split {test_fraction}: expected fractions with "
                       "0 < val, 0 <= test and val + test < 1")
    if name == "yinyang":
        if image_shape is not None or sizes is not None or test_data is not None:
            raise LgnError("yinyang: has fixed published splits and no images (no --split, --image-shape, "
                           "--test-data)")
        parts = [Split(*yinyang(n, s)) for n, s in ((5000, 42), (1000, 41), (1000, 40))]
        return Dataset("yinyang", *parts, num_classes=3)
    shape = None
    if name == "diabetes":
        from sklearn import datasets

        bunch = datasets.load_diabetes()
        X, y = bunch.data.astype(np.float64), bunch.target.astype(np.float64)
    elif name in ("digits", "breast-cancer"):
        from sklearn import datasets

        bunch = datasets.load_digits() if name == "digits" else datasets.load_breast_cancer()
        X, y = bunch.data.astype(np.float64), bunch.target.astype(np.int64)
        if name == "digits":
            shape = (1, 8, 8)
        if image_shape is not None:
            if int(np.prod(image_shape)) != X.shape[1]:
                raise LgnError(f"{name}: --image-shape {'x'.join(map(str, image_shape))} does not hold its "
                               f"{X.shape[1]} features")
            shape = tuple(image_shape)
    elif name.endswith(".npz") or Path(name).exists():
        X, y, shape = read_npz(name, image_shape, task)
    else:
        raise LgnError(f"unknown dataset {name!r}; expected one of {', '.join(BUILTIN)} or a path to an .npz "
                       "with 'X' and 'y'")
    if test_data is not None:
        if sizes is not None:
            raise LgnError("--test-data and --split both name the test rows; give one")
        Xt, yt, tshape = read_npz(test_data, shape if image_shape is None else image_shape, task)
        if Xt.shape[1] != X.shape[1] or yt.shape[1:] != y.shape[1:]:
            raise LgnError(f"{test_data}: rows have {Xt.shape[1]} features and targets {list(yt.shape[1:])}, "
                           f"the training data {X.shape[1]} and {list(y.shape[1:])}")
        tr, va, _ = _train_val(X, y, seed, val_fraction, name)
        te = Split(Xt, yt)
    elif sizes is not None:
        tr, va, te = ordered_split(X, y, sizes, name)
    else:
        tr, va, te = split(X, y, seed, val_fraction, test_fraction, name)
    outputs = (1 if y.ndim == 1 else y.shape[1]) if task == "regression" else int(y.max()) + 1
    return Dataset(Path(name).stem if name not in BUILTIN else name, tr, va, te, outputs, shape, task)


def _train_val(X: np.ndarray, y: np.ndarray, seed: int, val_fraction: float, name: str) -> tuple[Split, Split, None]:
    """Train / validation split (stratified where it can be) when the test set is a file of its own."""
    from sklearn.model_selection import train_test_split

    n_val = max(1, int(round(y.shape[0] * val_fraction)))
    if y.shape[0] - n_val < 1:
        raise LgnError(f"{name}: {y.shape[0]} samples are too few for a train/validation split")
    strat = None
    if np.issubdtype(y.dtype, np.integer) and y.ndim == 1:
        counts = np.bincount(y)
        strat = y if counts[counts > 0].min() >= 2 else None
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=n_val, random_state=seed + 1, stratify=strat)
    return Split(X_tr, y_tr), Split(X_val, y_val), None
