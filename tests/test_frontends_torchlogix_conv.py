# SPDX-License-Identifier: MIT
"""torchlogix 0.2.2 conv models (and its real class names) against torchlogix's own outputs:
every layer's hard bits, the group sums and the argmax, 200/200, from the full pickle and from
state_dict + constructor config, through the conv simulator and through the unrolled netlist."""
import json
import pickle
import sys

import numpy as np
import pytest
import torch

from conftest import REPO
from lgn2hw.cli import main
from lgn2hw.conv_sim import simulate_conv, simulate_conv_bits
from lgn2hw.errors import CheckpointError
from lgn2hw.frontends import load_model
from lgn2hw.sim import simulate, simulate_bits

PEERS = REPO / "tests" / "fixtures" / "peers"
CONV = PEERS / "torchlogix_conv"
EXTRA = PEERS / "torchlogix_extra"


def forms(d, stem):
    """(path, load_model options) of the full pickle and of the state_dict + config."""
    return [(d / f"{stem}_full_model.pt", {}), (d / f"{stem}_state_dict.pt", {"config": d / f"{stem}_config.json"})]


def rows_equal(a, b) -> int:
    """How many of the rows (samples) agree in every bit."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return int((a.reshape(len(a), -1) == b.reshape(len(b), -1)).all(axis=1).sum())


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(CONV / "torchlogix_conv_ref.npz"))


# ---------------------------------------------------------------------- the torchlogix_conv fixture
@pytest.mark.parametrize("path,opts", forms(CONV, "torchlogix_conv"), ids=["full_model", "state_dict+config"])
def test_conv_fixture_every_layer_bit_exact(path, opts, ref):
    imp = load_model(path, **opts)
    m = imp.conv
    assert imp.format == "torchlogix" and m is not None
    assert m.provenance["source"] == "torchlogix " + ("state_dict + config" if opts else "full model")
    assert m.in_shape == (1, 8, 8) and m.bits_per_channel == 2
    np.testing.assert_array_equal(m.thresholds, [[0.25, 0.625]])
    assert [st.describe() for st in m.stages] == ["conv(k=4,rf=3,stride=1,pad=1)", "pool(k=2,stride=2,pad=0)"]
    assert (m.num_classes, m.tau) == (4, 3.0)
    assert m.conv_blocks()[0].kernel.depth == 2

    # input bits: lgn2hw's flat order through the model's encoder vs torchlogix's layouts
    bits = m.encode(ref["inputs_real"])
    assert rows_equal(m.image_bits(bits), ref["input_bits_4d"]) == 200
    assert rows_equal(ref["input_bits"], ref["input_bits_4d"].reshape(200, -1)) == 200  # ((c*T+t)*H+y)*W+x
    assert rows_equal(m.flat_bits(ref["input_bits_4d"]), bits) == 200

    res = simulate_conv_bits(m, bits, stages=True, return_output_bits=True)
    conv1, pool1 = res.stages
    assert rows_equal(conv1, ref["conv1_bits"]) == 200
    assert rows_equal(pool1, ref["pool1_bits"]) == 200
    assert rows_equal(pool1.reshape(200, -1), ref["flat_bits"]) == 200  # Flatten: k*H*W + y*W + x
    assert rows_equal(res.output_bits, ref["dense1_bits"]) == 200
    assert rows_equal(res.group_sums, ref["group_sums"]) == 200
    assert int((res.classes == ref["argmax"]).sum()) == 200
    np.testing.assert_allclose(res.group_sums / ref["tau"], ref["scores"], rtol=0, atol=1e-6)

    # the unrolled netlist (the semantics) gives the same, from bits and through its encoder
    nl = imp.netlist
    assert nl.fingerprint() == m.unroll().fingerprint()
    flat = simulate_bits(nl, bits)
    assert rows_equal(flat.output_bits, ref["dense1_bits"]) == 200
    assert rows_equal(flat.group_sums, ref["group_sums"]) == 200
    real = simulate(nl, ref["inputs_real"].reshape(200, -1))
    assert rows_equal(real.group_sums, ref["group_sums"]) == 200
    assert int((real.classes == ref["argmax"]).sum()) == 200
    assert int((simulate_conv(m, ref["inputs_real"]).classes == ref["argmax"]).sum()) == 200


def test_full_pickle_is_read_without_torchlogix():
    imp = load_model(CONV / "torchlogix_conv_full_model.pt")
    assert imp.conv is not None
    assert not any(name == "torchlogix" or name.startswith("torchlogix.") for name in sys.modules)
    with pytest.raises(pickle.UnpicklingError):  # torch refuses it; only the restricted unpickler reads it
        torch.load(CONV / "torchlogix_conv_full_model.pt", weights_only=True)


# ---------------------------------------------------------------------- warp / light, stride 2, groups
@pytest.mark.parametrize("path,opts", forms(EXTRA, "torchlogix_conv_warp_light"),
                         ids=["full_model", "state_dict+config"])
def test_warp_light_two_blocks_bit_exact(path, opts):
    ref = np.load(EXTRA / "torchlogix_conv_warp_light_ref.npz")
    imp = load_model(path, **opts)
    m = imp.conv
    assert [st.describe() for st in m.stages] == ["conv(k=6,rf=3,stride=2,pad=1)", "pool(k=3,stride=2,pad=1)",
                                                  "conv(k=8,rf=2,stride=1,pad=1)", "pool(k=3,stride=1,pad=0)"]
    assert m.provenance["parametrization"] == "light,raw,warp"
    # channel_group_size 2 over 6 channels: kernel k's 4 leaves read only channels k % 5 and k % 5 + 1
    kn = m.stages[0].kernel
    leaves = kn.fanin[:kn.level_ptr[1]].astype(np.int64) - 2  # window inputs (dy*rf + dx)*Cin + c
    for k in range(6):
        assert set((leaves[4 * k:4 * k + 4] % 6).ravel().tolist()) <= {k % 5, k % 5 + 1}
    bits = m.encode(ref["inputs_real"])
    assert rows_equal(m.image_bits(bits), ref["layer0_bits"]) == 200
    res = simulate_conv_bits(m, bits, stages=True, return_output_bits=True)
    for i, got in enumerate(res.stages, start=1):
        assert rows_equal(got, ref[f"layer{i}_bits"]) == 200, f"layer {i}"
    assert rows_equal(res.output_bits, ref["layer6_bits"]) == 200
    assert rows_equal(res.group_sums, ref["group_sums"]) == 200
    assert int((res.classes == ref["argmax"]).sum()) == 200
    flat = simulate_bits(imp.netlist, bits)
    assert rows_equal(flat.group_sums, ref["group_sums"]) == 200
    assert int((flat.classes == ref["argmax"]).sum()) == 200


@pytest.mark.parametrize("path,opts", forms(EXTRA, "torchlogix_dense_warp"), ids=["full_model", "state_dict+config"])
def test_dense_warp_full_pickle(path, opts):
    """The issue's case: a real torchlogix 0.2.2 pickle with WarpLUTParametrization (plus a rank-4
    light layer and learnable connections)."""
    ref = np.load(EXTRA / "torchlogix_dense_warp_ref.npz")
    imp = load_model(path, **opts)
    nl = imp.netlist
    assert imp.conv is None and (nl.num_classes, nl.tau, nl.arity) == (3, 2.0, 4)
    assert imp.config["form"] == ("state_dict + config" if opts else "full model")
    assert imp.config["parametrization"] == ["warp", "light", "warp"]
    res = simulate(nl, ref["inputs_real"])
    assert rows_equal(res.output_bits, ref["layer4_bits"]) == 200
    assert rows_equal(res.group_sums, ref["group_sums"]) == 200
    assert int((res.classes == ref["argmax"]).sum()) == 200


def test_dense_state_dict_needs_parametrization_or_config():
    with pytest.raises(CheckpointError, match="--parametrization warp or --parametrization light"):
        load_model(EXTRA / "torchlogix_dense_warp_state_dict.pt", classes=3)


# ---------------------------------------------------------------------- refused, by name
def sd_config(tmp_path, edit_sd=None, edit_cfg=None):
    sd = torch.load(CONV / "torchlogix_conv_state_dict.pt", weights_only=True)
    cfg = json.loads((CONV / "torchlogix_conv_config.json").read_text())
    if edit_sd:
        edit_sd(sd)
    if edit_cfg:
        edit_cfg(cfg)
    torch.save(sd, tmp_path / "m.pt")
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    return tmp_path / "m.pt", {"config": tmp_path / "c.json"}


def test_conv_state_dict_without_config():
    with pytest.raises(CheckpointError, match="pass the constructor config with --config"):
        load_model(CONV / "torchlogix_conv_state_dict.pt", classes=4)


def test_feature_dim_default_folds_into_width_refused(tmp_path):
    path, opts = sd_config(tmp_path, edit_cfg=lambda c: c["layers"][0]["kwargs"].update(feature_dim=-2))
    with pytest.raises(CheckpointError, match=r"feature_dim=-2 folds the 2 threshold bits of an image into the "
                                              r"width axis.*feature_dim=1"):
        load_model(path, **opts)


def test_feature_dim_default_with_one_threshold_is_per_channel(tmp_path):
    """With T = 1 the width fold is the identity: accepted (2 image channels, 1 bit each)."""
    path, opts = sd_config(tmp_path, edit_sd=lambda sd: sd.update({"0.thresholds": torch.tensor([0.5])}),
                           edit_cfg=lambda c: c["layers"][0]["kwargs"].update(feature_dim=-2))
    m = load_model(path, **opts).conv
    assert m.in_shape == (2, 8, 8)
    np.testing.assert_array_equal(m.thresholds, [[0.5], [0.5]])


def test_not_shared_over_positions_refused(tmp_path):
    def edit(sd):
        sd["1.connections._indices_L0"][1, 2, 17, 0, 1] += 1
    path, opts = sd_config(tmp_path, edit_sd=edit)
    with pytest.raises(CheckpointError, match=r"kernel 2 leaf 0 input 1 at position 17 .*not shared over positions"):
        load_model(path, **opts)


def test_offset_outside_window_refused(tmp_path):
    def edit(sd):
        sd["1.connections._indices_L0"][0, 3, :, 1, 0] += 3  # shifted consistently, but dy = 3.. > rf - 1
    path, opts = sd_config(tmp_path, edit_sd=edit)
    with pytest.raises(CheckpointError, match=r"kernel 3 leaf 1 input 0 reads .* outside its 3x3x2 window"):
        load_model(path, **opts)


def test_extra_state_dict_key_refused(tmp_path):
    path, opts = sd_config(tmp_path, edit_sd=lambda sd: sd.update({"9.weight": torch.zeros(2, 16)}))
    with pytest.raises(CheckpointError, match=r"'9.weight' belongs to no layer of the config c.json"):
        load_model(path, **opts)


def test_dense_without_flatten_refused(tmp_path):
    path, opts = sd_config(tmp_path, edit_cfg=lambda c: c["layers"].pop(3))
    with pytest.raises(CheckpointError, match=r"module '4': LogicDense on a \(4, 4, 4\) feature map without a Flatten"):
        load_model(path, **opts)


def test_non_square_and_unknown_modules_refused(tmp_path):
    path, opts = sd_config(tmp_path, edit_cfg=lambda c: c["layers"][1]["kwargs"].update(receptive_field_size=[3, 2]))
    with pytest.raises(CheckpointError, match=r"receptive_field_size = \(3, 2\): only square"):
        load_model(path, **opts)
    path, opts = sd_config(tmp_path, edit_cfg=lambda c: c["layers"][2].update({"class": "OrPooling3d"}))
    with pytest.raises(CheckpointError, match=r"module '2' is a torchlogix.layers.pool.OrPooling3d, which lgn2hw "
                                              r"cannot compile"):
        load_model(path, **opts)
    path, opts = sd_config(tmp_path, edit_cfg=lambda c: c["layers"][1].update({"class": "LogicConv3d"}))
    with pytest.raises(CheckpointError, match=r"module '1' is a torchlogix.layers.conv.LogicConv3d, which lgn2hw "
                                              r"cannot compile"):
        load_model(path, **opts)


def test_parametrization_from_config_is_used(tmp_path):
    """raw logits read as light (4 columns needed) must fail: the config, not the shape, decides."""
    path, opts = sd_config(tmp_path, edit_cfg=lambda c: c["layers"][1]["kwargs"].update(parametrization="light"))
    with pytest.raises(CheckpointError, match=r"1.tree_weights.0: light parametrization of rank 2 needs \[G, 4\]"):
        load_model(path, **opts)


def test_export_lut_ids(tmp_path):
    """A model once put in export mode carries LUT ids per position: used when they agree with
    the weights, refused when they do not."""
    def ids(sd, level):
        w = sd[f"1.tree_weights.{level}"]  # [n, K, 16] -> ids [K, P, n]
        return w.argmax(-1).T.unsqueeze(1).expand(-1, 64, -1).contiguous()

    def good(sd):
        sd["1._export_lut_ids_L0"], sd["1._export_lut_ids_L1"] = ids(sd, 0), ids(sd, 1)
    path, opts = sd_config(tmp_path, edit_sd=good)
    assert load_model(path, **opts).conv is not None

    def bad(sd):
        good(sd)
        sd["1._export_lut_ids_L1"][2, :, 0] = (sd["1._export_lut_ids_L1"][2, :, 0] + 1) % 16
    path, opts = sd_config(tmp_path, edit_sd=bad)
    with pytest.raises(CheckpointError, match=r"1._export_lut_ids_L1: gate 2 has export LUT id"):
        load_model(path, **opts)


@pytest.mark.parametrize("layer,kwargs,message", [
    (5, {"tau": {"a": 1}}, r"GroupSum tau = \{'a': 1\}, expected a positive number"),
    (5, {"k": 0}, r"GroupSum k = 0, expected a positive integer"),
    (1, {"parametrization": None}, r"layers\[1\] \(LogicConv2d\): parametrization is null"),
    (1, {"in_dim": [8, 8, 8]}, r"module '1': in_dim \[8, 8, 8\], expected H or \(H, W\)"),
    (0, {"thresholds": [[1], [1, 2]]}, None),  # the state_dict's thresholds win; the config's are not read
])
def test_malformed_config_values(tmp_path, layer, kwargs, message):
    path, opts = sd_config(tmp_path, edit_cfg=lambda c: c["layers"][layer]["kwargs"].update(kwargs))
    if message is None:
        assert load_model(path, **opts).conv is not None
        return
    with pytest.raises(CheckpointError, match=message):
        load_model(path, **opts)


def test_bad_config_file(tmp_path):
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not a JSON torchlogix config"):
        load_model(CONV / "torchlogix_conv_state_dict.pt", config=tmp_path / "c.json")


# ---------------------------------------------------------------------- CLI
def test_cli_inspect_conv_stages(capsys):
    assert main(["inspect", str(CONV / "torchlogix_conv_state_dict.pt"),
                 "--config", str(CONV / "torchlogix_conv_config.json")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "stage 0 conv: 4 kernels, depth 2, rf 3, stride 1, padding 1, 2 in-channels, 2x8x8 -> 4x8x8; " \
           "3 gates/kernel, 12 shared, 768 unrolled" in out
    assert "stage 1 or-pool: kernel 2, stride 2, padding 0, 4x8x8 -> 4x4x4" in out
    assert "stage 2 dense head: 64 -> 40 bits" in out
    assert "unrolled netlist: 1000 gates" in out
    assert main(["inspect", str(CONV / "torchlogix_conv_full_model.pt"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    conv = info["conv"]
    assert conv["unrolled_gates"] == info["gates"] == 1000
    assert [r["kind"] for r in conv["stages"]] == ["conv", "pool", "dense"]
    assert conv["stages"][0]["gates_per_kernel"] == [3, 3] and conv["stages"][0]["out_shape"] == [4, 8, 8]


def test_cli_predict_conv(ref, tmp_path):
    np.savez(tmp_path / "x.npz", X=ref["inputs_real"])
    assert main(["predict", str(CONV / "torchlogix_conv_full_model.pt"), "--inputs", str(tmp_path / "x.npz"),
                 "--out", str(tmp_path / "y.npz")]) == 0
    out = np.load(tmp_path / "y.npz")
    assert rows_equal(out["group_sums"], ref["group_sums"]) == 200
    assert rows_equal(out["output_bits"], ref["dense1_bits"]) == 200
