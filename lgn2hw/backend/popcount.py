# SPDX-License-Identifier: MIT
"""GroupSum hardware: the popcount of one class group as a compressor tree.

Full adders (3 bits of a column -> sum bit, carry into the next column) reduce the columns
until at most two rows are left; a final two-operand adder (``+``, which synthesis maps onto
the carry chain) adds them. Two reduction orders:

- ``wallace``: every round puts a full adder on every three bits of every column,
  so the bit count falls by a third per round; when pipelined, few bits are registered.
- ``dadda``: full and half adders only where needed to meet Dadda's height sequence
  2, 3, 4, 6, 9, 13, ...; the fewest cells, but the early rounds carry nearly all bits.

``carry`` (default): a tree of ``a + b + cin`` adders of multi-bit partial counts, each taking one
input bit as its carry-in (a leaf adds three bits). Synthesis maps every adder onto the
carry chain (iCE40 SB_CARRY, ECP5 CCU2), where one LUT per result bit removes about one
bit, against half a bit per LUT for a full adder built from LUTs.
 The sum is exact modulo 2**sum_width and the count is < 2**sum_width, so carries out
of the top column are dropped. One module serves every class (all groups have one size).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops
from ..ir import Netlist
from ..resources import templates
from .gpc import GpcTree, gpc_lines, register_bits
from .lut6c import Lut6cTree, lut6c_lines, sim_models
from .metadata import sum_width
from .options import POPCOUNT_STYLES as STYLES


@dataclass(frozen=True)
class Tree:
    """Cells per reduction round: (input bit ids, sum id, carry id or -1, column)."""

    group_size: int
    sum_width: int
    rounds: tuple
    columns: tuple      # two rows left after reduction: column i -> up to 2 bit ids
    num_bits: int       # bit ids 0..group_size-1 are the inputs


def wallace_tree(group_size: int) -> Tree:
    sw = sum_width(group_size)
    cols: list[list[int]] = [list(range(group_size))] + [[] for _ in range(sw - 1)]
    next_id = group_size
    rounds = []
    while max(len(c) for c in cols) > 2:
        new: list[list[int]] = [[] for _ in cols]
        cells = []
        for i, col in enumerate(cols):
            full = len(col) // 3 * 3
            for j in range(0, full, 3):
                s, c = next_id, next_id + 1
                next_id += 2
                new[i].append(s)
                if i + 1 < sw:  # the top column's carry is always 0 (the count fits sw bits)
                    new[i + 1].append(c)
                cells.append((tuple(col[j:j + 3]), s, c if i + 1 < sw else -1, i))
            new[i].extend(col[full:])
        cols = new
        rounds.append(tuple(cells))
    return Tree(group_size, sw, tuple(rounds), tuple(tuple(c) for c in cols), next_id)


def dadda_tree(group_size: int) -> Tree:
    sw = sum_width(group_size)
    cols: list[list[int]] = [list(range(group_size))] + [[] for _ in range(sw - 1)]
    heights = [2]
    while heights[-1] < group_size:
        heights.append(heights[-1] * 3 // 2)
    targets = [d for d in reversed(heights) if d < max(len(c) for c in cols)]
    next_id = group_size
    rounds = []
    for target in targets:
        new: list[list[int]] = [[] for _ in cols]
        cells = []
        for i, old in enumerate(cols):
            old = list(old)
            while len(old) + len(new[i]) > target and len(old) >= 2:
                take = 3 if len(old) + len(new[i]) - target >= 2 and len(old) >= 3 else 2
                ins, old = tuple(old[:take]), old[take:]
                s, c = next_id, next_id + 1
                next_id += 2
                new[i].append(s)
                if i + 1 < sw:  # the top column's carry is always 0 (the count fits sw bits)
                    new[i + 1].append(c)
                cells.append((ins, s, c if i + 1 < sw else -1, i))
            new[i] = old + new[i]
        cols = new
        rounds.append(tuple(cells))
    assert max(len(c) for c in cols) <= 2
    return Tree(group_size, sw, tuple(rounds), tuple(tuple(c) for c in cols), next_id)


def popcount_lines(inputs: list[str], prefix: str, out: str, every: int = 0,
                   style: str = "wallace", first: int = 0, depth: int = 0,
                   shape: "CarryPlan | Tree | GpcTree | Lut6cTree | None" = None,
                   carry: str = "CARRY8") -> tuple[list[str], int]:
    """Verilog lines summing the 1-bit signals ``inputs`` into ``out`` (declared here, a
    ``sum_width``-bit wire or reg); returns (lines, registers on the path).

    Every bit is its own wire or reg (``{prefix}w<id>``, ``{prefix}r<level>_<id>``): no
    vectors, which Icarus would re-evaluate whole on every bit change. ``every`` > 0
    registers the bits after every ``every`` levels, the final adder counting as one level;
    ``first`` > 0 puts the first register after ``first`` levels instead (then every ``every``).
    ``depth`` (``carry``, ``gpc``): pipeline as if the tree had at least this many levels, so that
    groups whose constant bits shrank their tree keep the latency of the others.
    ``shape``: the group's ``CarryPlan`` (``carry``), ``GpcTree`` (``gpc``, see gpc.py) or ``Tree``
    (``wallace``, ``dadda``) as the core plan made it (default: made here, for a stand-alone popcount).
    """
    shift = (every - first) % every if every and first else 0
    group_size = len(inputs)
    sw = sum_width(group_size)
    if style == "behavioural":
        pad = f"{sw - 1}'d0, " if sw > 1 else ""  # operands at the sum's width (lint-clean)
        return [f"wire [{sw - 1}:0] {out} = " + " + ".join(f"{{{pad}{x}}}" for x in inputs) + ";"], 0
    if style == "carry":
        return _carry_lines(shape or CarryPlan.of(inputs), sw, prefix, out, every, shift, depth)
    if style == "gpc":
        return gpc_lines(shape or GpcTree.of(inputs), prefix, out, every, shift, depth)
    if style == "lut6c":  # ``carry``: the AMD carry primitive the chains instantiate
        return lut6c_lines(shape or Lut6cTree.of(inputs), prefix, out, every, shift, depth, carry)
    if style not in TREES:
        raise ValueError(f"popcount style {style!r}: expected one of {', '.join(STYLES)}")
    tree = shape or TREES[style](group_size)
    names = dict(enumerate(inputs))
    lines: list[str] = []
    regs = 0
    level = 0

    def register(ids):
        nonlocal regs
        register_bits(lines, names, ids, f"{prefix}r{regs}_")
        regs += 1

    for cells in tree.rounds:
        for ins, s, c, col in cells:
            a = [names[i] for i in ins]
            ws, wc = f"{prefix}w{s}", f"{prefix}w{c}"
            names[s] = ws
            if len(a) == 3:
                lines.append(f"wire {ws} = {a[0]} ^ {a[1]} ^ {a[2]};")
                if c >= 0:
                    lines.append(f"wire {wc} = ({a[0]} & {a[1]}) | ({a[0]} & {a[2]}) | ({a[1]} & {a[2]});")
            else:
                lines.append(f"wire {ws} = {a[0]} ^ {a[1]};")
                if c >= 0:
                    lines.append(f"wire {wc} = {a[0]} & {a[1]};")
            if c >= 0:
                names[c] = wc
        level += 1
        if every and (level + shift) % every == 0:
            register(_alive_after(tree, level))
    rows = [[names[col[r]] if r < len(col) else "1'b0" for col in tree.columns] for r in (0, 1)]
    a, b = (("{" + ", ".join(reversed(row)) + "}") for row in rows)
    if every and (level + 1 + shift) % every == 0:
        lines += [f"reg [{sw - 1}:0] {out};", f"always @(posedge clk) {out} <= {a} + {b};"]
        regs += 1
    else:
        lines.append(f"wire [{sw - 1}:0] {out} = {a} + {b};")
    return lines, regs


def popcount_verilog(group_size: int, name: str, every: int = 0, style: str = "wallace",
                     first: int = 0, shape: "CarryPlan | Tree | None" = None, carry: str = "CARRY8") -> tuple[str, int]:
    """(Verilog text, registers on the path) of a stand-alone popcount module ``name``
    (ports ``clk`` when pipelined, ``x``, ``s``): the Amaranth fabric's popcount, tests, benchmarks.
    ``lut6c`` appends the primitives' simulation models (``ifndef SYNTHESIS``)."""
    lines, regs = popcount_lines([f"x[{i}]" for i in range(group_size)], "", "sum", every, style, first,
                                 shape=shape, carry=carry)
    text = templates().get_template("popcount.v.j2").render(
        name=name, group_size=group_size, sum_width=sum_width(group_size), style=style, uses_clk=regs > 0,
        registers=regs, body="\n".join(lines))
    return text + (sim_models() if style == "lut6c" else ""), regs


