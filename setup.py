# SPDX-License-Identifier: MIT
"""Packaging hook (the metadata lives in pyproject.toml): a wheel carries the top-level data
folders the package reads at run time — rtl_templates/, sim/ (the cocotb benches), boards/ —
inside the package as lgn2hw/_data/<name>, where lgn2hw.resources finds them. A source
checkout or an editable install reads them in place.

It also builds the simulator core (lgn2hw/_simcore.c, plain C, no Python or numpy headers:
loaded with ctypes) as an optional extension: without a C compiler the install still
succeeds and the simulator runs its numpy path."""
import os
import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

DATA_DIRS = ("rtl_templates", "sim", "boards")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        here = Path(__file__).resolve().parent
        for name in DATA_DIRS:
            shutil.copytree(here / name, Path(self.build_lib) / "lgn2hw" / "_data" / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "sim_build*", "results.xml"))


SIMCORE = Extension("lgn2hw._simcore_lib", ["lgn2hw/_simcore.c"], optional=True,
                    extra_compile_args=["-O3", "-std=gnu11"] if os.name == "posix" else [])

setup(cmdclass={"build_py": BuildPyWithData}, ext_modules=[SIMCORE])
