# SPDX-License-Identifier: MIT
"""RTL backend: pipelined Verilog + metadata.json from a Netlist (see emit.py, core.py)."""
from .emit import EmitResult, emit
from .options import EmitOptions

__all__ = ["EmitOptions", "EmitResult", "emit"]
