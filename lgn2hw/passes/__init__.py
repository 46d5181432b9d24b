# SPDX-License-Identifier: MIT
"""Optimization passes, textual pipelines and the pass manager.

A pass is a frozen dataclass (see ``Pass``): a kebab-case ``name``, its options as fields, and
``run(netlist, data=None) -> (netlist, PassReport)``; it never mutates its input. ``PASSES``
maps names to classes, imported lazily (z3 loads only when ``sat-sweep`` runs). A pipeline is
text, each option written in kebab-case::

    const-fold,wire-collapse,strash,sat-sweep{conflict-limit=2000},dce

``run_pipeline`` runs one: consecutive exact passes are iterated to a fixed point (a pass is
skipped while the netlist is what it produced last time), data-driven passes run once, and
``verify=True`` re-simulates after every exact pass and names the first one that changed the
function.
"""
from __future__ import annotations

import dataclasses
import importlib
import re
import time
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np

from .. import analysis
from ..errors import LgnError
from ..ir import Netlist

# pass name -> "module:Class", imported when the pass is first used
PASSES: dict[str, str] = {
    "dce": "lgn2hw.passes.dce:Dce",
    "const-fold": "lgn2hw.passes.const_fold:ConstFold",
    "wire-collapse": "lgn2hw.passes.wire_collapse:WireCollapse",
    "strash": "lgn2hw.passes.strash:Strash",
    "sat-sweep": "lgn2hw.passes.sat_sweep:SatSweep",
    "greedy-prune": "lgn2hw.passes.greedy_prune:GreedyPrune",
    "similarity-merge": "lgn2hw.passes.similarity_merge:SimilarityMerge",
}

#: The exact pipeline ``lgn2hw compile`` and ``lgn2hw opt`` run unless told otherwise.
DEFAULT_PIPELINE = "const-fold,wire-collapse,strash,sat-sweep,dce"


class PipelineError(LgnError):
    """A pipeline text that does not parse, or a pass that cannot run; names the pass."""


class PassVerificationError(LgnError):
    """``--verify`` found a pass that changed the function of the netlist."""


@dataclass(frozen=True)
class PassData:
    """Samples for data-driven passes (and extra patterns for sat-sweep / --verify)."""

    bits: np.ndarray              # uint8 [N, I]
    y: np.ndarray | None = None   # labels [N], optional

    def split(self, holdout: float, seed: int = 0) -> tuple["PassData", "PassData"]:
        """(fit, held-out) random split; with fewer than 2 samples both are the whole set."""
        n = self.bits.shape[0]
        if n < 2 or holdout <= 0:
            return self, self
        order = np.random.default_rng(seed).permutation(n)
        cut = min(n - 1, max(1, int(round(n * (1 - holdout)))))
        fit, held = np.sort(order[:cut]), np.sort(order[cut:])
        pick = lambda idx: PassData(self.bits[idx], None if self.y is None else self.y[idx])  # noqa: E731
        return pick(fit), pick(held)


@dataclass
class PassReport:
    """What one pass execution did. ``to_dict`` is the JSON form (docs/report-schema.md)."""

    name: str
    options: dict
    exact: bool
    before: dict                 # analysis.gate_counts of the input
    after: dict                  # analysis.gate_counts of the output
    seconds: float
    counters: dict = field(default_factory=dict)
    changed: bool = False
    round: int = 1

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Pass:
    """Base class: subclasses set ``name``/``exact``/``needs_data`` and implement ``apply``."""

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = True
    needs_data: ClassVar[bool] = False
    #: option -> (low, high, low_open, high_open): the values that mean something, checked on construction
    ranges: ClassVar[dict] = {}

    def __post_init__(self):
        for attr, (lo, hi, lo_open, hi_open) in self.ranges.items():
            v = getattr(self, attr)
            if (v < lo or (lo_open and v == lo)) or (v > hi or (hi_open and v == hi)):
                span = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
                raise PipelineError(f"pass '{self.name}': option {attr.replace('_', '-')}={v:g} out of range {span}")

    def apply(self, nl: Netlist, data: PassData | None) -> tuple[Netlist, dict]:
        raise NotImplementedError

    def run(self, nl: Netlist, data: PassData | None = None) -> tuple[Netlist, PassReport]:
        if self.needs_data and (data is None or data.bits.shape[0] == 0):
            raise PipelineError(f"pass '{self.name}' needs data: give --data samples.npz "
                                "(or a checkpoint that carries samples)")
        t0 = time.perf_counter()
        out, counters = self.apply(nl, data)
        seconds = time.perf_counter() - t0
        changed = out is not nl and out.fingerprint() != nl.fingerprint()
        return out, PassReport(self.name, self.options(), self.exact, analysis.gate_counts(nl),
                               analysis.gate_counts(out), seconds, counters, changed)

    def options(self) -> dict:
        return {f.name.replace("_", "-"): getattr(self, f.name) for f in dataclasses.fields(self)}

    def __str__(self) -> str:
        changed = {k: v for k, v in self.options().items()
                   if v != _field_default(type(self), k.replace("-", "_"))}
        if not changed:
            return self.name
        return self.name + "{" + ",".join(f"{k}={_fmt(v)}" for k, v in changed.items()) + "}"


