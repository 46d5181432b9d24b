# SPDX-License-Identifier: MIT
"""RTL backend: pipelined Verilog + metadata.json from a Netlist (see emit.py, core.py)."""
from .emit import EmitOptions, EmitResult, emit

__all__ = ["EmitOptions", "EmitResult", "emit"]