ONE = -2  # value id of a constant-1 input bit (a free carry-in)


@dataclass(frozen=True)
class Adder:
    """``out = a + (b << shift) + cin`` (cin: a value id, ``ONE`` or -1 for none) on ``width``
    bits at tree ``level``; ids 0..n-1 are the variable input bits, adders number on from n.
    ``shift`` > 0 only where a column of heavier bits joins (``weighted_carry_tree``)."""

    out: int
    a: int
    b: int
    cin: int
    width: int
    level: int
    shift: int = 0


def weighted_carry_tree(columns, ones: int = 0) -> tuple[list[Adder], int, int | None, int]:
    """Adders summing ``columns[j]`` variable bits of weight ``2**j`` each (ids numbered column
    by column, lightest first) and ``ones`` constant 1s. Each column is a carry tree; the column
    sums are then joined from the heaviest down, ``P_j + (T << shift)``. Returns (adders,
    leftover ones, root id or None, root shift): the total is ``root << shift`` + leftover."""
    n = sum(columns)
    adders: list[Adder] = []
    level = [0] * n
    maxval = [1] * n
    pool = ones

    def add(a: int, b: int, cin: int, shift: int = 0) -> int:
        total = maxval[a] + (maxval[b] << shift) + (cin != -1)
        level.append(1 + max(level[a], level[b]))
        maxval.append(total)
        adders.append(Adder(n + len(adders), a, b, cin, total.bit_length(), level[-1], shift))
        return adders[-1].out

    def build(lo: int, hi: int, use_pool: bool) -> int:  # sums bits lo..hi-1 (+ ones), returns the value id
        nonlocal pool
        if hi - lo == 1:
            return lo
        if use_pool and pool:
            cin, rest, pool = ONE, lo, pool - 1
        else:
            cin, rest = (lo, lo + 1) if hi - lo >= 3 else (-1, lo)
        # split off a full 2**k - 1 subtree: its count fills its width exactly, so no
        # adder carries a wasted bit (150 bits: 184 LUTs against 229 for halving)
        mid = rest + (1 << ((hi - rest).bit_length() - 1)) - 1
        a, b = build(rest, mid, use_pool), build(mid, hi, use_pool)
        return add(a, b, cin)

    sums, lo = [], 0
    for j, count in enumerate(columns):
        if count:
            sums.append((j, build(lo, lo + count, j == 0)))  # the ones weigh 1: column 0 only
            lo += count
    if not sums:
        return adders, pool, None, 0
    col, root = sums[-1]
    for j, value in reversed(sums[:-1]):
        root, col = add(value, root, -1, col - j), j
    return adders, pool, root, col


