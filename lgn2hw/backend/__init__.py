# SPDX-License-Identifier: MIT
"""RTL backend: pipelined Verilog + metadata.json from a Netlist.

``plan`` computes the core plan once; ``fabric``, ``core``, ``popcount`` render it; ``emit``
writes the folder; ``metadata`` writes and loads ``metadata.json`` (the one loader of a
compile folder). Importing this package loads no Amaranth (the renderers import it).
"""
from .emit import EmitResult, emit
from .metadata import CoreMetadata, load_metadata
from .options import EmitOptions
from .plan import CorePlan, plan_core

__all__ = ["CoreMetadata", "CorePlan", "EmitOptions", "EmitResult", "emit", "load_metadata", "plan_core"]
