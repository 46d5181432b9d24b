# SPDX-License-Identifier: MIT
"""Register boundaries of the GroupSum popcount and the argmax tree, placed as one sequence.

The budget check reads the emitted design's structure (yosys's flattened cell graph), not the
formulas of the code under test: every register-to-register path may hold at most
``adder_stages`` adder levels, where an adder level is a ``$add`` cell (a carry chain) or a
named popcount cell (``p<c>_a<id>``: a carry-tree adder, ``p<c>_w<id>``: a Wallace/Dadda cell),
and a comparator level (``$gt``, or the ``$sub`` whose borrow the argmax reads: the
popcount adds only) counts two. The gate fabric's LUT levels are not counted
(the fused stage's gate levels follow their own rule). The same graph gives the registers on
every path from ``in_data``/``in_valid`` to the outputs, which must all equal the declared
latency; Icarus then measures that latency and checks results bit-exactly.
"""
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import require_tool
from lgn2hw.backend import EmitOptions, emit
from lgn2hw.backend.argmax import register_levels
from lgn2hw.backend.testbench import run_icarus
from lgn2hw.generate import random_layered
from lgn2hw.sim import simulate_bits

ADDER_NET = re.compile(r"(^|\.)(p\d+_)?[aw]\d+$")   # popcount cell outputs (text and Amaranth fabric)
COMPARATORS = {"$gt", "$lt", "$ge", "$le", "$sub"}  # the argmax compares by a subtraction's borrow


@pytest.fixture(scope="module")
def net():
    # 10 classes (4 argmax levels) of 12 bits; skips and constants vary the trees
    return random_layered(24, [60, 60, 120], 10, seed=3, skip_prob=0.2)


def flat_graph(core_dir, tmp_path) -> dict:
    """The core as yosys's flattened cell graph (read_verilog; proc; flatten; opt_clean)."""
    meta = json.loads((core_dir / "metadata.json").read_text())
    out = tmp_path / "flat.json"
    files = " ".join(str(core_dir / f) for f in meta["files"])
    run = subprocess.run(["yosys", "-q", "-p", f"read_verilog {files}; hierarchy -top {meta['top']}; proc; "
                          f"flatten; opt_clean; write_json {out}"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(out.read_text())["modules"][meta["top"]]


class Paths:
    """Longest weighted path per bit since the last register, and registers from the inputs."""

    def __init__(self, mod: dict, comparator_weight: int):
        self.mod = mod
        self.named = {b for name, n in mod["netnames"].items() if ADDER_NET.search(name) for b in n["bits"]}
        self.driver = {}   # bit -> (weight of the cell, input bits)
        self.dff = {}      # Q bit -> D bit
        for cell in mod["cells"].values():
            conn, dirs = cell["connections"], cell["port_directions"]
            if cell["type"] == "$dff":
                self.dff.update(zip(conn["Q"], conn["D"]))
                continue
            assert not cell["type"].startswith("$") or cell["type"] in KNOWN_CELLS, cell["type"]
            kind = cell["type"]
            w = 1 if kind == "$add" else comparator_weight if kind in COMPARATORS else 0
            ins = [p for p, d in dirs.items() if d == "input"]
            (out,) = [p for p, d in dirs.items() if d == "output"]
            for k, b in enumerate(conn[out]):
                if kind in BITWISE:    # output bit k reads bit k of each operand (and a mux's select)
                    deps = [conn[p][k] for p in ins if p != "S" and k < len(conn[p])] + conn.get("S", [])
                elif kind in ("$add", "$sub"):  # bit k reads operand bits 0..k
                    deps = [x for p in ins for x in conn[p][:k + 1]]
                else:
                    deps = [x for p in ins for x in conn[p]]
                self.driver[b] = (w, deps)
        self.level_memo, self.reg_memo = {}, {}
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))

    def levels(self, bit) -> int:
        """Adder levels on the longest path from a register (or input) to ``bit``."""
        if isinstance(bit, str) or bit in self.dff or bit not in self.driver:
            return 0
        if bit not in self.level_memo:
            w, ins = self.driver[bit]
            # a named popcount cell is one level, whichever cells build it ($add or LUT logic)
            self.level_memo[bit] = max((self.levels(b) for b in ins), default=0) + max(w, int(bit in self.named))
        return self.level_memo[bit]

    def registers(self, bit, sources: set):
        """(fewest, most) registers on the paths from ``sources`` to ``bit``; None: no path."""
        if isinstance(bit, str):
            return None
        if bit in sources:
            return (0, 0)
        if bit not in self.reg_memo:
            if bit in self.dff:
                r = self.registers(self.dff[bit], sources)
                r = None if r is None else (r[0] + 1, r[1] + 1)
            else:
                rs = [x for x in (self.registers(b, sources) for b in self.driver.get(bit, (0, []))[1]) if x]
                r = (min(x[0] for x in rs), max(x[1] for x in rs)) if rs else None
            self.reg_memo[bit] = r
        return self.reg_memo[bit]

    def port(self, name):
        return self.mod["ports"][name]["bits"]

    def worst_cycle(self) -> int:
        ends = list(self.dff.values()) + [b for p in self.mod["ports"].values() if p["direction"] == "output"
                                          for b in p["bits"]]
        return max(self.levels(b) for b in ends)


