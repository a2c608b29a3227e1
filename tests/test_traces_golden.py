"""Golden traces and explanations of shipped decisions (rewritten by --update-goldens).

Each golden shows what a case worker reads: every step, its value, citation and
source location. Reviewing their diff is how a change to a shipped rule file or
to the interpreter's trace is reviewed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rulelang
from rulelang.views.explain import format_trace

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "cases" / "sample.jsonl"

# (agreement, outcome) pairs worth a golden: one of each outcome, across instruments
WANTED = [("stca_us", "applies"), ("stca_us", "exempt"), ("stca_canada", "exempt"),
          ("aca_guatemala_2019", "applies"), ("mpp", "undetermined"), ("aea_tren_de_aragua", "applies"),
          ("dublin_iii", "applies"), ("el_salvador_2025", "not_in_force"),
          ("stca_us", "not_applicable")]


def _cases():
    policy = rulelang.load("stdlib:all")
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = {}
    for record in records:
        for decision in policy.evaluate(record, trace=True):
            key = (decision.agreement, decision.outcome)
            if key in WANTED and key not in chosen:
                chosen[key] = decision
    return chosen


CHOSEN = _cases()


def test_the_sample_has_a_case_for_every_wanted_trace():
    assert set(CHOSEN) == set(WANTED)


@pytest.mark.parametrize("key", WANTED, ids=lambda k: f"{k[0]}-{k[1]}")
def test_trace_golden(key, golden):
    decision = CHOSEN[key]
    name = f"traces/{key[0]}-{key[1]}"
    golden(name + ".json", json.dumps(decision.to_json(), indent=2, ensure_ascii=False) + "\n")
    golden(name + ".txt", format_trace(decision) + "\n")
    # every evaluated step names where it is written and, for clauses, what it cites
    for step in decision.trace:
        assert step.at.location().startswith("stdlib/"), step
        if step.kind in ("scope", "exception"):
            assert step.cite, step