def weight_columns(inputs) -> tuple[list[list[str]], int]:
    """The variable bits of a popcount by weight, and its constant ones: a name read m times
    sits in column j for each 1 in m's binary form (weight ``2**j``); ``1'b0`` is dropped."""
    weight: dict[str, int] = {}
    for x in inputs:
        if x not in ("1'b0", "1'b1"):
            weight[x] = weight.get(x, 0) + 1
    columns = [[x for x, w in weight.items() if w >> j & 1]
               for j in range(max(weight.values(), default=0).bit_length())]
    return columns, list(inputs).count("1'b1")


@dataclass(frozen=True)
class CarryPlan:
    """The ``carry`` popcount of a list of bit names: repeated names count with their
    multiplicity (a bit read m times enters the columns where m has a 1), ``1'b1`` literals
    ride as carry-ins, ``1'b0`` literals are dropped."""

    names: tuple          # value id -> bit name, for the variable input bits
    adders: tuple
    extra: int            # constant ones added after the root
    root: int | None
    shift: int

    @classmethod
    def of(cls, inputs) -> "CarryPlan":
        columns, ones = weight_columns(inputs)
        adders, extra, root, shift = weighted_carry_tree([len(c) for c in columns], ones)
        return cls(tuple(x for col in columns for x in col), tuple(adders), extra, root, shift)

    @property
    def depth(self) -> int:
        return self.adders[-1].level if self.adders else 0


