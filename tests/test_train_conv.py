# SPDX-License-Identifier: MIT
"""Convolutional LGN training: the --arch grammar, the relaxed conv network, its hard forward
against an independent per-position reference, and a few training steps on digits 8x8."""
import numpy as np
import pytest
import torch

from lgn2hw import ops
from lgn2hw.errors import LgnError
from lgn2hw.train import arch, conv, data, export, trainer
from lgn2hw.train.layers import PASS_A

# ----------------------------------------------------------------------------------- arch text


def test_arch_parses_and_prints_canonically():
    a = arch.parse("conv(k=16,d=3,rf=3,pad=1)-pool(2)-conv(k=32, d=2, rf=3, stride=2, ch=4)"
                   "-pool(k=3,stride=2,pad=1)-dense(300)-dense(100)")
    assert a.stages == (arch.Conv(16, 3, 3, 1, 1), arch.Pool(2, 2), arch.Conv(32, 2, 3, 2, 0, 4), arch.Pool(3, 2, 1))
    assert a.dense == (300, 100)
    assert arch.parse(str(a)) == a
    assert str(a).startswith("conv(k=16,d=3,rf=3,stride=1,pad=1)-pool(k=2,stride=2,pad=0)-")
    assert a.shapes((2, 28, 28)) == [(2, 28, 28), (16, 28, 28), (16, 14, 14), (32, 6, 6), (32, 3, 3)]


@pytest.mark.parametrize("text, message", [
    ("", "empty architecture"),
    ("conv(k=16)--dense(10)", "empty stage"),
    ("conv(k=16)-pool(2)-dense(10)-", "empty stage"),
    ("conv(k=16)-pol(2)-dense(10)", "bad token 'pol(2)'"),
    ("conv(k=16,q=3)-dense(10)", "bad token 'conv(k=16,q=3)': unknown key 'q'"),
    ("conv(k=x)-dense(10)", "k='x' is not an integer"),
    ("conv(k=0)-dense(10)", "k must be at least 1"),
    ("conv(d=3)-dense(10)", "bad token 'conv(d=3)': missing k"),
    ("conv(k=4,k=5)-dense(10)", "'k' given twice"),
    ("conv(k=4,d=13)-dense(10)", "depth d=13"),
    ("pool(k=2,3)-conv(k=4)-dense(10)", "positional value '3'"),
    ("conv(k=4)-dense(10)-pool(2)", "bad token 'pool(2)': conv and pool stages must come before"),
    ("conv(k=4)-pool(2)", "has no dense layer"),
    ("dense(100)", "has no conv stage"),
])
def test_arch_errors_name_the_token(text, message):
    with pytest.raises(LgnError, match="^--arch") as err:
        arch.parse(text)
    assert message in str(err.value)


@pytest.mark.parametrize("text, shape, message", [
    ("conv(k=4,rf=9)-dense(10)", (1, 8, 8), "stage 1 conv(k=4,d=3,rf=9,stride=1,pad=0): its 8x8 input is smaller"),
    ("conv(k=4,rf=3)-pool(4)-pool(4)-dense(10)", (1, 8, 8), "stage 3 pool(k=4,stride=4,pad=0)"),
    ("conv(k=4,ch=3)-dense(10)", (2, 8, 8), "ch=3 exceeds its 2 input channels"),
    ("conv(k=4,rf=1)-dense(10)", (1, 8, 8), "1-bit window"),
    ("conv(k=4)-pool(k=2,pad=2)-dense(10)", (1, 8, 8), "padding must be at most half"),
    ("conv(k=4)-dense(15)", (1, 8, 8), "15 gates cannot form 10 equal class groups"),
])
def test_geometry_errors_name_the_stage(text, shape, message):
    with pytest.raises(LgnError) as err:
        arch.parse(text).check(shape, 10)
    assert message in str(err.value)


# ------------------------------------------------------------------------------ relaxed network


def make_net(text="conv(k=4,d=3,rf=3,pad=1)-pool(2)-conv(k=6,d=2,rf=2,stride=2,ch=2)-dense(40)-dense(20)",
             shape=(3, 8, 8), kind="fixed", seed=0, residual=0.9):
    return conv.ConvNet(arch.parse(text), shape, 10, 2.0, kind, residual=residual, seed=seed)


