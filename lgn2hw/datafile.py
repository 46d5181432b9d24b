# SPDX-License-Identifier: MIT
"""Reading user and report files (.npz, JSON) with errors that name the file, and the checks
on sample arrays (inputs and labels) that every command reading samples shares."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from . import limits
from .errors import LgnError


def load_arrays(path, max_elements: int = limits.MAX_ELEMENTS) -> dict[str, np.ndarray]:
    """All arrays of an .npz file (never unpickling objects). Sizes are checked from the zip
    directory and the .npy headers before any array is read (a 1 MB file can declare 7 GB)."""
    p = Path(path)
    if not p.exists():
        raise LgnError(f"{path}: no such file")
    if p.is_dir():
        raise LgnError(f"{path}: is a folder, expected an .npz file")
    try:
        is_zip = zipfile.is_zipfile(p)
    except OSError as e:
        raise LgnError(f"{path}: cannot read ({e.strerror or e})") from None
    except zipfile.BadZipFile as e:  # is_zipfile itself raises on some damaged directories
        raise LgnError(f"{path}: corrupt or truncated .npz ({e})") from None
    if not is_zip:
        raise LgnError(f"{path}: not a readable .npz file (not a zip archive, or truncated)")
    limits.check_zip(p, verify_crc=False)  # np.load checks each entry's CRC as it reads it
    limits.npz_headers(p, max_elements)
    try:
        with np.load(p, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except MemoryError:
        raise LgnError(f"{path}: too large to load (out of memory)") from None
    except Exception as e:
        raise LgnError(f"{path}: not a readable .npz file ({type(e).__name__}: {str(e)[:120]})") from None


def load_json(path, what: str, missing: str):
    """A JSON file written by lgn2hw; ``what`` names it ("a board.json"), ``missing`` says what to do."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise LgnError(f"{path}: {missing}") from None
    except (OSError, ValueError) as e:
        raise LgnError(f"{path}: not {what} ({e})") from None


def check_samples(arrays: dict, nl, path, prefix: str = "") -> dict:
    """Sample arrays (``X`` features, ``bits`` input bits, ``y`` labels) checked against ``nl``:
    numeric, finite, shapes that match the network and each other, bits 0/1, labels whole numbers
    in 0..classes-1. ``prefix`` names the keys in messages ("data." for a checkpoint's samples).
    Returns the arrays (``X`` as float64, ``bits`` as uint8, ``y`` as int64)."""
    out = dict(arrays)
    n = {}
    enc = getattr(nl, "encoder", None)
    if "bits" in arrays:
        bits = np.asarray(arrays["bits"])
        if bits.dtype.kind not in "biuf":
            raise LgnError(f"{path}: '{prefix}bits' holds {bits.dtype} values, expected 0 and 1")
        if bits.ndim != 2 or bits.shape[1] != nl.num_inputs:
            raise LgnError(f"{path}: '{prefix}bits' has shape {list(bits.shape)}, expected [N, {nl.num_inputs}]")
        if bits.size and not np.isin(bits, (0, 1)).all():
            raise LgnError(f"{path}: '{prefix}bits' must hold only 0 and 1")
        out["bits"] = bits.astype(np.uint8)
        n["bits"] = bits.shape[0]
    if "X" in arrays:
        x = np.asarray(arrays["X"])
        if x.dtype.kind not in "biuf":
            raise LgnError(f"{path}: '{prefix}X' holds {x.dtype} values, expected numbers")
        if x.ndim < 2:
            raise LgnError(f"{path}: '{prefix}X' has shape {list(x.shape)}, expected [N, features]")
        if enc is not None and int(np.prod(x.shape[1:])) != enc.num_features:
            raise LgnError(f"{path}: '{prefix}X' has shape {list(x.shape)}, expected [N, {enc.num_features}] "
                           f"(the model's encoder reads {enc.num_features} features)")
        x = x.astype(np.float64)
        if x.size and not np.all(np.isfinite(x)):
            raise LgnError(f"{path}: '{prefix}X' contains NaN or infinity")
        out["X"] = x
        n["X"] = x.shape[0]
    if "y" in arrays:
        y = np.asarray(arrays["y"])
        classes = limits.check_labels(y, f"'{prefix}y'", path)
        if classes > nl.num_classes:
            raise LgnError(f"{path}: '{prefix}y' has label {classes - 1}, but the model has {nl.num_classes} "
                           f"classes (0..{nl.num_classes - 1})")
        out["y"] = y.astype(np.int64)
        n["y"] = y.shape[0]
    if len(set(n.values())) > 1:
        raise LgnError(f"{path}: sample counts differ: " + ", ".join(f"'{prefix}{k}' has {v}" for k, v in n.items()))
    return out
