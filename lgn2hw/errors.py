# SPDX-License-Identifier: MIT
"""User-facing errors: the CLI prints their message on one line and exits non-zero."""
from __future__ import annotations


class LgnError(Exception):
    """Base class of errors caused by the user's input or environment, not by a bug."""


class CheckpointError(LgnError):
    """A checkpoint that cannot be read or does not describe a network; names the file."""

    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class LgnWarning(UserWarning):
    """Something the user should know that does not stop the command (the CLI prints one line)."""


class ToolError(LgnError):
    """An external tool (simulator, yosys, nextpnr...) is missing or failed."""
