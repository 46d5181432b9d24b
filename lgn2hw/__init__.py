# SPDX-License-Identifier: MIT
"""lgn2hw: compile trained Logic Gate Networks into verified FPGA designs.

    import lgn2hw
    result = lgn2hw.compile("examples/digits.pt", out="build/digits", verify="icarus")
    print(result.plan.latency, result.files)

The API (``load``, ``optimize``, ``simulate``, ``compile``, ``synthesize``; see ``lgn2hw.api``)
loads on first use, so ``import lgn2hw`` stays cheap.
"""
__version__ = "0.1.0"

_API = ("compile", "load", "optimize", "simulate", "synthesize", "CompileResult", "OptimizeResult")

__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'lgn2hw' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
