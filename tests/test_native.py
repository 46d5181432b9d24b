# SPDX-License-Identifier: MIT
"""The native checkpoint loader on good input and on each kind of bad input."""
import os
import pickle

import numpy as np
import pytest
import torch

from lgn2hw.errors import CheckpointError
from lgn2hw.frontends import load_model
from lgn2hw.frontends.native import make_checkpoint
from lgn2hw.sim import simulate, simulate_bits


def two_layer(rng, *, learnable=False, lut=False):
    """A 12-bit-input net: layer 0 (8 gates) from the inputs, layer 1 (6 gates), 3 classes."""
    layers = []
    if learnable:
        cand = rng.integers(0, 12, (8, 2, 4))
        w = rng.normal(size=(8, 2, 4))
        layers.append({"arity": 2, "candidates": cand, "candidate_weights": w, "logits": rng.normal(size=(8, 16))})
    else:
        layers.append({"arity": 2, "indices": rng.integers(0, 12, (8, 2)), "logits": rng.normal(size=(8, 16))})
    if lut:
        layers.append({"arity": 3, "indices": rng.integers(0, 8, (6, 3)), "logits": rng.normal(size=(6, 8))})
    else:
        layers.append({"arity": 2, "indices": rng.integers(0, 8, (6, 2)), "ops": rng.integers(0, 16, 6)})
    thr = np.sort(rng.normal(size=(4, 3)), axis=1)
    return make_checkpoint(12, layers, 3, tau=2.0, thresholds=thr, config={"note": "test"})


def manual_forward(ck, bits):
    """Evaluate a native checkpoint directly from its tensors (independent of the IR)."""
    x = bits.astype(np.int64)
    for layer in ck["layers"]:
        k = layer["arity"]
        if "indices" in layer:
            idx = layer["indices"].numpy()
        else:
            best = layer["candidate_weights"].numpy().argmax(axis=2)
            idx = np.take_along_axis(layer["candidates"].numpy(), best[:, :, None], axis=2)[:, :, 0]
        if "ops" in layer:
            tables = layer["ops"].numpy()
        elif k == 2:
            tables = layer["logits"].numpy().argmax(axis=1)
        else:
            entries = (layer["logits"].numpy() > 0).astype(np.int64)  # [G, 2^k] by address
            tables = None
        addr = np.zeros((x.shape[0], idx.shape[0]), np.int64)
        for j in range(k):
            addr = addr * 2 + x[:, idx[:, j]]
        if tables is not None:
            x = (tables[None, :] >> ((1 << k) - 1 - addr)) & 1
        else:
            x = np.take_along_axis(entries.T, addr, axis=0) if False else entries[np.arange(idx.shape[0])[None, :], addr]
    return x


@pytest.mark.parametrize("variant", [{}, {"learnable": True}, {"lut": True}])
def test_native_roundtrip_bit_exact(tmp_path, rng, variant):
    ck = two_layer(rng, **variant)
    path = tmp_path / "m.pt"
    torch.save(ck, path)
    imp = load_model(path)
    nl = imp.netlist
    assert imp.format == "native" and nl.num_classes == 3 and nl.tau == 2.0 and imp.config == {"note": "test"}
    assert nl.provenance["format"] == "native" and len(nl.provenance["sha256"]) == 64
    bits = rng.integers(0, 2, (300, 12)).astype(np.uint8)
    expected = manual_forward(ck, bits)
    res = simulate_bits(nl, bits)
    assert (res.output_bits == expected).all()
    assert (res.group_sums == expected.reshape(300, 3, 2).sum(axis=2)).all()
    x = rng.normal(size=(50, 4))
    enc_bits = (x[:, :, None] > ck["encoder"]["thresholds"].numpy()[None].astype(np.float64)).reshape(50, 12)
    assert (simulate(nl, x).output_bits == manual_forward(ck, enc_bits.astype(np.uint8))).all()