def _carry_lines(plan: CarryPlan, sw: int, prefix: str, out: str, every: int, shift: int = 0,
                 min_depth: int = 0) -> tuple[list[str], int]:
    """The ``carry`` style: the adders of ``plan``, registered after every ``every`` levels
    (``shift``: the first register comes ``shift`` levels early) into ``sw`` bits."""
    adders = plan.adders
    names = {ONE: "1'b1", **dict(enumerate(plan.names))}
    widths = {i: 1 for i in range(len(plan.names))}
    made = {i: 0 for i in range(len(plan.names))}   # tree level that produced each value
    last = {}                                        # last tree level that reads each value
    for ad in adders:
        for v in (ad.a, ad.b, ad.cin):
            if v >= 0:
                last[v] = max(last.get(v, 0), ad.level)
        widths[ad.out], made[ad.out] = ad.width, ad.level
    root = plan.root
    depth = max(plan.depth, min_depth)
    lines: list[str] = []
    regs = 0
    for lv in range(1, depth + 1):
        for ad in (x for x in adders if x.level == lv):
            w, name = ad.width, f"{prefix}a{ad.out}"
            a, b = names[ad.a], names[ad.b]
            c = names[ad.cin] if ad.cin != -1 else None
            if widths[ad.a] == 1 and widths[ad.b] == 1 and not ad.shift:  # leaf: a full (or half) adder in LUTs
                carry = f"({a} & {b}) | ({a} & {c}) | ({b} & {c})" if c else f"{a} & {b}"
                lines.append(f"wire [1:0] {name} = {{{carry}, {a} ^ {b}{' ^ ' + c if c else ''}}};")
            else:
                # {a,1} + {b,cin}: bit 0 carries cin into a two-operand adder, which synthesis keeps
                # as one carry chain (a three-operand sum becomes a LUT compressor instead)
                b = f"{b}, {ad.shift}'b0" if ad.shift else b
                lines.append(f"wire [{w}:0] {name}_x = {{{a}, 1'b1}} + {{{b}, {c or '1' + chr(39) + 'b0'}}};")
                lines.append(f"wire [{w - 1}:0] {name} = {name}_x[{w}:1];")
            names[ad.out] = name
        if every and (lv + shift) % every == 0:
            alive = [v for v in names if v >= 0 and made[v] <= lv and (last.get(v, 0) > lv or v == root)]
            if root is None:  # an all-constant group still delays by the same registers
                alive, names[0], made[0], widths[0], root = [0], "1'b0", 0, 1, 0
            stmts = []
            for v in alive:
                w, r = widths[v], f"{prefix}r{regs}_{v}"
                lines.append(f"reg [{w - 1}:0] {r};" if w > 1 else f"reg {r};")
                stmts.append(f"    {r} <= {names[v]};")
                names[v] = r
            lines.append("always @(posedge clk) begin\n" + "\n".join(stmts) + "\nend")
            regs += 1
    terms = []
    if root is not None:
        terms.append(f"{{{names[root]}, {plan.shift}'b0}}" if plan.shift else names[root])
    if plan.extra:
        terms.append(f"{sw}'d{plan.extra}")
    lines.append(f"wire [{sw - 1}:0] {out} = {' + '.join(terms) or f'{sw}' + chr(39) + 'd0'};")
    return lines, regs


def output_literals(nl: Netlist) -> tuple[np.ndarray, np.ndarray]:
    """(signal, negated) of every output bit with constant, wire and inverter nodes looked through."""
    sig = nl.outputs.astype(np.int64)
    neg = nl.output_inv.copy()  # output polarity, then inverters looked through
    kinds = nl.kinds()
    for _ in range(nl.depth):
        node = sig - nl.base
        through = node >= 0
        through[through] = kinds[node[through]] != ops.LOGIC
        if not through.any():
            break
        n = node[through]
        kind = kinds[n]
        support = ops.support_mask(nl.tables[n], nl.arity).astype(np.int64)
        slot = np.log2(np.maximum(support, 1)).astype(np.int64)  # the one input a wire or inverter reads
        neg[through] ^= kind == ops.INVERTER
        sig[through] = np.where(kind == ops.CONSTANT, (nl.tables[n] & np.uint64(1)).astype(np.int64),
                                nl.fanin[n, slot])
    const = sig < 2
    sig[const] ^= neg[const]
    neg[const] = False
    return sig, neg


def popcount_inputs(nl: Netlist) -> list[list[str]]:
    """Per class, the names of the bits its popcount adds (``o<j>``: output bit j as the
    fabric's last stage holds it). Exact rewrites of the sum: constants become literals
    (the carry tree drops zeros and takes ones as carry-ins); a bit and its complement in one
    group add up to one (``1'b1``, ``1'b0``); copies of one bit share one name (the carry tree
    counts a bit read m times as m times it, in the columns where m has a 1)."""
    sig, neg = output_literals(nl)
    g = nl.group_size
    groups = []
    for c in range(nl.num_classes):
        names = [""] * g
        first: dict[tuple[int, bool], str] = {}
        count: dict[int, list[int]] = {}
        for j in range(c * g, (c + 1) * g):
            s, n = int(sig[j]), bool(neg[j])
            if s < 2:
                names[j - c * g] = ("1'b0", "1'b1")[s]
                continue
            first.setdefault((s, n), f"o{j}")
            count.setdefault(s, [0, 0])[n] += 1
        pos = 0
        for s, (p, q) in count.items():
            pairs = min(p, q)
            rest = [first[(s, p < q)]] * abs(p - q)
            for name in ["1'b1"] * pairs + ["1'b0"] * pairs + rest:
                while names[pos]:
                    pos += 1
                names[pos] = name
        groups.append(names)
    return groups


def _alive_after(tree: Tree, rounds_done: int) -> list[int]:
    """Bit ids held in the columns after ``rounds_done`` reduction rounds."""
    consumed = {i for cells in tree.rounds[:rounds_done] for c in cells for i in c[0]}
    produced = {b for cells in tree.rounds[:rounds_done] for c in cells for b in (c[1], c[2]) if b >= 0}
    alive = (set(range(tree.group_size)) | produced) - consumed
    return sorted(alive)


TREES = {"wallace": wallace_tree, "dadda": dadda_tree}
