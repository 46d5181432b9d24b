# SPDX-License-Identifier: MIT
"""Hostile inputs (issue 17): compile folders, output paths, corrupted and oversized checkpoints,
field validation. Every case ends in one line on stderr, a non-zero exit and nothing written."""
from __future__ import annotations

import json
import os
import stat
import sys

import numpy as np
import pytest

from conftest import REPO
from lgn2hw import ir
from lgn2hw.cli import main
from lgn2hw.errors import LgnError
from lgn2hw.generate import random_layered
from lgn2hw.synth import Design, SynthConfig, synthesize
from lgn2hw.synth.baseline import write_baseline_core


def tiny_net(seed=1):
    return random_layered(16, [24, 24, 12], 3, seed=seed)


def one_line_error(capsys, *fragments) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, (f, err)
    return err


# ---------------------------------------------------------------- 1. compile folder -> tool scripts
def _spy_yosys(tmp_path):
    """A stand-in yosys that records that it ran and, like yosys, runs the script's `!` lines."""
    path = tmp_path / "spy-yosys"
    marker = tmp_path / "YOSYS_RAN"
    path.write_text("#!/bin/sh\n"
                    f"if [ \"$1\" = \"-V\" ]; then echo 'Yosys 0.0 (spy)'; exit 0; fi\n"
                    f"touch {marker}\n"
                    "[ \"$1\" = \"-s\" ] && grep '^!' \"$2\" | sed 's/^!//' | sh\n"
                    "exit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path, marker


INJECTIONS = [
    ("files", ["lgn_core_naive.v\n!touch PWNED"], "files[0]"),
    ("files", ["/etc/hostname"], "files[0]"),
    ("files", ["../lgn_core_naive.v"], "files[0]"),
    ("files", 7, "metadata.json"),
    ("top", "lgn_core\n!touch PWNED", "top"),
    ("top", "x; !touch PWNED", "top"),
]


@pytest.mark.parametrize("key,value,where", INJECTIONS)
def test_metadata_injection_runs_nothing(tmp_path, capsys, monkeypatch, key, value, where):
    core = tmp_path / "core"
    write_baseline_core(tiny_net(), core)
    meta = json.loads((core / "metadata.json").read_text())
    meta[key] = value
    (core / "metadata.json").write_text(json.dumps(meta))
    if key == "files" and isinstance(value, list) and not value[0].startswith("/"):
        (core / value[0]).write_text("module x; endmodule\n")  # the listed file exists
    spy, marker = _spy_yosys(tmp_path)
    monkeypatch.setenv("LGN2HW_YOSYS", str(spy))
    monkeypatch.chdir(tmp_path)
    assert main(["synth", str(core), "--no-pnr"]) == 1
    one_line_error(capsys, "metadata.json", where)
    assert not (tmp_path / "PWNED").exists() and not (core / "synth" / "PWNED").exists()
    assert not marker.exists()


@pytest.mark.parametrize("field,value", [("top", "t\n!touch PWNED"), ("core_top", "a b"),
                                         ("file", "x.v\n!touch PWNED"), ("file", "-x.v"),
                                         ("name", "../n")])
def test_script_rendering_refuses_unsafe_values(tmp_path, monkeypatch, field, value):
    spy, marker = _spy_yosys(tmp_path)
    monkeypatch.setenv("LGN2HW_YOSYS", str(spy))
    work = tmp_path / "w"
    work.mkdir()
    f = work / (value if field == "file" else "core.v")
    f.write_text("module t; endmodule\n")
    design = Design(files=(f,), top=value if field == "top" else "t",
                    core_top=value if field == "core_top" else "t", name=value if field == "name" else "d")
    with pytest.raises(LgnError) as e:
        synthesize(design, work, SynthConfig(pnr=False))
    assert "\n" not in str(e.value).replace("\\n", "")
    assert not marker.exists() and not (work / "PWNED").exists() and not (work / "synth.ys").exists()


@pytest.mark.parametrize("opts", ["extra=-top x;!touch PWNED", "extra=a|b"])
def test_option_text_cannot_reach_the_script(tmp_path, capsys, opts):
    core = tmp_path / "core"
    write_baseline_core(tiny_net(), core)
    assert main(["synth", str(core), "--no-pnr", "--synth-opts", opts]) == 1
    one_line_error(capsys, "--synth-opts")
    assert not (core / "synth" / "synth.ys").exists()