def test_relaxed_forward_shapes_and_range():
    net = make_net()
    x = torch.rand(5, 3, 8, 8)
    feats = net.features(x)
    lo, hi = float(feats.detach().min()), float(feats.detach().max())
    assert feats.shape == (5, 20) and net(x).shape == (5, 10)
    assert lo >= 0 and hi <= 1
    c1, p1, c2 = net.stages
    assert c1(x).shape == (5, 4, 8, 8) and p1(c1(x)).shape == (5, 4, 4, 4) and c2(p1(c1(x))).shape == (5, 6, 2, 2)
    assert net.layers[0].interconnect.in_dim == 6 * 2 * 2
    # gates per kernel 7 and 3, plus the dense layers; unrolled: every kernel at every position
    assert net.gate_count() == 4 * 7 + 6 * 3 + 60
    assert net.unrolled_gates() == 4 * 7 * 64 + 6 * 3 * 4 + 60
    loss = net(x).logsumexp(1).sum()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


def test_fused_mix_equals_the_gate_mix_and_its_gradient():
    from lgn2hw.train.layers import Gates

    torch.manual_seed(0)
    g = Gates(6, residual=None).double()
    a = torch.rand(3, 6, 5, dtype=torch.float64, requires_grad=True)
    b = torch.rand(3, 6, 5, dtype=torch.float64, requires_grad=True)
    c = (g.op_probabilities() @ g.coeffs).detach().requires_grad_()
    assert torch.autograd.gradcheck(conv.mix, (c, a, b))
    out = conv.mix(g.op_probabilities() @ g.coeffs, a, b)
    ref = g.mix(a, b)
    assert torch.allclose(out, ref, atol=1e-12)
    w = torch.rand_like(ref)
    grads = torch.autograd.grad((out * w).sum(), [g.logits, a, b])
    want = torch.autograd.grad((ref * w).sum(), [g.logits, a, b])
    assert all(torch.allclose(x, y, atol=1e-12) for x, y in zip(grads, want))
    # one-hot ops on bits: exactly the Boolean gate (the hard forward relies on it)
    bits = torch.tensor([[0., 0., 1., 1.]] * 16)[None], torch.tensor([[0., 1., 0., 1.]] * 16)[None]
    hard = conv.mix(torch.eye(16) @ g.coeffs.float(), *bits)[0]
    want_bits = torch.tensor(ops.table_bits(np.arange(16, dtype=np.uint64), 2), dtype=torch.float32)
    assert torch.equal(hard, want_bits)


def test_leaf_wiring_stays_in_the_window_and_the_channel_group():
    spec = arch.Conv(k=50, d=3, rf=3, ch=2)
    w = conv.leaf_wiring(spec, 5, torch.Generator().manual_seed(3)).numpy()
    assert w.shape == (50 * 4, 2) and w.min() >= 0 and w.max() < 9 * 5
    assert np.all(w[:, 0] != w[:, 1])
    chans = (w % 5).reshape(50, 8)
    assert all(len(set(row)) <= 2 for row in chans)
    assert len({tuple(sorted(set(row))) for row in chans}) > 3  # kernels draw different groups
    full = conv.leaf_wiring(arch.Conv(k=200, d=2, rf=3), 2, torch.Generator().manual_seed(0)).numpy()
    assert set(np.unique(full)) == set(range(18))  # every window bit is drawn


def test_residual_init_makes_every_kernel_a_wire():
    net = make_net(residual=0.9)
    for st in net.stages:
        if isinstance(st, conv.TreeConv):
            for gates in st.levels:
                assert np.all(gates.hard_ops() == PASS_A)
    x = (torch.rand(2, 3, 8, 8) > 0.5).float()
    net.eval()
    c1 = net.stages[0]
    cols = torch.nn.functional.unfold(x, 3, padding=1)  # kernel = its first leaf's first bit
    first = c1.rows.view(4, 4, 2)[:, 0, 0]
    torch.testing.assert_close(c1(x), cols[:, first].view(2, 4, 8, 8))


