# SPDX-License-Identifier: MIT
"""The data folders the package reads at run time: ``rtl_templates`` (jinja2 templates),
``sim`` (the cocotb benches) and ``boards`` (board files). They sit at the top of a source
checkout (and an editable install reads them there); a wheel carries them inside the
package as ``lgn2hw/_data/<name>`` (see setup.py)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


@lru_cache(maxsize=None)
def templates() -> jinja2.Environment:
    """The jinja2 environment over ``rtl_templates`` (one per process; rendering never changes it)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(data_dir("rtl_templates")),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
