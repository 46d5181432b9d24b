# SPDX-License-Identifier: MIT
"""The serial GroupSum's plan (lanes, weights, constant ones) and its Verilog's arithmetic, in
Icarus against the plain popcount of random bits."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_tool
from lgn2hw.backend import serialsum
from lgn2hw.backend.serialsum import SerialPlan, addends


def test_plan_merges_copies_into_weighted_lanes():
    names = ["a", "b", "a", "1'b1", "c", "a", "1'b0", "b"]   # a x3, b x2, c x1, one constant 1
    plan = SerialPlan.of(names, cycles=2)
    # weight 1: a (3 = 0b11), c; weight 2: a, b -- each cut into lanes of at most two bits
    assert plan.lanes == ((0, ("a", "c")), (1, ("a", "b")))
    assert plan.ones == 1 and plan.bits == 4
    assert SerialPlan.of(names, cycles=1).lanes == ((0, ("a",)), (0, ("c",)), (1, ("a",)), (1, ("b",)))


@given(st.lists(st.integers(0, 4), min_size=0, max_size=40), st.integers(1, 9))
def test_lanes_add_up_to_the_count(picks, cycles):
    names = [("1'b0", "1'b1", "x", "y", "z")[p] for p in picks]
    plan = SerialPlan.of(names, cycles)
    value = {"x": 1, "y": 1, "z": 1}
    total = plan.ones + sum(value[n] << shift for shift, lane in plan.lanes for n in lane)
    assert total == sum(n not in ("1'b0",) for n in names)
    assert all(0 < len(lane) <= cycles for _, lane in plan.lanes)


def test_addends_pack_lanes_of_different_weights_into_one():
    assert addends([(0, "a"), (1, "b"), (3, "c"), (0, "d")], 9) == ["{5'd0, c, 1'b0, b, a}", "{8'd0, d}"]
    assert addends([(0, "a")], 1) == ["{a}"]


@settings(max_examples=1, deadline=None)
@given(st.data())
def test_serial_lines_count_exactly_in_icarus(tmp_path_factory, data):
    """Three classes of 23 bits (copies, complements as literals, constants), lanes of 5 bits: the
    module is simulated with random inputs that change in every cycle after ``start``'s; every sum
    equals the popcount of the inputs in ``start``'s cycle from ``latency`` cycles after it until
    the next ``start``."""
    require_tool("iverilog")
    import subprocess
    tmp = tmp_path_factory.mktemp("serial")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    groups = [[rng.choice(["1'b0", "1'b1", *(f"x[{i}]" for i in range(12))]) for _ in range(23)] for _ in range(3)]
    cycles = 5
    plans = [SerialPlan.of(g, cycles) for g in groups]
    body = "\n".join(serialsum.serial_lines(plans, 23, cycles))
    vectors = rng.integers(0, 2, size=(6, 12))
    lat = serialsum.latency(cycles)
    stim = []
    for v in vectors:
        bits = "".join(str(int(b)) for b in v[::-1])
        stim += [f"x = 12'b{bits}; start = 1; @(posedge clk); #1 start = 0;",
                 *[f"x = $random; @(posedge clk); #1;" for _ in range(lat - 1)],
                 f"$display(\"%0d %0d %0d\", p0_sum, p1_sum, p2_sum); @(posedge clk); #1;"]
    tb = f"""module tb; reg clk = 0; reg start = 0; reg [11:0] x = 0; always #5 clk = ~clk;
{body}
initial begin #1; {' '.join(stim)} $finish; end
endmodule
"""
    (tmp / "tb.v").write_text(tb)
    subprocess.run(["iverilog", "-g2012", "-o", str(tmp / "tb"), str(tmp / "tb.v")], check=True)
    out = subprocess.run(["vvp", "-n", str(tmp / "tb")], capture_output=True, text=True, check=True).stdout.split()
    got = np.array([int(t) for t in out]).reshape(len(vectors), 3)
    want = [[sum(1 if n == "1'b1" else (int(v[int(n[2:-1])]) if n.startswith("x") else 0) for n in g) for g in groups]
            for v in vectors]
    assert got.tolist() == want
