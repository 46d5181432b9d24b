# SPDX-License-Identifier: MIT
"""Progress for long steps: rich's spinner on a terminal; plain lines otherwise (a log file or
CI output used to show nothing while yosys ran for a minute)."""
from __future__ import annotations

import contextlib
import time


class _Plain:
    """The ``update`` of a rich status, as one printed line per step."""

    def __init__(self, console):
        self.console = console

    def update(self, text: str) -> None:
        self.console.print(str(text), highlight=False, markup=False)


@contextlib.contextmanager
def status(console, text: str):
    """``with status(console, "synthesizing") as s: ... s.update("nextpnr")`` around a long step."""
    if console.is_terminal:
        with console.status(text) as s:
            yield s
        return
    plain = _Plain(console)
    plain.update(f"{text} ...")
    t0 = time.perf_counter()
    yield plain
    plain.update(f"{text}: done in {time.perf_counter() - t0:.1f} s")