def _field_default(cls, name):
    f = {f.name: f for f in dataclasses.fields(cls)}[name]
    return f.default


def _fmt(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def pass_class(name: str) -> type[Pass]:
    if name not in PASSES:
        raise PipelineError(f"unknown pass '{name}'; known passes: {', '.join(sorted(PASSES))}")
    module, attr = PASSES[name].split(":")
    return getattr(importlib.import_module(module), attr)


_ITEM = re.compile(r"\s*([a-z][a-z0-9-]*)\s*(?:\{([^{}]*)\})?\s*$")


def parse_pipeline(text: str) -> list[Pass]:
    """``"a,b{opt=1,flag=true},c"`` -> pass instances. ``"none"`` or ``""`` -> []."""
    text = text.strip()
    if text in ("", "none"):
        return []
    items, depth, cur = [], 0, ""
    for ch in text:  # split on commas outside braces
        depth += (ch == "{") - (ch == "}")
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    passes = []
    for item in items:
        m = _ITEM.match(item)
        if not m:
            raise PipelineError(f"cannot parse pipeline item {item.strip()!r}: expected name or name{{key=value,...}}")
        cls = pass_class(m.group(1))
        kwargs = {}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for opt in filter(None, (o.strip() for o in (m.group(2) or "").split(","))):
            key, eq, val = opt.partition("=")
            attr = key.strip().replace("-", "_")
            if attr not in fields:
                known = ", ".join(f.replace("_", "-") for f in fields) or "none"
                raise PipelineError(f"pass '{cls.name}' has no option '{key.strip()}' (options: {known})")
            kwargs[attr] = _convert(cls.name, key.strip(), val.strip() if eq else "true", fields[attr].default)
        passes.append(cls(**kwargs))
    return passes


def _convert(pass_name: str, key: str, val: str, default):
    try:
        if isinstance(default, bool):
            if val.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return val.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(val)
        if isinstance(default, float):
            return float(val)
        return val
    except ValueError:
        raise PipelineError(f"pass '{pass_name}': option {key}={val!r} is not a valid "
                            f"{type(default).__name__}") from None


def format_pipeline(passes: list[Pass]) -> str:
    return ",".join(str(p) for p in passes) or "none"


def run_pipeline(nl: Netlist, pipeline: str | list, data: PassData | None = None, verify: bool = False,
                 on_pass: Callable[[Pass, PassReport, Netlist], None] | None = None,
                 max_rounds: int = 8, seed: int = 0) -> tuple[Netlist, list[PassReport]]:
    """Run a pipeline; returns the final netlist and one report per pass execution.

    Consecutive exact passes form a group that repeats until a round changes nothing (at
    most ``max_rounds``); a pass whose input is exactly its own last output is skipped.
    """
    if isinstance(pipeline, str):
        passes = parse_pipeline(pipeline)
    else:
        passes = [parse_pipeline(p)[0] if isinstance(p, str) else p for p in pipeline]
    for p in passes:
        if p.needs_data and (data is None or data.bits.shape[0] == 0):
            raise PipelineError(f"pass '{p.name}' needs data: give --data samples.npz "
                                "(or a checkpoint that carries samples)")
    checker = _Verifier(data, seed) if verify else None
    reports: list[PassReport] = []
    step = 0
    i = 0
    while i < len(passes):
        group = [passes[i]]
        if passes[i].exact:
            while i + len(group) < len(passes) and passes[i + len(group)].exact:
                group.append(passes[i + len(group)])
        i += len(group)
        last_out: dict[int, str] = {}
        for rnd in range(1, max_rounds + 1 if group[0].exact else 2):
            changed = False
            for j, p in enumerate(group):
                fp = nl.fingerprint()
                if last_out.get(j) == fp:
                    continue
                step += 1
                out, rep = p.run(nl, data)
                rep.round = rnd
                if checker is not None and p.exact:
                    checker.check(nl, out, p, step)
                last_out[j] = out.fingerprint()
                changed |= rep.changed
                nl = out
                reports.append(rep)
                if on_pass is not None:
                    on_pass(p, rep, nl)
            if not changed or len(group) == 1 and not group[0].exact:
                break
    return nl, reports


class _Verifier:
    """Simulates before/after each pass on random + data vectors."""

    def __init__(self, data: PassData | None, seed: int, num_random: int = 2048):
        self.data = data
        self.seed = seed
        self.num_random = num_random

    def check(self, before: Netlist, after: Netlist, p: Pass, step: int) -> None:
        from ..sim import simulate_bits

        rng = np.random.default_rng(self.seed + step)
        vecs = [("random", rng.integers(0, 2, size=(self.num_random, before.num_inputs), dtype=np.uint8))]
        if self.data is not None and self.data.bits.shape[0]:
            vecs.append(("data", self.data.bits[:8192]))
        for kind, bits in vecs:
            a = simulate_bits(before, bits).output_bits
            b = simulate_bits(after, bits).output_bits
            bad = np.argwhere(a != b)
            if bad.size:
                v, o = (int(x) for x in bad[0])
                raise PassVerificationError(
                    f"--verify: pass '{p}' (step {step}) changed the function: output bit {o} is "
                    f"{a[v, o]} before and {b[v, o]} after on {kind} vector {v}")