def save(tmp_path, obj, name="bad.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def mutate(rng, fn):
    ck = two_layer(rng)
    fn(ck)
    return ck


BAD = {
    "missing layers": (lambda ck: ck.pop("layers"), "missing key 'layers'"),
    "bad version": (lambda ck: ck.update(version=99), "version 99"),
    "index out of range": (lambda ck: ck["layers"][1].update(indices=torch.full((6, 2), 8)),
                           r"layers\[1\]: gate 0 reads index 8, expected 0..7"),
    "negative index": (lambda ck: ck["layers"][0]["indices"].__setitem__((3, 1), -1), r"layers\[0\]: gate 3 reads index -1"),
    "wrong wiring shape": (lambda ck: ck["layers"][1].update(indices=torch.zeros(6, 3, dtype=torch.long)),
                           r"layers\[1\]: wiring shape \[6, 3\], expected \[6, 2\]"),
    "nan logits": (lambda ck: ck["layers"][0]["logits"].__setitem__((0, 0), float("nan")), r"layers\[0\].logits: contains NaN"),
    "logit shape": (lambda ck: ck["layers"][0].update(logits=torch.zeros(8, 15)), r"expected \[G, 16\] op logits"),
    "classes do not divide": (lambda ck: ck.update(classes=4), "classes=4 does not divide the last layer's 6 outputs"),
    "encoder mismatch": (lambda ck: ck["encoder"].update(thresholds=torch.zeros(5, 3)), r"make 15 bits, num_inputs is 12"),
    "op out of range": (lambda ck: ck["layers"][1].update(ops=torch.full((6,), 16)), r"truth tables must be in 0..15"),
    "no function": (lambda ck: ck["layers"][1].pop("ops"), r"layers\[1\]: needs 'ops' or 'logits'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_checkpoints_give_one_clear_line(tmp_path, rng, case):
    fn, message = BAD[case]
    path = save(tmp_path, mutate(rng, fn))
    with pytest.raises(CheckpointError, match=message) as info:
        load_model(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_missing_truncated_and_foreign_files(tmp_path, rng):
    with pytest.raises(CheckpointError, match="no such file"):
        load_model(tmp_path / "nope.pt")
    good = save(tmp_path, two_layer(rng), "good.pt")
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="trunc.pt: not a readable torch checkpoint"):
        load_model(trunc)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.txt"):
        load_model(text)
    other = save(tmp_path, {"weights": torch.zeros(3)}, "other.pt")
    with pytest.raises(CheckpointError, match=r"not a known LGN checkpoint .*keys \['weights'\]"):
        load_model(other)


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {EVIL_MARKER}",))


EVIL_MARKER = "/tmp/lgn2hw-evil-marker-native"


def test_pickle_needing_code_execution_is_refused(tmp_path):
    if os.path.exists(EVIL_MARKER):
        os.remove(EVIL_MARKER)
    path = tmp_path / "evil.pt"
    torch.save({"format": "lgn2hw", "payload": Evil()}, path, pickle_protocol=2)
    with pytest.raises(CheckpointError, match="evil.pt"):
        load_model(path)
    assert not os.path.exists(EVIL_MARKER), "the pickle's code ran"
    with open(tmp_path / "raw.pkl", "wb") as fh:
        pickle.dump(Evil(), fh)
    with pytest.raises(CheckpointError, match="raw.pkl"):
        load_model(tmp_path / "raw.pkl")
    assert not os.path.exists(EVIL_MARKER)


@pytest.mark.parametrize("arity", [2, 3])
def test_netlist_layers_keep_inverted_outputs(tmp_path, rng, arity):
    """A netlist with output polarity as native layers: the last layer NOTs the inverted outputs."""
    from lgn2hw.frontends.native import netlist_layers
    from lgn2hw.generate import random_layered
    nl = random_layered(10, [20, 12], 3, arity=arity, seed=2, op_mix="uniform", skip_prob=0.3)
    outs = nl.outputs.copy()
    outs[:3] = [0, 1, 4]  # constants and an input, inverted below
    inv = rng.random(nl.num_outputs) < 0.5
    inv[:3] = True
    nl = nl.replace(outputs=outs, output_inv=inv)
    torch.save(make_checkpoint(10, netlist_layers(nl), 3), tmp_path / "m.pt")
    back = load_model(tmp_path / "m.pt").netlist
    bits = rng.integers(0, 2, (200, 10)).astype(np.uint8)
    assert np.array_equal(simulate_bits(back, bits).output_bits, simulate_bits(nl, bits).output_bits)
