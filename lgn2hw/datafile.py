# SPDX-License-Identifier: MIT
"""Reading user and report files (.npz, JSON) with errors that name the file."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import LgnError


def load_arrays(path) -> dict[str, np.ndarray]:
    """All arrays of an .npz file (never unpickling objects)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise LgnError(f"{path}: no such file") from None
    except Exception as e:
        raise LgnError(f"{path}: not a readable .npz file ({type(e).__name__})") from None


def load_json(path, what: str, missing: str):
    """A JSON file written by lgn2hw; ``what`` names it ("a board.json"), ``missing`` says what to do."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise LgnError(f"{path}: {missing}") from None
    except (OSError, ValueError) as e:
        raise LgnError(f"{path}: not {what} ({e})") from None