BITWISE = {"$and", "$or", "$xor", "$xnor", "$not", "$mux", "$pos"}
KNOWN_CELLS = {"$add", "$and", "$or", "$xor", "$xnor", "$not", "$mux", "$pmux", "$eq", "$ne",
               "$logic_not", "$logic_and", "$logic_or", "$reduce_or", "$reduce_and", "$reduce_bool",
               "$shiftx", "$shr", "$shl", "$pos", *COMPARATORS}


def check_structure(core_dir, tmp_path, adder_stages: int, latency: int) -> int:
    """Assert the budget and the register counts; returns the worst cycle's adder levels."""
    mod = flat_graph(core_dir, tmp_path)
    # with a budget of one level, a comparator level (which cannot be split) is that one level
    paths = Paths(mod, 1 if adder_stages == 1 else 2)
    worst = paths.worst_cycle()
    if adder_stages:
        assert worst <= adder_stages, f"a cycle holds {worst} adder levels, budget {adder_stages}"
    data = set(paths.port("in_data"))
    for port in ("out_class", "out_sums"):
        regs = {paths.registers(b, data) for b in paths.port(port)} - {None}
        assert regs == {(latency, latency)}, f"{port}: registers from in_data {regs}, latency {latency}"
    valid = paths.registers(paths.port("out_valid")[0], set(paths.port("in_valid")))
    assert valid == (latency, latency)
    return worst


def test_register_levels_by_hand():
    # 10 classes: 4 comparator levels of 2 adder levels each
    assert register_levels(10, 0) == ()
    assert register_levels(10, 1) == (2, 3, 4)        # one comparator per cycle, last into the output register
    assert register_levels(10, 2) == (2, 3, 4)
    assert register_levels(10, 2, used=1) == (1, 2, 3, 4)  # 1 + 2 > 2: the sums are registered first
    assert register_levels(10, 3, used=1) == (2, 3, 4)     # 1 + 2 = 3 fits
    assert register_levels(10, 3, used=2) == (1, 2, 3, 4)
    assert register_levels(10, 4) == (3,)
    assert register_levels(10, 4, used=2) == (2, 4)
    assert register_levels(10, 5, used=1) == (3,)
    assert register_levels(10, 8) == ()
    assert register_levels(1, 3, used=2) == ()          # one class: no comparator


STRUCTURE_CASES = [dict(pipeline_every=e, adder_stages=m) for e in (0, 1, 3) for m in (1, 2, 3, 4)] + [
    dict(pipeline_every=1, adder_stages=m, popcount=s) for s in ("wallace", "dadda") for m in (1, 2, 3)] + [
    dict(pipeline_every=2, adder_stages=3, fuse_popcount=False),
    dict(pipeline_every=1, adder_stages=3, fabric="amaranth"),
    dict(pipeline_every=2, adder_stages=2, fabric="amaranth", popcount="wallace"),
]


@pytest.mark.parametrize("opts", STRUCTURE_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_no_cycle_over_budget(net, opts, tmp_path):
    require_tool("yosys")
    res = emit(net, tmp_path / "core", EmitOptions(**opts))
    check_structure(tmp_path / "core", tmp_path, opts["adder_stages"], res.latency)


def test_budget_check_catches_the_old_placement(net, tmp_path, monkeypatch):
    """The old placement (argmax registered after every ceil(m/2) comparator levels, counted
    from its own start) put two comparator levels in a cycle of budget 3: the check fails."""
    require_tool("yosys")
    from lgn2hw.backend import plan
    from lgn2hw.backend.argmax import tree_levels

    def old(num_classes, budget, used=0):
        every = -(-budget // 2)
        return tuple(lv + 1 for lv in range(1, tree_levels(num_classes)) if lv % every == 0)

    monkeypatch.setattr(plan, "register_levels", old)
    res = emit(net, tmp_path / "core", EmitOptions(pipeline_every=1, adder_stages=3))
    with pytest.raises(AssertionError, match="a cycle holds [4-9] adder levels, budget 3"):
        check_structure(tmp_path / "core", tmp_path, 3, res.latency)


@pytest.mark.parametrize("adder_stages", range(5))
@pytest.mark.parametrize("pipeline_every", range(4))
def test_latency_matches_icarus(net, pipeline_every, adder_stages, tmp_path, rng):
    require_tool("iverilog")
    bits = rng.integers(0, 2, (120, net.num_inputs), dtype=np.uint8)
    res = emit(net, tmp_path / "rtl", EmitOptions(pipeline_every=pipeline_every, adder_stages=adder_stages))
    meta = json.loads((tmp_path / "rtl" / "metadata.json").read_text())
    assert meta["latency"] == res.latency
    if adder_stages == 0:  # popcount and argmax combinational
        assert meta["pipeline"]["popcount_latency"] == meta["pipeline"]["argmax_latency"] == 0
        if pipeline_every == 0:  # registered only at the ports
            assert res.latency == 2
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", bits, simulate_bits(net, bits))
    assert tb.received == 120 and tb.errors == 0, tb.log        # bit-exact: every class and sum lane
    assert tb.latency_errors == 0, tb.log                       # every vector after metadata's latency
