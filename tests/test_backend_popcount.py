# SPDX-License-Identifier: MIT
import subprocess

import numpy as np
import pytest

from conftest import require_tool
from lgn2hw.backend.popcount import ONE, TREES, popcount_verilog, sum_width, weighted_carry_tree


def eval_tree(tree, bits: np.ndarray) -> np.ndarray:
    """Evaluate the compressor tree's cells on bits [N, G] in numpy."""
    val = {i: bits[:, i].astype(np.int64) for i in range(tree.group_size)}
    for cells in tree.rounds:
        for ins, s, c, _ in cells:
            total = sum(val[i] for i in ins)
            val[s] = total & 1
            if c >= 0:
                val[c] = total >> 1
    return sum(sum(val[b] for b in col) << i for i, col in enumerate(tree.columns)) % (1 << tree.sum_width)


@pytest.mark.parametrize("style", TREES)
@pytest.mark.parametrize("g", [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 31, 50, 64, 150, 255, 300])
def test_tree_counts(g, style, rng):
    tree = TREES[style](g)
    assert tree.sum_width == int(g).bit_length()
    bits = rng.integers(0, 2, (400, g), dtype=np.uint8)
    bits[0] = 1  # the largest count
    bits[1] = 0
    assert np.array_equal(eval_tree(tree, bits), bits.sum(axis=1))
    assert all(len(c) <= 2 for c in tree.columns)


@pytest.mark.parametrize("style", TREES)
def test_tree_is_linear_in_size_and_logarithmic_in_depth(style):
    # about one full adder per input bit, and rounds ~ log1.5(g) (a chain of adders would be linear)
    for g in (64, 150, 1000):
        tree = TREES[style](g)
        assert sum(len(r) for r in tree.rounds) <= 1.1 * g
        assert len(tree.rounds) <= np.log(g) / np.log(1.5) + 2


@pytest.mark.parametrize("g,ones", [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (7, 0), (8, 0), (15, 0), (16, 0),
                                    (50, 0), (127, 0), (150, 0), (300, 0), (0, 3), (1, 1), (2, 5), (140, 10),
                                    (20, 30)])
def test_carry_tree_counts(g, ones, rng):
    adders, extra, _, _ = weighted_carry_tree([g], ones)
    bits = rng.integers(0, 2, (300, g), dtype=np.uint8)
    if g:
        bits[0] = 1
    val = {i: bits[:, i].astype(np.int64) for i in range(g)}
    cins = 0
    for ad in adders:
        cin = 1 if ad.cin == ONE else (val[ad.cin] if ad.cin >= 0 else 0)
        cins += ad.cin == ONE
        total = val[ad.a] + val[ad.b] + cin
        assert total.max() < 1 << ad.width  # the declared width holds the partial count
        val[ad.out] = total
    root = val[adders[-1].out] if adders else (val[0] if g else np.zeros(len(bits), dtype=np.int64))
    assert cins + extra == ones
    assert np.array_equal(root + extra, bits.sum(axis=1) + ones)
    # every variable input is read once; a balanced tree: depth ~ log2(g)
    reads = [v for ad in adders for v in (ad.a, ad.b, ad.cin) if v >= 0 and v < g]
    assert sorted(reads) == (list(range(g)) if g > 1 else [])
    assert (adders[-1].level if adders else 0) <= int(np.ceil(np.log2(max(g + ones, 2)))) + 1


@pytest.mark.sim
@pytest.mark.parametrize("g,every,style", [(1, 0, "wallace"), (3, 1, "wallace"), (13, 2, "dadda"),
                                           (50, 0, "wallace"), (150, 3, "wallace"), (150, 1, "dadda"),
                                           (20, 0, "behavioural"), (150, 0, "carry"), (150, 2, "carry"), (9, 1, "carry"),
                                           (1, 0, "carry"), (2, 1, "carry")])
def test_popcount_module_in_icarus(g, every, style, tmp_path, rng):
    check_popcount_module(g, every, style, 0, tmp_path, rng)


@pytest.mark.sim
@pytest.mark.parametrize("g,every,style,first", [(150, 2, "carry", 1), (150, 3, "wallace", 1), (40, 3, "carry", 2)])
def test_popcount_first_register(g, every, style, first, tmp_path, rng):
    check_popcount_module(g, every, style, first, tmp_path, rng)


def emit_grouped_cores(tmp_path_factory, style: str, options: dict, output_inv: bool = False) -> dict:
    """A small net whose class groups hold copies (weights), constants and a bit read by two
    classes (with ``output_inv``, every fifth output inverted), emitted with the GroupSum
    ``style`` once per entry of ``options`` (name -> EmitOptions fields): name -> (Emitted, folder)."""
    from lgn2hw.backend import emit
    from lgn2hw.backend.options import EmitOptions
    from lgn2hw.generate import random_layered
    nl = random_layered(24, [60, 60, 48], 3, seed=5, skip_prob=0.1)
    out = nl.outputs.copy()
    out[1:6] = out[0]           # copies (weights) in class 0
    out[20] = 0                 # constants in class 1
    out[21] = 1
    out[40:44] = out[17]        # a bit of class 0 read by class 2 too
    nl = nl.replace(outputs=out, output_inv=np.arange(out.size) % 5 == 2 if output_inv else None)
    made = {}
    for name, opts in options.items():
        d = tmp_path_factory.mktemp(f"{style}-{name}")
        made[name] = (emit(nl, d, EmitOptions(popcount=style, **opts)), d)
    return made


def check_popcount_module(g, every, style, first, tmp_path, rng, **kwargs):
    require_tool("iverilog")
    text, latency = popcount_verilog(g, "pc", every, style, first, **kwargs)
    assert (latency > 0) == (every > 0 and style != "behavioural")
    n = 200
    bits = rng.integers(0, 2, (n, g), dtype=np.uint8)
    bits[:20] = rng.random((20, g)) < 0.9  # high counts
    sw = sum_width(g)
    (tmp_path / "pc.v").write_text(text)
    (tmp_path / "x.hex").write_text("\n".join("".join(str(b) for b in row[::-1]) for row in bits) + "\n")
    clk = ".clk(clk), " if latency else ""
    (tmp_path / "tb.v").write_text(f"""`timescale 1ns/1ps
module tb;
  reg clk = 0; reg [{g - 1}:0] x; wire [{sw - 1}:0] s;
  reg [{g - 1}:0] mem [0:{n - 1}];
  integer i;
  pc dut({clk}.x(x), .s(s));
  always #5 clk = ~clk;
  initial begin
    $readmemb("x.hex", mem);
    for (i = 0; i < {n + latency}; i = i + 1) begin
      if (i < {n}) x = mem[i];
      #1; if (i >= {latency}) $display("%0d", s);
      @(posedge clk); #1;
    end
    $finish;
  end
endmodule
""")
    subprocess.run(["iverilog", "-o", "sim", "tb.v", "pc.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    got = np.array([int(v) for v in out.split() if v.isdigit()])
    assert np.array_equal(got, bits.sum(axis=1))