def reference_group_sums(bits, stages, head, classes):
    """Independent per-position reference: bits [N, C, H, W], native stage dicts, head layer dicts."""
    x = bits.astype(np.uint8)
    for st in stages:
        n, c, h, w = x.shape
        if st["type"] == "conv":
            rf, s, p = st["rf"], st["stride"], st["padding"]
            xp = np.zeros((n, c, h + 2 * p, w + 2 * p), np.uint8)
            xp[:, :, p:p + h, p:p + w] = x
            oh, ow = (h + 2 * p - rf) // s + 1, (w + 2 * p - rf) // s + 1
            k = st["layers"][-1]["ops"].shape[0]
            out = np.zeros((n, k, oh, ow), np.uint8)
            for y in range(oh):
                for xx in range(ow):
                    win = xp[:, :, y * s:y * s + rf, xx * s:xx * s + rf]  # [N, C, rf, rf]
                    v = win.transpose(0, 2, 3, 1).reshape(n, -1)  # (dy*rf + dx)*C + c
                    for layer in st["layers"]:
                        idx, tab = layer["indices"], layer["ops"].astype(np.uint64)
                        v = np.stack([ops.evaluate(np.full(n, tab[g], np.uint64), 2, v[:, idx[g]])
                                      for g in range(len(tab))], axis=1)
                    out[:, :, y, xx] = v
            x = out
        else:
            kk, s, p = st["kernel"], st["stride"], st["padding"]
            xp = np.zeros((n, c, h + 2 * p, w + 2 * p), np.uint8)
            xp[:, :, p:p + h, p:p + w] = x
            oh, ow = (h + 2 * p - kk) // s + 1, (w + 2 * p - kk) // s + 1
            x = np.stack([np.stack([xp[:, :, y * s:y * s + kk, xx * s:xx * s + kk].max(axis=(2, 3))
                                    for xx in range(ow)], axis=2) for y in range(oh)], axis=2)
    v = x.reshape(x.shape[0], -1)
    for layer in head:
        idx, tab = layer["indices"], layer["ops"].astype(np.uint64)
        v = np.stack([ops.evaluate(np.full(len(v), tab[g], np.uint64), 2, v[:, idx[g]])
                      for g in range(len(tab))], axis=1)
    return v.reshape(len(v), classes, -1).sum(axis=2)


@pytest.mark.parametrize("text, kind", [
    ("conv(k=4,d=3,rf=3,pad=1)-pool(2)-conv(k=6,d=2,rf=2,stride=2,ch=2)-dense(40)-dense(20)", "fixed"),
    ("conv(k=3,d=1,rf=2,stride=2)-pool(k=3,stride=2,pad=1)-dense(30)", "learnable"),
    ("conv(k=5,d=4,rf=3,pad=2,ch=1)-conv(k=4,d=2,rf=3,stride=2)-pool(k=2,stride=1)-dense(10)", "learnable"),
])
def test_hard_forward_is_the_boolean_network(rng, text, kind):
    net = make_net(text, kind=kind, seed=4)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p))  # random ops and random argmax wiring
    bits = rng.integers(0, 2, size=(9, 3, 8, 8)).astype(np.uint8)
    sums = net.hard_group_sums(bits, batch=4)
    expect = reference_group_sums(bits, export.conv_stages(net), export._dense_layers(net.layers), 10)
    np.testing.assert_array_equal(sums, expect)
    assert net.training  # hard evaluation leaves the mode alone


