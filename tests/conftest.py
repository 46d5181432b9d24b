# SPDX-License-Identifier: MIT
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
# Data the tests read lives in the repository (a clone alone passes its tests); never ../shared.
FIXTURES = REPO / "tests" / "fixtures"
PEER_FIXTURES = FIXTURES / "peers"
EXAMPLE_MODEL = REPO / "examples" / "digits.pt"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def one_torch_thread():
    """Tiny nets train fastest on one thread; extra threads spin on a shared machine."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite the golden files under tests/golden/ instead of comparing with them.")


@pytest.fixture
def update_golden(request) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="module")
def simcore():
    """The compiled simulator core (lgn2hw/_simcore.c), or skip: it is built by pip install -e ."""
    from lgn2hw import _simcore
    lib = _simcore.load()
    if lib is None:
        pytest.skip("the simulator core is not built (pip install -e . with a C compiler)")
    return lib


def require_simulator(simulator: str) -> None:
    """Skip unless the HDL simulator (icarus, verilator) for a cocotb bench is installed."""
    from lgn2hw import verify
    from lgn2hw.errors import ToolError
    if simulator == "icarus":
        require_tool("iverilog")
    try:
        verify.tool_env(simulator)
    except ToolError as e:
        pytest.skip(str(e))


def require_tool(name: str) -> str:
    """Path of an external tool, or skip the test naming what is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not found on PATH (run scripts/setup.sh)")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CI=true) a skip is a failure: setup installs every tool, so nothing may be missing."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every tool and fixture must be present: {reason}"
