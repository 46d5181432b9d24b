# SPDX-License-Identifier: MIT
"""A wheel carries the data folders the package reads at run time (rtl_templates/, sim/,
boards/) inside the package, and lgn2hw.resources finds them there."""
import shutil
import subprocess
import sys
import zipfile

from conftest import REPO
from lgn2hw import resources

DATA_DIRS = ("rtl_templates", "sim", "boards")


def test_data_dir_prefers_the_packaged_copy(tmp_path, monkeypatch):
    pkg = tmp_path / "site" / "lgn2hw"
    (pkg / "_data" / "boards").mkdir(parents=True)
    monkeypatch.setattr(resources, "_PACKAGE", pkg)
    assert resources.data_dir("boards") == pkg / "_data" / "boards"
    assert resources.data_dir("sim") == tmp_path / "site" / "sim"  # not packaged: the checkout's


def test_checkout_data_dirs_exist():
    for name in DATA_DIRS:
        assert resources.data_dir(name) == REPO / name


def test_wheel_carries_the_data_folders(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in"):
        shutil.copy(REPO / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "sim_build*", "*.egg-info", "_data", "*.so")
    for name in ("lgn2hw", *DATA_DIRS):
        shutil.copytree(REPO / name, src / name, ignore=skip)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("lgn2hw-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DATA_DIRS:
        files = [p for p in (REPO / name).rglob("*") if p.is_file() and "__pycache__" not in p.parts
                 and not any(part.startswith("sim_build") for part in p.parts)]
        assert files
        missing = [str(p.relative_to(REPO)) for p in files
                   if f"lgn2hw/_data/{p.relative_to(REPO).as_posix()}" not in names]
        assert not missing, f"not in the wheel: {missing}"
    assert "lgn2hw/resources.py" in names and "lgn2hw/cli.py" in names
    # the simulator core is compiled at install time (setup.sh installs gcc): a platform wheel
    assert any(n.startswith("lgn2hw/_simcore_lib") and n.endswith((".so", ".pyd")) for n in names), \
        "the wheel has no compiled simulator core"
