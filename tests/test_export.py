# SPDX-License-Identifier: MIT
"""BLIF / AIGER export, checked by independent evaluators here and by ABC's cec when present."""
import subprocess

import numpy as np
import pytest

from conftest import require_tool
from lgn2hw.errors import LgnError
from lgn2hw.export import export, to_aiger, to_blif
from lgn2hw.generate import plant_redundancy, random_layered
from lgn2hw.sim import simulate_bits


def _eval_aag(text: str, bits: np.ndarray) -> np.ndarray:
    lines = text.splitlines()
    _, m, i, latches, o, a = lines[0].split()
    m, i, o, a = int(m), int(i), int(o), int(a)
    val = np.zeros((bits.shape[0], m + 1), np.uint8)
    val[:, 1:i + 1] = bits

    def lit(x):
        x = int(x)
        return val[:, x >> 1] ^ (x & 1)
    outs = lines[1 + i:1 + i + o]
    for line in lines[1 + i + o:1 + i + o + a]:
        lhs, r0, r1 = line.split()
        val[:, int(lhs) >> 1] = lit(r0) & lit(r1)
    return np.stack([lit(x) for x in outs], axis=1)


def _eval_blif(text: str, bits: np.ndarray) -> np.ndarray:
    sig = {f"x{j}": bits[:, j] for j in range(bits.shape[1])}
    outputs, cur, rows = [], None, []

    def close():
        if cur is None:
            return
        ins, out = cur[:-1], cur[-1]
        v = np.zeros(bits.shape[0], np.uint8)
        for r in rows:
            cube, _ = (r.split() + [""])[:2] if ins else ("", r)
            m = np.ones(bits.shape[0], bool)
            for name, ch in zip(ins, cube):
                m &= sig[name] == int(ch)
            v |= m.astype(np.uint8)
        sig[out] = v
    for line in text.splitlines():
        if line.startswith(".outputs"):
            outputs = line.split()[1:]
        elif line.startswith(".names"):
            close()
            cur, rows = line.split()[1:], []
        elif line.startswith(".end"):
            close()
        elif cur is not None and line and not line.startswith("."):
            rows.append(line)
    return np.stack([sig[o] for o in outputs], axis=1)


@pytest.fixture(params=[2, 3, "inverted"])
def net(request):
    if request.param == 2:
        return plant_redundancy(random_layered(10, [40, 40, 20], 4, seed=1, skip_prob=0.2), 0.2, seed=2)
    if request.param == "inverted":  # output polarity: inverted outputs, on gates, inputs and constants
        nl = random_layered(10, [40, 20], 4, seed=4)
        rng = np.random.default_rng(4)
        outs = np.where(rng.random(nl.num_outputs) < 0.2, rng.integers(0, 12, nl.num_outputs), nl.outputs)
        return nl.replace(outputs=outs.astype(np.int32), output_inv=rng.random(nl.num_outputs) < 0.4)
    return random_layered(8, [30, 20], 2, arity=3, op_mix="uniform", seed=3)


def test_aag_and_blif_compute_the_netlist(net):
    bits = np.random.default_rng(0).integers(0, 2, (500, net.num_inputs), dtype=np.uint8)
    ref = simulate_bits(net, bits).output_bits
    assert np.array_equal(_eval_aag(to_aiger(net, binary=False).decode(), bits), ref)
    assert np.array_equal(_eval_blif(to_blif(net), bits), ref)


def test_binary_aiger_decodes_to_the_ascii_gates(net):
    aag = to_aiger(net, binary=False).decode().splitlines()
    aig = to_aiger(net, binary=True)
    head, _, rest = aig.partition(b"\n")
    _, m, i, _, o, a = head.split()
    o, a = int(o), int(a)
    for _ in range(o):
        _, _, rest = rest.partition(b"\n")
    pos, gates = 0, []
    for g in range(a):
        lhs = 2 * (int(i) + g + 1)
        deltas = []
        for _ in range(2):
            x, shift = 0, 0
            while True:
                byte = rest[pos]
                pos += 1
                x |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            deltas.append(x)
        r0 = lhs - deltas[0]
        gates.append(f"{lhs} {r0} {r0 - deltas[1]}")
    first = 1 + int(i) + o
    assert gates == aag[first:first + a]


def test_export_picks_format_by_suffix(tmp_path, net):
    for suffix in (".blif", ".aag", ".aig"):
        export(net, tmp_path / f"n{suffix}")
        assert (tmp_path / f"n{suffix}").stat().st_size > 0
    with pytest.raises(LgnError, match="unknown export format"):
        export(net, tmp_path / "n.v")


def test_abc_cec_agrees(tmp_path, net):
    abc = require_tool("yosys-abc")
    export(net, tmp_path / "n.blif")
    export(net, tmp_path / "n.aig")
    out = subprocess.run([abc, "-c", f"cec {tmp_path / 'n.blif'} {tmp_path / 'n.aig'}"], capture_output=True,
                         text=True, timeout=60).stdout
    assert "Networks are equivalent" in out
