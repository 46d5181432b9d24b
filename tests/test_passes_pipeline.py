# SPDX-License-Identifier: MIT
"""Pass manager: pipeline text, fixed points, --verify, reports."""
from dataclasses import dataclass

import numpy as np
import pytest

from lgn2hw.generate import plant_redundancy, random_layered
from lgn2hw.passes import (DEFAULT_PIPELINE, PASSES, Pass, PassData, PassVerificationError, PipelineError,
                           format_pipeline, parse_pipeline, pass_class, run_pipeline)

from _netgen import outputs_table


def test_registry_imports_every_pass():
    for name in PASSES:
        cls = pass_class(name)
        assert cls.name == name


def test_pipeline_text_round_trips():
    text = "const-fold,wire-collapse,strash,sat-sweep{conflict-limit=50,sim-words=4},dce,greedy-prune{threshold=0.9}"
    passes = parse_pipeline(text)
    assert [p.name for p in passes] == ["const-fold", "wire-collapse", "strash", "sat-sweep", "dce", "greedy-prune"]
    assert passes[3].conflict_limit == 50 and passes[3].sim_words == 4
    assert passes[5].threshold == 0.9
    assert format_pipeline(passes) == text
    assert parse_pipeline("none") == [] and parse_pipeline("") == []


@pytest.mark.parametrize("text, words", [
    ("bogus", "unknown pass 'bogus'"),
    ("strash{x=1}", "has no option 'x'"),
    ("sat-sweep{conflict-limit=abc}", "not a valid int"),
    ("dce{", "cannot parse"),
])
def test_pipeline_errors_name_the_pass(text, words):
    with pytest.raises(PipelineError, match=words):
        parse_pipeline(text)


def test_data_pass_without_data_is_a_clear_error():
    nl = random_layered(8, [10], 2, seed=0)
    with pytest.raises(PipelineError, match="greedy-prune.*needs data"):
        run_pipeline(nl, "greedy-prune")


def test_fixed_point_and_reports():
    nl = plant_redundancy(random_layered(20, [60, 60, 20], 4, seed=2), 0.3, seed=3)
    seen = []
    out, reports = run_pipeline(nl, DEFAULT_PIPELINE, on_pass=lambda p, r, n: seen.append((p.name, n.num_nodes)))
    assert len(seen) == len(reports)
    assert reports[0].before["gates"] == nl.num_nodes
    assert reports[-1].after["gates"] == out.num_nodes
    # each report's 'after' is the next one's 'before'
    for a, b in zip(reports, reports[1:]):
        assert a.after == b.before
    assert not reports[-1].changed  # stopped at a fixed point
    again, more = run_pipeline(out, DEFAULT_PIPELINE)
    assert again.fingerprint() == out.fingerprint()
    assert not any(r.changed for r in more)
    d = reports[0].to_dict()
    assert {"name", "options", "before", "after", "seconds", "counters", "round", "exact"} <= set(d)


@dataclass(frozen=True)
class _Broken(Pass):
    """Claims to be exact but flips one gate's table."""
    name = "broken"

    def apply(self, nl, data=None):
        t = nl.tables.copy()
        t[-1] ^= np.uint64(1)
        return nl.replace(tables=t), {}


def test_verify_names_the_first_pass_that_changed_the_function():
    nl = random_layered(10, [40, 20], 2, seed=1)
    with pytest.raises(PassVerificationError, match=r"pass 'broken' \(step 2\)"):
        run_pipeline(nl, ["const-fold", _Broken(), "dce"], verify=True)
    out, _ = run_pipeline(nl, DEFAULT_PIPELINE, verify=True)  # exact passes pass
    assert np.array_equal(outputs_table(out), outputs_table(nl))


def test_sat_sweep_uses_data_patterns():
    nl = random_layered(12, [50, 50, 20], 2, seed=4)
    bits = np.random.default_rng(0).integers(0, 2, (300, 12), dtype=np.uint8)
    out, reps = run_pipeline(nl, "sat-sweep{sim-words=1}", data=PassData(bits))
    assert reps[0].counters["patterns"] >= 64 + 300
    assert np.array_equal(outputs_table(out), outputs_table(nl))