def test_shift_moves_each_image_and_fills_zeros():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).reshape(2, 1, 5, 5) + 1
    gen = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(30):
        out = conv.shift(x, 2, gen)
        for i in range(2):
            # find the offset: the image must equal x shifted by some (dy, dx) in [-2, 2]^2
            hits = []
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    ref = torch.zeros(5, 5)
                    src = x[i, 0, max(0, -dy):5 - max(0, dy), max(0, -dx):5 - max(0, dx)]
                    ref[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
                    if torch.equal(out[i, 0], ref):
                        hits.append((dy, dx))
            assert len(hits) == 1
            seen.add(hits[0])
    assert len(seen) > 10
    assert torch.equal(conv.shift(x, 0, gen), x)


def test_image_thermometer_is_per_channel(rng):
    X = np.concatenate([rng.uniform(0, 1, (6, 1, 4, 4)), rng.uniform(10, 20, (6, 1, 4, 4))], axis=1)
    flat = X.reshape(6, -1)
    thr = conv.image_thresholds(flat, (2, 4, 4), 3)
    assert thr.shape == (2, 3) and thr[0].max() < 1 and thr[1].min() > 10
    bits = conv.encode_images(flat, (2, 4, 4), thr)
    assert bits.shape == (6, 6, 4, 4)
    for c in range(2):
        for t in range(3):
            np.testing.assert_array_equal(bits[:, c * 3 + t], X[:, c] > thr[c, t])


# ------------------------------------------------------------------------------- data and loop


def small_digits(n_train=500, n_eval=200):
    """sklearn digits as 1 x 8 x 8 images, fewer rows so the loop tests stay fast."""
    import dataclasses

    ds = data.load_dataset("digits", seed=0)
    cut = {name: data.Split(getattr(ds, name).X[:n], getattr(ds, name).y[:n])
           for name, n in (("train", n_train), ("val", n_eval), ("test", n_eval))}
    return dataclasses.replace(ds, **cut)


def test_image_npz_shapes(tmp_path, rng):
    y = np.arange(8) % 2
    for X, shape, expect in [(rng.uniform(size=(8, 5, 6)), None, (1, 5, 6)),
                             (rng.uniform(size=(8, 2, 3, 4)), None, (2, 3, 4)),
                             (rng.uniform(size=(8, 36)), None, (1, 6, 6)),
                             (rng.uniform(size=(8, 24)), (2, 3, 4), (2, 3, 4)),
                             (rng.uniform(size=(8, 24)), None, None)]:
        path = tmp_path / "d.npz"
        np.savez(path, X=X, y=y)
        Xf, _, got = data.read_npz(path, shape)
        assert got == expect and Xf.shape == (8, int(np.prod(X.shape[1:])))
        np.testing.assert_array_equal(Xf, X.reshape(8, -1))
    with pytest.raises(LgnError, match="--image-shape 1x5x5 has 25 values, but 'X' rows have 24"):
        data.read_npz(path, (1, 5, 5))
    assert data.parse_image_shape("28x28") == (1, 28, 28) and data.parse_image_shape("3x4x5") == (3, 4, 5)
    with pytest.raises(LgnError, match="--image-shape"):
        data.parse_image_shape("28x")


def test_ordered_split_keeps_file_order_and_tests_on_the_last_rows(tmp_path):
    X = np.arange(20 * 4, dtype=float).reshape(20, 4)
    y = np.arange(20) % 3
    np.savez(tmp_path / "d.npz", X=X, y=y)
    ds = data.load_dataset(str(tmp_path / "d.npz"), sizes=(10, 3, 5))
    np.testing.assert_array_equal(ds.train.X, X[:10])
    np.testing.assert_array_equal(ds.val.X, X[10:13])
    np.testing.assert_array_equal(ds.test.X, X[15:])
    assert ds.image_shape == (1, 2, 2)
    with pytest.raises(LgnError, match="asks for 21 samples, the data has 20"):
        data.load_dataset(str(tmp_path / "d.npz"), sizes=(10, 6, 5))


def test_conv_needs_images_and_augment_needs_images():
    with pytest.raises(LgnError, match="needs image data"):
        trainer.TrainConfig(dataset="breast-cancer", arch="conv(k=2)-dense(10)").resolved(2, None)
    assert data.load_dataset("breast-cancer").image_shape is None
    with pytest.raises(LgnError, match="--augment shifts images"):
        trainer.TrainConfig(dataset="breast-cancer", augment=1).resolved(2, None)
    # dense networks on images shift them too (issue 16)
    assert trainer.TrainConfig(dataset="digits", augment=1).resolved(10, (1, 8, 8)).augment == 1


def test_a_few_steps_reduce_the_loss_on_digits():
    ds = small_digits(800)
    cfg = trainer.TrainConfig(dataset="digits", arch="conv(k=8,d=2,rf=3,pad=1)-pool(2)-dense(200)", epochs=2,
                              batch_size=32, lr=0.05, tau=1.0, thresholds=2, interconnect="learnable",
                              augment=1, seed=0)
    torch.manual_seed(0)
    res = trainer.train(cfg, ds, progress=False)
    losses = [h["loss"] for h in res.history]
    assert len(losses) == 2 and losses[-1] < losses[0] - 0.3
    assert res.val_accuracy > 0.3 and res.test_accuracy > 0.3  # chance is 0.1
    assert isinstance(res.model, conv.ConvNet) and res.config.widths == (200,)
    assert res.gates == 8 * 3 + 200 and res.thresholds.shape == (1, 2)


@pytest.mark.usefixtures("one_torch_thread")  # a second torch thread spinning on a busy machine counts as CPU time
def test_time_limit_stops_training():
    ds = small_digits()
    cfg = trainer.TrainConfig(dataset="digits", arch="conv(k=4,d=2,rf=3)-dense(100)", epochs=1000,
                              batch_size=32, thresholds=2, interconnect="fixed", time_limit=0.5, clock="cpu")
    res = trainer.train(cfg, ds, progress=False)
    assert 1 <= len(res.history) < 1000
    # the limit is checked before every step: at most one step and one validation pass beyond it
    assert 0.5 <= res.history[-1]["cpu_seconds"] < 5


# ----------------------------------------------------------------------- export and simulators


def test_trained_model_equals_the_conv_simulator_and_the_unrolled_netlist(tmp_path):
    from lgn2hw import conv_sim, sim
    from lgn2hw.frontends import load_model

    ds = small_digits(300, 100)
    cfg = trainer.TrainConfig(dataset="digits", arch="conv(k=6,d=3,rf=3,pad=1,ch=2)-pool(k=3,stride=2,pad=1)"
                              "-conv(k=8,d=2,rf=2,stride=1)-dense(60)-dense(30)", epochs=1, batch_size=64,
                              lr=0.05, tau=2.0, thresholds=3, interconnect="learnable", residual=0.6, seed=1)
    res = trainer.train(cfg, ds, progress=False)
    path = tmp_path / "conv.pt"
    ck = export.to_checkpoint(res, ds, sample=20)
    assert ck["data"]["X"].dtype == torch.float32  # 0..16 pixels: float32 is exact and half the size
    export.save(ck, path)
    imp = load_model(path)
    model = imp.conv
    assert model is not None and model.in_shape == (1, 8, 8) and model.bits_per_channel == 3
    assert imp.data["X"].shape == (20, 1, 8, 8)
    np.testing.assert_array_equal(imp.data["X"].reshape(20, -1), ds.test.X[:20])
    assert imp.config["arch"] == res.config.arch
    assert imp.config["results"]["test_accuracy"] == res.test_accuracy
    X = ds.test.X  # flat (c, h, w) order, as ConvModel.encode reads it
    torch_sums = res.model.hard_group_sums(conv.encode_images(X, (1, 8, 8), res.thresholds))
    np.testing.assert_array_equal(conv_sim.simulate_conv(model, X).group_sums, torch_sums)
    np.testing.assert_array_equal(sim.simulate_bits(model.unroll(), model.encode(X)).group_sums, torch_sums)
    np.testing.assert_array_equal(imp.netlist.num_nodes, model.unroll().num_nodes)
    acc = np.mean(np.argmax(torch_sums, axis=1) == ds.test.y)
    assert acc == pytest.approx(res.test_accuracy)
    assert len(np.unique(torch_sums)) > 3  # a trained net, not a constant one


def test_cli_trains_a_conv_model(tmp_path, capsys):
    from lgn2hw.cli import main
    from lgn2hw.frontends import load_model

    out = tmp_path / "c.pt"
    code = main(["train", "--dataset", "digits", "--arch", "conv(k=4,d=2,rf=3)-pool(2)-dense(20)", "--epochs", "1",
                 "--thresholds", "2", "--augment", "1", "--quiet", "--out", str(out)])
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert code == 0, err
    assert "conv(k=4,d=2,rf=3,stride=1,pad=0)-pool(k=2,stride=2,pad=0)-dense(20) = 32 gates" in err
    assert "(452 unrolled)" in err and "hard test accuracy" in err
    imp = load_model(out)
    assert imp.conv is not None and imp.data["X"].shape == (64, 1, 8, 8)


@pytest.mark.parametrize("args, message", [
    (["--arch", "conv(k=4)-pool(2)-dense(20)-bogus(1)"], "--arch: bad token 'bogus(1)'"),
    (["--arch", "conv(k=4,rf=9)-dense(20)"], "stage 1 conv(k=4,d=3,rf=9,stride=1,pad=0): its 8x8 input"),
    (["--dataset", "breast-cancer", "--augment", "2"], "--augment shifts images"),
    (["--split", "6000,1000"], "--split: expected three positive counts"),
    (["--image-shape", "3x3"], "does not hold its 64 features"),
])
def test_cli_conv_errors_are_one_line(tmp_path, capsys, args, message):
    from lgn2hw.cli import main

    out = tmp_path / "c.pt"
    code = main(["train", "--dataset", "digits", *args, "--epochs", "1", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_shipped_mnist_conv_example_streams_and_its_simulators_agree():
    """examples/mnist_conv.pt (examples/make_mnist_conv.sh): a conv model whose every stage can
    stream, whose stored images give the same group sums through the conv simulator and the
    unrolled netlist, and whose recorded figures are those of its own recipe."""
    from pathlib import Path

    from lgn2hw import conv_sim, sim
    from lgn2hw.backend.stream import check_streamable
    from lgn2hw.backend.options import EmitOptions
    from lgn2hw.frontends import load_model

    path = Path(__file__).resolve().parents[1] / "examples" / "mnist_conv.pt"
    imp = load_model(path)
    model = imp.conv
    assert model is not None and model.in_shape == (1, 28, 28)
    check_streamable(model, EmitOptions())
    X, y = imp.data["X"], imp.data["y"]
    assert X.shape == (64, 1, 28, 28)
    got = conv_sim.simulate_conv(model, X.reshape(64, -1)).group_sums
    np.testing.assert_array_equal(sim.simulate_bits(model.unroll(), model.encode(X.reshape(64, -1))).group_sums, got)
    assert np.mean(np.argmax(got, axis=1) == y) > 0.8  # a trained MNIST model on its first 64 test digits
    cfg = imp.config
    assert cfg["arch"].startswith("conv(k=16,d=3,rf=5") and cfg["time_limit"] <= 3600 and cfg["clock"] == "cpu"
    assert 0.9 < cfg["results"]["test_accuracy"] <= 1


def test_dense_augment_moves_every_pixels_bits_together_and_trains_with_learnable_wiring():
    """Dense nets shift the flat bits (c*H*W + y*W + x)*T + t of images: a pixel's T thermometer
    bits move as one, by at most the shift. Regression: the shift's closure read the image width
    ``w`` after the training loop had rebound that name to a learnable interconnect."""
    c, h, w, t = 2, 6, 5, 3
    gen = torch.Generator().manual_seed(1)
    x = torch.zeros(40, c * h * w * t)
    pix = torch.randint(0, c * h * w, (40,), generator=gen)
    for i, p in enumerate(pix.tolist()):
        x[i, p * t:(p + 1) * t] = 1
    out = trainer.shift_flat(x, (c, h, w, t), 1, gen).reshape(40, c, h, w, t)
    moved = 0
    for i, p in enumerate(pix.tolist()):
        on = out[i].nonzero().tolist()
        assert len(on) in (0, t)  # all bits of the pixel, or the pixel left the image
        if on:
            assert len({tuple(v[:3]) for v in on}) == 1
            cc, yy, xx = on[0][:3]
            assert cc == p // (h * w) and abs(yy - p % (h * w) // w) <= 1 and abs(xx - p % w) <= 1
            moved += (yy, xx) != (p % (h * w) // w, p % w)
    assert moved > 0
    ds = small_digits(300, 100)
    cfg = trainer.TrainConfig(dataset="digits", widths=(200, 100), interconnect="learnable", epochs=2,
                              batch_size=32, thresholds=2, augment=1, seed=0)
    res = trainer.train(cfg, ds, progress=False)
    assert len(res.history) == 2 and res.val_accuracy > 0.2
