# SPDX-License-Identifier: MIT
"""The data folders the package reads at run time: ``rtl_templates`` (jinja2 templates),
``sim`` (the cocotb benches) and ``boards`` (board files). They sit at the top of a source
checkout (and an editable install reads them there); a wheel carries them inside the
package as ``lgn2hw/_data/<name>`` (see setup.py)."""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name
