# SPDX-License-Identifier: MIT
"""User data files (.npz): read every array, with errors that name the file."""
from __future__ import annotations

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
