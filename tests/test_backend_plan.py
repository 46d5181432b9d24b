# SPDX-License-Identifier: MIT
"""The core plan (backend/plan.py) and its record, metadata.json (backend/metadata.py)."""
import json
import os

import numpy as np
import pytest

from lgn2hw.backend import EmitOptions, emit, load_metadata, plan_core
from lgn2hw.backend import plan as plan_mod
from lgn2hw.backend.popcount import CarryPlan
from lgn2hw.errors import LgnError
from lgn2hw.generate import random_layered
from lgn2hw.ir import Encoder


@pytest.fixture
def net():
    return random_layered(20, [30, 30, 24], 4, seed=5)


@pytest.mark.parametrize("fabric,calls", [("text", 4), ("amaranth", 1)])
def test_carry_plan_is_made_once_per_class(net, tmp_path, monkeypatch, fabric, calls):
    """Planning and rendering a core builds each class's carry tree once (the text fabric has
    one popcount per class, the Amaranth fabric one module for all)."""
    made = []
    original = CarryPlan.of.__func__

    def counting(cls, inputs):
        made.append(tuple(inputs))
        return original(cls, inputs)
    monkeypatch.setattr(CarryPlan, "of", classmethod(counting))
    res = emit(net, tmp_path, EmitOptions(pipeline_every=2, adder_stages=2, popcount="carry", fabric=fabric))
    assert len(made) == calls == res.plan.popcount.modules
    assert net.num_classes == 4


@pytest.mark.parametrize("opts", [dict(), dict(pipeline_every=0, adder_stages=0), dict(adder_stages=3),
                                  dict(popcount="wallace", fuse_popcount=False), dict(fabric="amaranth"),
                                  dict(pipeline_every=3, adder_stages=1, popcount="dadda")])
def test_metadata_is_the_plan_written_out(net, tmp_path, opts):
    res = emit(net, tmp_path, EmitOptions(**opts))
    plan = res.plan
    on_disk = json.loads((tmp_path / "metadata.json").read_text())
    assert on_disk == plan.metadata() == res.metadata
    meta = load_metadata(tmp_path)
    assert (meta.latency, meta.top, list(meta.files), meta.input_width, meta.classes, meta.sum_width,
            meta.class_width, meta.kind, meta.format_version) == \
        (plan.latency, plan.top, plan.files, plan.input.width, plan.classes, plan.sum_width, plan.class_width,
         "dense", plan_mod.FORMAT_VERSION)
    # the latency is the sum of the planned registers
    assert plan.latency == (1 + plan.encoder_latency + plan.fabric_latency + plan.popcount.latency
                            + plan.argmax_latency + 1)


def test_plan_fields(net):
    """The fused last stage ends in wires; one popcount group per class."""
    p = plan_core(net, EmitOptions(pipeline_every=1, adder_stages=1))
    assert p.fused and p.stage_registered(1) and not p.stage_registered(p.schedule.num_stages)
    assert p.kind == "dense" and len(p.popcount.groups) == net.num_classes


def test_plan_input_format_for_the_encoder(tmp_path):
    nl = random_layered(8, [12, 6], 2, seed=1).replace(encoder=Encoder(np.sort(
        np.random.default_rng(0).normal(size=(2, 4)), axis=1)))
    res = emit(nl, tmp_path, EmitOptions(input_width=6))
    meta = load_metadata(tmp_path)
    assert meta.fixed == res.plan.input.fixed and meta.features == 2 and meta.input_width == 12
    assert meta.input_format == res.metadata["input_format"]


# ---------------------------------------------------------------- the loader: a compile folder is untrusted
def _core(tmp_path, net):
    emit(net, tmp_path / "c", EmitOptions())
    return tmp_path / "c"


def _with(folder, **changes):
    path = folder / "metadata.json"
    meta = json.loads(path.read_text())
    for k, v in changes.items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v
    path.write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize("changes,message", [
    (dict(top="lgn_core; $finish"), "not a Verilog identifier"),
    (dict(top=["lgn_core"]), "not a Verilog identifier"),
    (dict(files=["../lgn_core.v"]), "not a plain Verilog file name"),
    (dict(files=["/etc/passwd"]), "not a plain Verilog file name"),
    (dict(files=["lgn_core.v", "netlist.npz"]), "not a plain Verilog file name"),
    (dict(files=["gone.v"]), "not a regular file"),
    (dict(files="lgn_core.v"), "non-empty list"),
    (dict(latency="5"), "latency = '5', expected an integer"),
    (dict(latency=True), "latency = True"),
    (dict(latency=0), "latency = 0"),
    (dict(classes=-1), "classes = -1"),
    (dict(sum_width=3.0), "sum_width = 3.0"),
    (dict(input_width=99), "input_width 99 does not match"),
    (dict(input_format={"kind": "fixed", "features": 2, "width": 99, "frac_bits": 0, "signed": False}),
     "width = 99"),
    (dict(input_format={"kind": "fixed", "features": 2, "width": 4, "frac_bits": 0, "signed": "no"}),
     "signed"),
    (dict(format_version=99), "format_version 99 is newer"),
    (dict(kind="conv"), "kind 'conv'"),
    (dict(netlist_sha256="../x"), "netlist_sha256"),
    (dict(latency=None), "missing key 'latency'"),
])
def test_loader_rejects(net, tmp_path, changes, message):
    folder = _with(_core(tmp_path, net), **changes)
    with pytest.raises(LgnError, match=message.replace("$", r"\$").replace("(", r"\(")):
        load_metadata(folder)


def test_loader_rejects_a_link_out_of_the_folder(net, tmp_path):
    folder = _core(tmp_path, net)
    (tmp_path / "outside.v").write_text("module x; endmodule\n")
    os.symlink(tmp_path / "outside.v", folder / "evil.v")
    _with(folder, files=["evil.v", "lgn_core.v"])
    with pytest.raises(LgnError, match="not a regular file"):
        load_metadata(folder)


def test_loader_accepts_an_unnumbered_file(net, tmp_path):
    """Folders written before the format was numbered (no format_version, no kind) still load."""
    folder = _with(_core(tmp_path, net), format_version=None, kind=None)
    meta = load_metadata(folder)
    assert meta.format_version == 1 and meta.kind == "dense"


def test_loader_errors_are_one_line(tmp_path):
    with pytest.raises(LgnError, match="metadata.json: no such file"):
        load_metadata(tmp_path)
    (tmp_path / "metadata.json").write_text("{not json")
    with pytest.raises(LgnError, match="not valid JSON"):
        load_metadata(tmp_path)
    (tmp_path / "metadata.json").write_text("[1, 2]")
    with pytest.raises(LgnError, match="expected a JSON object"):
        load_metadata(tmp_path)
