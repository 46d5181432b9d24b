# SPDX-License-Identifier: MIT
"""Conv models: geometry checks, bit layouts, unroll and the conv simulator against each other."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from lgn2hw import conv_sim
from lgn2hw.conv import ConvBlock, ConvError, ConvModel, OrPool, tree_kernel
from lgn2hw.sim import simulate_bits

from _convgen import conv_models, random_model


def _brute(model: ConvModel, x: np.ndarray) -> list[np.ndarray]:
    """Straight from the semantics (docs/conv.md), one image and one position at a time."""
    c, h, w = model.in_shape
    fmap = (x.reshape(c, h, w)[:, None] > model.thresholds[:, :, None, None]).reshape(-1, h, w).astype(np.uint8)
    maps = []
    for st in model.stages:
        ch, hh, ww = fmap.shape
        if isinstance(st, ConvBlock):
            k, oh, ow = st.out_shape(fmap.shape)
            pad = np.zeros((ch, hh + 2 * st.padding, ww + 2 * st.padding), np.uint8)
            pad[:, st.padding:st.padding + hh, st.padding:st.padding + ww] = fmap
            out = np.zeros((k, oh, ow), np.uint8)
            for oy in range(oh):
                for ox in range(ow):
                    win = pad[:, oy * st.stride:oy * st.stride + st.rf, ox * st.stride:ox * st.stride + st.rf]
                    vec = win.transpose(1, 2, 0).reshape(1, -1)  # (dy, dx, c), c fastest
                    out[:, oy, ox] = simulate_bits(st.kernel, vec).output_bits[0]
        else:
            _, oh, ow = st.out_shape(fmap.shape)
            pad = np.zeros((ch, hh + 2 * st.padding, ww + 2 * st.padding), np.uint8)
            pad[:, st.padding:st.padding + hh, st.padding:st.padding + ww] = fmap
            out = np.zeros((ch, oh, ow), np.uint8)
            for oy in range(oh):
                for ox in range(ow):
                    s = st.step
                    out[:, oy, ox] = pad[:, oy * s:oy * s + st.kernel, ox * s:ox * s + st.kernel].max(axis=(1, 2))
        fmap = out
        maps.append(fmap)
    return maps


def test_conv_sim_matches_brute_force_and_unroll(rng):
    model = random_model(rng)
    x = rng.uniform(0, 1, size=(70, 1, 8, 8))
    res = conv_sim.simulate_conv(model, x, stages=True)
    for i in range(3):
        maps = _brute(model, x[i])
        for s, m in enumerate(maps):
            assert np.array_equal(res.stages[s][i], m), f"image {i}, stage {s}"
        head = simulate_bits(model.head, maps[-1].reshape(1, -1))
        assert np.array_equal(res.group_sums[i], head.group_sums[0])
    flat = simulate_bits(model.unroll(), model.encode(x))
    assert np.array_equal(flat.group_sums, res.group_sums)
    assert np.array_equal(flat.classes, res.classes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_models())
def test_conv_sim_equals_unrolled(model):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(67,) + model.in_shape)
    bits = model.encode(x)
    res = conv_sim.simulate_conv_bits(model, bits, return_output_bits=True)
    flat = simulate_bits(model.unroll(), bits)
    assert np.array_equal(res.group_sums, flat.group_sums)
    assert np.array_equal(res.output_bits, flat.output_bits)
    assert np.array_equal(res.classes, flat.classes)


def test_unrolled_encoder_equals_model_encoder(rng):
    model = random_model(rng, in_shape=(2, 6, 5), spec=(("conv", 2, 2, 3, 1, 1, 1),), widths=(8,), classes=2)
    x = rng.uniform(0, 1, size=(9, 2, 6, 5))
    nl = model.unroll()
    assert np.array_equal(nl.encoder.encode(x.reshape(9, -1)), model.encode(x))
    assert np.array_equal(model.flat_bits(model.image_bits(model.encode(x))), model.encode(x))
    img = model.image_bits(model.encode(x))  # channel c*T + t
    assert np.array_equal(img[:, 1], (x[:, 0] > model.thresholds[0, 1]).astype(np.uint8))
    assert np.array_equal(img[:, 2], (x[:, 1] > model.thresholds[1, 0]).astype(np.uint8))


def test_unroll_counts(rng):
    model = random_model(rng)  # conv k=4 d=2 (3 gates per kernel) on 8x8 pad 1, pool 2, dense 24
    counts = model.gate_counts()
    assert counts["stages"][0]["unrolled"] == 12 * 64
    assert counts["stages"][1]["unrolled"] == 4 * 16 * 3
    assert model.unroll().num_nodes == counts["unrolled"]


def test_tree_kernel_wiring():
    # one kernel of depth 2: leaves AND(in0, in1), OR(in2, in3); root XOR
    kern = tree_kernel(np.array([[[0, 1], [2, 3]]]), np.array([[1, 7]]), [np.array([[6]])], 4)
    from _netgen import all_inputs
    x = all_inputs(4)
    out = simulate_bits(kern, x).output_bits[:, 0]
    assert np.array_equal(out, (x[:, 0] & x[:, 1]) ^ (x[:, 2] | x[:, 3]))


@pytest.mark.parametrize("change, message", [
    (dict(stages=()), "starts with a conv block"),
    (dict(in_shape=(1, 8, 0)), "must be >= 1"),
    (dict(thresholds=np.zeros((2, 2))), "one row per input channel"),
])
def test_validation_names_the_problem(rng, change, message):
    model = random_model(rng)
    with pytest.raises(ConvError, match=message):
        model.replace(**change)


def test_validation_names_the_stage(rng):
    model = random_model(rng)
    blk = model.stages[0]
    with pytest.raises(ConvError, match=r"stage 0 \(conv\).*kernel netlist has 18 inputs, expected rf\*rf\*channels = 5\*5\*2"):
        model.replace(stages=(ConvBlock(blk.kernel, 5, 1, 2), model.stages[1]))
    with pytest.raises(ConvError, match=r"stage 1 \(pool\).*padding"):
        model.replace(stages=(blk, OrPool(2, 2, 2)))
    with pytest.raises(ConvError, match=r"stage 1 \(pool\).*empty"):
        model.replace(stages=(blk, OrPool(9, 1, 0)))
    with pytest.raises(ConvError, match="dense head reads 64 bits, but the last stage gives 4x8x8 = 256"):
        model.replace(stages=(blk,))


def test_file_form_round_trip(rng, tmp_path):
    from lgn2hw import conv
    from lgn2hw.frontends import load_model
    model = random_model(rng, in_shape=(2, 7, 6), spec=(("conv", 4, 3, 3, 2, 1, 2), ("pool", 3, 1, 1)))
    path = tmp_path / "m.npz"
    conv.save(model, path)
    back = conv.load(path)
    assert back.fingerprint() == model.fingerprint()
    imp = load_model(path)
    assert imp.conv is not None and imp.conv.fingerprint() == model.fingerprint()
    assert imp.netlist.fingerprint() == model.unroll().fingerprint()


def test_native_conv_checkpoint_round_trip(rng, tmp_path):
    import torch
    from lgn2hw.frontends import load_model
    from lgn2hw.frontends.native import conv_model_checkpoint
    model = random_model(rng, in_shape=(1, 8, 8), spec=(("conv", 4, 2, 3, 1, 1, 1), ("pool", 2, 2, 0),
                                                       ("conv", 3, 2, 2, 1, 0, 1)))
    x = rng.uniform(0, 1, size=(50, 1, 8, 8))
    path = tmp_path / "m.pt"
    torch.save(conv_model_checkpoint(model, data={"X": x, "y": np.zeros(50, np.int64)}), path)
    imp = load_model(path)
    assert imp.format == "native" and imp.conv is not None
    a = conv_sim.simulate_conv(model, x)
    b = conv_sim.simulate_conv(imp.conv, imp.data["X"])
    assert np.array_equal(a.group_sums, b.group_sums)
    assert np.array_equal(simulate_bits(imp.netlist, imp.conv.encode(x)).group_sums, a.group_sums)


def test_native_conv_checkpoint_errors_name_the_key(rng, tmp_path):
    import torch
    from lgn2hw.errors import CheckpointError
    from lgn2hw.frontends import load_model
    from lgn2hw.frontends.native import conv_model_checkpoint
    ck = conv_model_checkpoint(random_model(rng))
    ck["stages"][0]["rf"] = 1  # the window shrinks to 2 bits: the leaves read beyond it
    torch.save(ck, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"bad.pt: stages\[0\].layers\[0\]: gate \d+ reads index \d+, expected 0..1"):
        load_model(tmp_path / "bad.pt")
    ck = conv_model_checkpoint(random_model(rng))
    ck["stages"][1]["kernel"] = 30
    torch.save(ck, tmp_path / "bad2.pt")
    with pytest.raises(CheckpointError, match=r"bad2.pt: stages\[1\]: pool\(k=30.*empty"):
        load_model(tmp_path / "bad2.pt")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_models())
def test_optimize_conv_keeps_group_sums(model):
    from lgn2hw.passes.conv import optimize_conv
    opt, results = optimize_conv(model, "const-fold,wire-collapse,strash,sat-sweep,dce")
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, size=(200, model.num_input_bits), dtype=np.uint8)
    assert np.array_equal(conv_sim.simulate_conv_bits(opt, bits).group_sums,
                          conv_sim.simulate_conv_bits(model, bits).group_sums)
    assert [r.stage for r in results][-1] == "head"
    assert opt.gate_counts()["shared"] <= model.gate_counts()["shared"]
    assert not any(st.kernel.any_inverted for st in opt.conv_blocks())  # kernels feed the next stage by id


def test_output_polarity_in_conv_models(rng, tmp_path):
    """The head may invert outputs (unroll, the conv simulator and the file keep it); a kernel may not."""
    from lgn2hw import conv as convmod
    from lgn2hw.ir import plain_outputs
    model = random_model(rng)
    inv = np.arange(model.head.num_outputs) % 3 == 0
    flipped = model.replace(head=model.head.replace(output_inv=inv))
    bits = rng.integers(0, 2, size=(100, model.num_input_bits), dtype=np.uint8)
    want = conv_sim.simulate_conv_bits(model, bits, return_output_bits=True).output_bits ^ inv.astype(np.uint8)
    assert np.array_equal(conv_sim.simulate_conv_bits(flipped, bits, return_output_bits=True).output_bits, want)
    assert np.array_equal(simulate_bits(flipped.unroll(), bits).output_bits, want)
    convmod.save(flipped, tmp_path / "c.npz")
    assert convmod.load(tmp_path / "c.npz").head.output_inv.tolist() == inv.tolist()
    st = model.stages[0]
    kern = st.kernel.replace(output_inv=np.arange(st.kernel.num_outputs) == 0)
    with pytest.raises(ConvError, match="kernel netlist has inverted outputs"):
        model.replace(stages=(type(st)(kern, st.rf, st.stride, st.padding), *model.stages[1:]))
    plain = type(st)(plain_outputs(kern), st.rf, st.stride, st.padding)
    model.replace(stages=(plain, *model.stages[1:]))  # the plain form is accepted


def test_optimize_conv_drops_unread_kernels(rng):
    from lgn2hw.ir import Netlist
    from lgn2hw.passes.conv import optimize_conv
    model = random_model(rng, spec=(("conv", 4, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)))
    # a head that reads only channel 2 of the 4x4x4 pooled map: one XOR of two of its positions
    head = Netlist.build(64, 2, np.array([6], np.uint64), np.array([[2 + 32, 2 + 37]]), [2 + 64], 1)
    model = model.replace(head=head)
    opt, results = optimize_conv(model, "const-fold,wire-collapse,strash,dce")
    conv_res = [r for r in results if r.stage.startswith("stage 0")][0]
    assert conv_res.dropped_kernels == 3
    assert opt.stages[0].kernel.outputs.tolist().count(0) >= 3
    assert opt.stages[0].kernel.num_nodes <= 3  # only kernel 2's tree is left
    bits = rng.integers(0, 2, size=(300, model.num_input_bits), dtype=np.uint8)
    assert np.array_equal(conv_sim.simulate_conv_bits(opt, bits).group_sums,
                          conv_sim.simulate_conv_bits(model, bits).group_sums)


def test_optimize_conv_data_driven_passes_need_samples(rng):
    from lgn2hw.passes import PipelineError
    from lgn2hw.passes.conv import optimize_conv
    with pytest.raises(PipelineError, match="greedy-prune.*needs data.*dense head"):
        optimize_conv(random_model(rng), "greedy-prune")


def test_optimize_conv_prunes_the_head_on_samples_carried_through_the_stages(rng, monkeypatch):
    """A data-driven pass runs on the head alone, fitted on the last stage's maps of the
    samples: the pruned model equals its kernels (exact passes only) feeding the pruned head."""
    from lgn2hw.passes import PassData, conv as pconv
    from lgn2hw.passes.conv import head_data, optimize_conv
    monkeypatch.setattr(pconv, "_HEAD_DATA_CHUNK", 96)  # several chunks, the last one short
    model = random_model(rng)
    bits = rng.integers(0, 2, size=(400, model.num_input_bits), dtype=np.uint8)
    y = rng.integers(0, model.num_classes, 400)
    feats = head_data(model, PassData(bits, y))
    last = conv_sim.simulate_conv_bits(model, bits, stages=True).stages[-1]
    assert np.array_equal(feats.bits, last.reshape(400, -1)) and feats.y is y
    # the head's outputs on those features are the model's own
    assert np.array_equal(simulate_bits(model.head, feats.bits).group_sums,
                          conv_sim.simulate_conv_bits(model, bits).group_sums)
    opt, results = optimize_conv(model, "const-fold,greedy-prune{threshold=0.6},const-fold,dce",
                                 data=PassData(bits, y))
    head = results[-1]
    assert head.stage == "head"
    prune = [r for r in head.reports if r.name == "greedy-prune"][0]
    assert prune.counters["pruned"] > 0 and opt.head.num_nodes < model.head.num_nodes
    for res in results[:-1]:  # the kernels saw the exact passes only
        assert [r.name for r in res.reports] == ["const-fold", "const-fold", "dce"]
    test = rng.integers(0, 2, size=(300, model.num_input_bits), dtype=np.uint8)
    want = simulate_bits(opt.head, head_data(model, PassData(test)).bits).group_sums
    assert np.array_equal(conv_sim.simulate_conv_bits(opt, test).group_sums, want)
    assert np.array_equal(simulate_bits(opt.unroll(), test).group_sums, want)
