# SPDX-License-Identifier: MIT
"""The Python API: the README's example runs as written, and the commands sit on the API."""
import ast
import re
import subprocess
import sys

import pytest

from conftest import EXAMPLE_MODEL, REPO, require_tool


def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the README's Python API section has one python example"
    return blocks[0]


@pytest.mark.sim
def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    require_tool("iverilog")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "digits.pt").symlink_to(EXAMPLE_MODEL)
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_example(), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert re.search(r"\d+ -> 161 gates", out) and "accuracy" in out and "cycles:" in out
    assert (tmp_path / "build" / "digits-api" / "metadata.json").is_file()


def test_import_is_cheap():
    code = ("import sys, lgn2hw; heavy = [m for m in ('numpy', 'torch', 'z3', 'amaranth', 'click', 'rich') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_plan_and_metadata_load_no_amaranth():
    code = ("import sys; from lgn2hw.generate import random_layered; from lgn2hw.backend import plan_core, "
            "load_metadata; p = plan_core(random_layered(8, [8, 4], 2, seed=1)); "
            "print(p.latency > 0, 'amaranth' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def test_compile_result_matches_the_folder(tmp_path):
    import json

    import lgn2hw
    from lgn2hw.generate import random_layered
    nl = random_layered(12, [16, 16, 10], 2, seed=4)
    steps = []
    res = lgn2hw.compile(nl, out=tmp_path / "o", rtl={"pipeline_every": 2, "adder_stages": 1},
                         on_step=lambda name, value: steps.append(name))
    assert steps == ["imported", "optimized", "rtl"]
    meta = json.loads((tmp_path / "o" / "metadata.json").read_text())
    assert res.plan.latency == meta["latency"] and res.plan.metadata() == meta
    assert json.loads((tmp_path / "o" / "report.json").read_text())["final"] == res.report["final"]
    sim = lgn2hw.simulate(res.netlist, {"bits": [[0, 1] * 6]})
    assert sim.classes.shape == (1,)


def test_commands_do_not_import_each_other():
    """Each command module imports the API, the library and commands/_ui or commands/options,
    never another command module; synth and board do not import each other both ways."""
    cmds = REPO / "lgn2hw" / "commands"
    names = {p.stem for p in cmds.glob("*.py")} - {"__init__", "_ui", "options"}
    for path in cmds.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                mods = [node.module] if node.module else [a.name for a in node.names]
                assert not set(mods) & names, f"{path.name} imports command module {set(mods) & names}"
    synth_src = " ".join(p.read_text() for p in (REPO / "lgn2hw" / "synth").glob("*.py"))
    assert "board" not in re.findall(r"from \.\.(\w+)", synth_src)


def test_rich_only_in_commands():
    lib = REPO / "lgn2hw"
    users = sorted(str(p.relative_to(lib)) for p in lib.rglob("*.py")
                   if re.search(r"^\s*(from|import) rich", p.read_text(), re.M))
    assert all(u.startswith("commands/") or u == "train/trainer.py" for u in users), users
