"""rulelang benchmarks (issues #4 and #10): one process, one seeded data set, every engine.

    python benchmarks/run.py                  # the full run (100,000 records, peers, streaming)
    python benchmarks/run.py --quick --skip-peers --skip-stream   # a smoke run (a few seconds)

Part 1, benchmarks/simplified_stca.rules, per record: a hand-written Python
function of the same rules (the baseline); rulelang's compiled decide (records
validated beforehand), `evaluate_many` (validation included) and
`Policy.evaluate` (validation and the interpreter, with traces); and the peer
engines at their best (benchmarks/peers.py: the whole policy compiled once and
evaluated in one call per record). Every engine is checked against the
baseline on every record before it is timed, and timed on the same records
(those with every fact known: the peers have no unknown facts). The run ends
with issue 10's three targets, read off that one table.

Part 2, the shipped stdlib:stca_us policy: a hand-written baseline (read from
stdlib_policies/stca_us.rules and common.rules), compiled, interpreter.

Part 3, the command line: `rulelang check stdlib:all`, `rulelang --help`, and
peak RSS and throughput of `rulelang run stdlib:stca_us FILE --format jsonl`
over 1,000,000 records.

Timings are the median of repeated passes over the record set (or over a
stated subset for slow engines), in CPU time of this process (CLOCK). Turning a validated record into an engine's
input (a peer's context, CEL values) is done before timing, as validation is
for compiled decide; `evaluate_many` and `Policy.evaluate` start from the raw
JSON-shaped record.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rulelang
from rulelang.decision import Decision, Unestablished
from rulelang.records import InvalidRecord, validate_dict
from rulelang.runtime import Unknown
from rulelang.semantics import types as T

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import PEERS, Cedar  # noqa: E402  the peer engines, each encoding the whole policy

HERE = Path(__file__).resolve().parent
SIMPLIFIED = HERE / "simplified_stca.rules"
TABLE_HEADER = f"{'engine':<44} {'records':>16} {'µs/record':>11} {'× baseline':>11}"

IN_FORCE = _dt.date(2004, 12, 29)
PROTOCOL = _dt.date(2023, 3, 25)

OTHER_NATIONS = ["HND", "GTM", "SLV", "HTI", "TUR", "COL", "VEN", "AFG", "NGA", "IND", "MEX", "CHN"]
SLOW_PASS_SECONDS = 1.5   # an engine slower than this per pass is timed on a subset
ALTERNATIONS = 9          # pairs of passes that time evaluate_many against the compiled decide
REPEATS = 5
CHECK_BUDGET_SECONDS = 90.0   # per peer: check every record unless that takes longer
# Per-record timings count the CPU time of this process (every thread of it), not the
# wall clock: on a machine shared with other jobs a pass may wait for a core, and that
# wait is not the engine's. The command-line and streaming parts stay on the wall clock.
CLOCK = time.process_time


# ============================================================================================
# Records
# ============================================================================================

def _iso(day: _dt.date) -> str:
    return day.isoformat()


def _claim_date(rng: random.Random) -> _dt.date:
    if rng.random() < 0.03:   # before entry into force: not_in_force
        return _dt.date(2001, 1, 1) + _dt.timedelta(days=rng.randrange(4 * 365))
    return _dt.date(2005, 1, 1) + _dt.timedelta(days=rng.randrange(20 * 365))


def _nationalities(rng: random.Random) -> list:
    roll = rng.random()
    if roll < 0.04:
        return [rng.choice(["USA", "CAN"])]
    if roll < 0.07:
        return [rng.choice(OTHER_NATIONS), rng.choice(["USA", "CAN"])]
    if roll < 0.10:
        return rng.sample(OTHER_NATIONS, 2)
    return [rng.choice(OTHER_NATIONS)]


def _entry(rng: random.Random, claim: _dt.date, types: list) -> tuple[str, _dt.date, _dt.date]:
    entry_type = rng.choices(types, weights=[55, 25, 10, 7, 3][:len(types)])[0]
    gap = rng.randrange(31) if entry_type == "between_ports" else rng.randrange(3)
    if entry_type == "between_ports" and rng.random() < 0.5:
        claim = max(claim, PROTOCOL + _dt.timedelta(days=rng.randrange(700)))
    return entry_type, claim - _dt.timedelta(days=gap), claim


def simplified_records(n: int, seed: int, schema: T.RecordType) -> list[dict]:
    """Raw JSON-shaped records for simplified_stca.rules; about 15% lack one or two facts."""
    rng = random.Random(seed)
    relations = list(T.strip(T.strip(schema.fields["relatives"]).elem).fields["relation"].members)
    statuses = list(T.strip(T.strip(schema.fields["relatives"]).elem).fields["status"].members)
    entry_types = list(T.strip(schema.fields["entry_type"]).members)
    optional = [name for name, t in schema.fields.items() if T.is_optional(t)]
    out = []
    for i in range(n):
        entry_type, entry, claim = _entry(rng, _claim_date(rng), entry_types)
        minor = rng.random() < 0.10
        k = rng.choices([0, 1, 2, 3], weights=[50, 30, 15, 5])[0]
        record = {
            "id": f"s-{i}", "nationalities": _nationalities(rng),
            "claim_country": "USA" if rng.random() < 0.92 else rng.choice(["CAN", "MEX"]),
            "claim_date": _iso(claim),
            "arrived_from": "CAN" if rng.random() < 0.88 else rng.choice(["MEX", "GTM"]),
            "entry_type": entry_type, "entry_date": _iso(entry),
            "age": rng.randrange(1, 18) if minor else rng.randrange(18, 80),
            "accompanied": rng.random() < 0.5,
            "relatives": [{"relation": rng.choice(relations),
                           "location": "USA" if rng.random() < 0.3 else rng.choice(["CAN", "MEX", "HND"]),
                           "status": rng.choice(statuses)} for _ in range(k)],
            "valid_us_visa": rng.random() < 0.04,
            "public_interest_waiver": rng.random() < 0.02,
        }
        if rng.random() < 0.15:
            for name in rng.sample(optional, rng.choice([1, 1, 2])):
                del record[name]
        out.append(record)
    return out


def stca_us_records(n: int, seed: int, schema: T.RecordType):
    """Raw records for stdlib:stca_us (a generator: the streaming test writes a million)."""
    rng = random.Random(seed)
    rel_type = T.strip(T.strip(schema.fields["relatives"]).elem)
    doc_type = T.strip(T.strip(schema.fields["documents"]).elem)
    relations = list(rel_type.fields["relation"].members)
    statuses = list(rel_type.fields["status"].members)
    kinds = list(doc_type.fields["kind"].members)
    entry_types = list(T.strip(schema.fields["entry_type"]).members)
    droppable = ["arrived_from", "entry_type", "entry_date", "age", "has_spouse",
                 "accompanied_by_parent_or_guardian", "in_transit_removal", "relatives",
                 "documents", "visa_exempt_for", "public_interest_waiver"]
    for i in range(n):
        entry_type, entry, claim = _entry(rng, _claim_date(rng), entry_types)
        minor = rng.random() < 0.10
        nationalities = _nationalities(rng)
        record = {
            "id": f"u-{i}", "nationalities": nationalities,
            "claim_country": "USA" if rng.random() < 0.92 else rng.choice(["CAN", "MEX"]),
            "claim_date": _iso(claim),
            "arrived_from": "CAN" if rng.random() < 0.88 else rng.choice(["MEX", "GTM"]),
            "entry_type": entry_type, "entry_date": _iso(entry),
            "age": rng.randrange(1, 18) if minor else rng.randrange(18, 80),
            "has_spouse": rng.random() < (0.05 if minor else 0.5),
            "accompanied_by_parent_or_guardian": rng.random() < 0.5,
            "in_transit_removal": rng.random() < 0.03,
            "relatives": [], "documents": [],
            "visa_exempt_for": rng.choice([[], [], [], ["USA"], ["USA", "CAN"], ["CAN"]]),
            "public_interest_waiver": rng.random() < 0.02,
            "immigration_status": rng.choice(["none", "visitor", "parolee"]),
        }
        if rng.random() < 0.02:
            record["nationalities"] = []
            record["former_habitual_residence"] = rng.choice(["CAN", "MEX", "SYR"])
        for _ in range(rng.choices([0, 1, 2, 3], weights=[50, 30, 15, 5])[0]):
            relative = {"relation": rng.choice(relations),
                        "location": "USA" if rng.random() < 0.3 else rng.choice(["CAN", "MEX"]),
                        "status": rng.choice(statuses)}
            if rng.random() < 0.9:
                relative["age"] = rng.randrange(1, 80)
            record["relatives"].append(relative)
        if rng.random() < 0.08:
            document = {"kind": rng.choice(kinds), "issued_by": rng.choice(["USA", "USA", "CAN"]),
                        "valid": rng.random() < 0.8}
            if rng.random() < 0.9:
                document["transit_only"] = rng.random() < 0.2
            record["documents"].append(document)
        if rng.random() < 0.15:
            for name in rng.sample(droppable, rng.choice([1, 1, 2])):
                del record[name]
        yield record


def validated(raw: list[dict], record_type: T.RecordType) -> list[dict]:
    values = []
    for record in raw:
        result = validate_dict(record, record_type)
        if isinstance(result, InvalidRecord):
            raise SystemExit(f"benchmark generated an invalid record: {result.describe()}")
        values.append(result.value)
    return values


def is_complete(value: dict) -> bool:
    """No unknown fact anywhere in the record (top level or inside relatives/documents)."""
    for v in value.values():
        if type(v) is Unknown:
            return False
        if isinstance(v, (tuple, frozenset)):
            for item in v:
                if isinstance(item, dict) and any(type(x) is Unknown for x in item.values()):
                    return False
    return True


# ============================================================================================
# Baselines: the same rules, written by hand in plain Python on validated records.
# Unknown facts (rulelang.runtime.Unknown) follow the rules' three-valued logic: a scope
# condition that is unknown (and no other one false) makes the outcome undetermined; an
# exception that is unknown does not hold.
# ============================================================================================

NOT_IN_FORCE = ("not_in_force", (), None)
NOT_APPLICABLE = ("not_applicable", (), None)
SIMPLE_FAMILY = frozenset({"spouse", "child", "parent", "legal_guardian", "sibling", "grandparent"})
SIMPLE_LAWFUL = frozenset({"citizen", "permanent_resident", "asylee", "refugee"})


def simplified_baseline(c: dict) -> tuple:
    """(outcome, exceptions, returns_to) of simplified_stca for one validated record."""
    claim = c["claim_date"]
    if claim < IN_FORCE:
        return NOT_IN_FORCE
    unknown = False
    if c["claim_country"] != "USA":
        return NOT_APPLICABLE
    arrived = c["arrived_from"]
    if type(arrived) is Unknown:
        unknown = True
    elif arrived != "CAN":
        return NOT_APPLICABLE
    nationalities = c["nationalities"]
    if "USA" in nationalities or "CAN" in nationalities:
        return NOT_APPLICABLE
    entry_type = c["entry_type"]
    if type(entry_type) is Unknown:
        unknown = True
    elif entry_type != "land_port_of_entry":
        if entry_type != "between_ports":
            return NOT_APPLICABLE
        entry = c["entry_date"]
        if type(entry) is Unknown:
            unknown = True
        elif entry < PROTOCOL or (claim - entry).days > 14:
            return NOT_APPLICABLE

    held = []
    relatives = c["relatives"]
    if type(relatives) is not Unknown and any(
            r["relation"] in SIMPLE_FAMILY and r["location"] == "USA" and r["status"] in SIMPLE_LAWFUL
            for r in relatives):
        held.append("family_in_us")
    age = c["age"]
    if type(age) is not Unknown and age < 18 and c["accompanied"] is False:
        held.append("unaccompanied_minor")
    if c["valid_us_visa"] is True:
        held.append("valid_visa")
    if c["public_interest_waiver"] is True:
        held.append("public_interest")
    if unknown:
        return ("undetermined", tuple(held), None)
    if held:
        return ("exempt", tuple(held), None)
    return ("applies", (), "CAN")


def simplified_baseline_decision(c: dict):
    """The full decision record of simplified_stca for one validated record, by hand:
    the same fields rulelang computes (status, missing facts, unestablished
    exceptions with their facts), so the comparison with compiled rulelang is
    like for like."""
    claim = c["claim_date"]
    cid = c["id"]
    if claim < IN_FORCE:
        return _decision(cid, claim, "not_yet_in_force", "not_in_force")
    if c["claim_country"] != "USA":
        return _decision(cid, claim, "in_force", "not_applicable")
    facts = set()
    arrived = c["arrived_from"]
    if type(arrived) is Unknown:
        facts.add("arrived_from")
    elif arrived != "CAN":
        return _decision(cid, claim, "in_force", "not_applicable")
    nationalities = c["nationalities"]
    if "USA" in nationalities or "CAN" in nationalities:
        return _decision(cid, claim, "in_force", "not_applicable")
    entry_type, entry = c["entry_type"], c["entry_date"]
    if type(entry_type) is Unknown:
        facts.add("entry_type")
        if type(entry) is Unknown:
            facts.add("entry_date")
    elif entry_type != "land_port_of_entry":
        if entry_type != "between_ports":
            return _decision(cid, claim, "in_force", "not_applicable")
        if type(entry) is Unknown:
            facts.add("entry_date")
        elif entry < PROTOCOL or (claim - entry).days > 14:
            return _decision(cid, claim, "in_force", "not_applicable")
    held, unestablished = [], []
    relatives = c["relatives"]
    if type(relatives) is Unknown:
        unestablished.append(Unestablished("family_in_us", ("relatives",)))
    elif any(r["relation"] in SIMPLE_FAMILY and r["location"] == "USA" and r["status"] in SIMPLE_LAWFUL
             for r in relatives):
        held.append("family_in_us")
    age, accompanied = c["age"], c["accompanied"]
    minor = type(age) is Unknown or age < 18
    if minor:
        unknown = (["age"] if type(age) is Unknown else []) + \
            (["accompanied"] if type(accompanied) is Unknown else [])
        if accompanied is True:
            pass
        elif unknown:
            unestablished.append(Unestablished("unaccompanied_minor", tuple(sorted(unknown))))
        else:
            held.append("unaccompanied_minor")
    for name, field in (("valid_visa", "valid_us_visa"), ("public_interest", "public_interest_waiver")):
        value = c[field]
        if value is True:
            held.append(name)
        elif type(value) is Unknown:
            unestablished.append(Unestablished(name, (field,)))
    if facts:
        return _decision(cid, claim, "in_force", "undetermined", None, tuple(held),
                         tuple(sorted(facts)), tuple(unestablished))
    if held:
        return _decision(cid, claim, "in_force", "exempt", None, tuple(held), (), tuple(unestablished))
    return _decision(cid, claim, "in_force", "applies", "CAN", (), (), tuple(unestablished))


def _decision(cid, as_of, status, outcome, returns_to=None, exceptions=(), missing=(),
              unestablished=()):
    return tuple.__new__(Decision, (cid, "simplified_stca", as_of, status, outcome, returns_to,
                                    exceptions, missing, unestablished, None, ()))


STCA_FAMILY = frozenset({"spouse", "child", "parent", "legal_guardian", "sibling", "grandparent",
                         "grandchild", "aunt_uncle", "niece_nephew"})
STCA_LAWFUL = frozenset({"citizen", "permanent_resident", "asylee", "refugee", "work_permit",
                         "study_permit", "other_lawful"})
PARENT_OR_GUARDIAN = frozenset({"parent", "legal_guardian"})
ADMISSION_DOCUMENTS = frozenset({"visa", "work_permit", "study_permit", "permanent_resident_card",
                                 "refugee_travel_document", "advance_parole",
                                 "permanent_resident_visa", "temporary_resident_visa"})


def stca_us_baseline(c: dict) -> tuple:
    """(outcome, exceptions, returns_to) of stdlib:stca_us, read from stca_us.rules and common.rules."""
    claim = c["claim_date"]
    if claim < IN_FORCE:
        return NOT_IN_FORCE
    unknown = False
    if c["claim_country"] != "USA":
        return NOT_APPLICABLE
    arrived = c["arrived_from"]
    if type(arrived) is Unknown:
        unknown = True
    elif arrived != "CAN":
        return NOT_APPLICABLE

    # a land port; in transit through an air or sea port while removed by Canada; or a
    # crossing between ports under the Additional Protocol
    entry_type = c["entry_type"]
    if type(entry_type) is Unknown:
        unknown = True          # every branch of the disjunction depends on it
    elif entry_type in ("airport", "seaport"):
        transit = c["in_transit_removal"]
        if type(transit) is Unknown:
            unknown = True
        elif not transit:
            return NOT_APPLICABLE
    elif entry_type in ("between_ports", "inland"):
        # an inland claim counts after a crossing between ports (Protocol para. 1);
        # Kleene: a known failing date decides even when the crossing is unknown
        crossed = c["crossed_at"] if entry_type == "inland" else "between_ports"
        entry = c["entry_date"]
        if type(crossed) is not Unknown and crossed != "between_ports":
            return NOT_APPLICABLE
        if type(entry) is not Unknown and (entry < PROTOCOL or not 0 <= (claim - entry).days <= 14):
            return NOT_APPLICABLE
        if type(crossed) is Unknown or type(entry) is Unknown:
            unknown = True
    elif entry_type != "land_port_of_entry":
        return NOT_APPLICABLE

    nationalities = c["nationalities"]
    if "CAN" in nationalities:
        return NOT_APPLICABLE
    if not nationalities:
        former = c["former_habitual_residence"]
        if type(former) is Unknown:
            unknown = True
        elif former == "CAN":
            return NOT_APPLICABLE
    if "USA" in nationalities:
        return NOT_APPLICABLE

    held = []
    # 8 CFR 208.30(e)(6)(iii): every listed exception, (F) included, needs "not being removed
    # from Canada in transit"; a between-ports crossing is not one; otherwise an unknown
    # transit status leaves the exceptions unestablished
    not_transit = (entry_type == "between_ports"
                   or (entry_type == "inland" and c["crossed_at"] == "between_ports")
                   or c["in_transit_removal"] is False)
    relatives = c["relatives"]
    known_relatives = type(relatives) is not Unknown
    if not_transit and known_relatives and any(r["relation"] in STCA_FAMILY and r["location"] == "USA"
                               and r["status"] in STCA_LAWFUL for r in relatives):
        held.append("family_member_with_lawful_status")
    if not_transit and known_relatives:
        for r in relatives:
            if (r["relation"] in STCA_FAMILY and r["location"] == "USA"
                    and r["status"] == "pending_claim" and type(r["age"]) is not Unknown
                    and r["age"] >= 18):
                held.append("family_member_with_pending_claim")
                break
    age = c["age"]
    if (not_transit and type(age) is not Unknown and age < 18 and c["has_spouse"] is False
            and c["accompanied_by_parent_or_guardian"] is False and known_relatives
            and not any(r["relation"] in PARENT_OR_GUARDIAN and r["location"] in ("USA", "CAN")
                        for r in relatives)):
        held.append("unaccompanied_minor")
    if _unaccompanied_alien_child(c):       # INA 208(a)(2)(E): no transit condition
        held.append("unaccompanied_child")
    if not_transit and _stca_valid_visa(c):
        held.append("valid_visa")
    if not_transit and c["public_interest_waiver"] is True:
        held.append("public_interest")
    if unknown:
        return ("undetermined", tuple(held), None)
    if held:
        return ("exempt", tuple(held), None)
    return ("applies", (), "CAN")


def _unaccompanied_alien_child(c: dict) -> bool:
    """common.unaccompanied_alien_child (6 U.S.C. 279(g)(2)) where it is known to hold."""
    age = c["age"]
    if type(age) is Unknown or age >= 18 or c["immigration_status"] != "none":
        return False
    relatives = c["relatives"]
    no_parent_in_us = (c["accompanied_by_parent_or_guardian"] is False and type(relatives) is not Unknown
                       and not any(r["relation"] in PARENT_OR_GUARDIAN and r["location"] == "USA"
                                   for r in relatives))
    return no_parent_in_us or c["parent_in_us_available_for_custody"] is False


def _stca_valid_visa(c: dict) -> bool:
    documents = c["documents"]
    if type(documents) is not Unknown:
        for d in documents:
            if (d["issued_by"] == "USA" and d["kind"] in ADMISSION_DOCUMENTS and d["valid"]
                    and d["transit_only"] is False):
                return True
    exempt_for = c["visa_exempt_for"]
    return type(exempt_for) is not Unknown and "CAN" not in exempt_for and "USA" in exempt_for


# ============================================================================================
# Timing
# ============================================================================================

def time_passes(fn, items: list, repeats: int, budget: float = SLOW_PASS_SECONDS):
    """Median seconds per item over `repeats` passes; slow engines run on a prefix of `items`
    sized to about `budget` seconds a pass. Returns (µs per item, items timed)."""
    probe = items[: min(len(items), 500)]
    start = CLOCK()
    for item in probe:
        fn(item)
    per = (CLOCK() - start) / max(1, len(probe))
    subset = items
    if per * len(items) > budget:
        subset = items[: max(len(probe), int(budget / per))]
    samples = []
    for _ in range(repeats):
        start = CLOCK()
        for item in subset:
            fn(item)
        samples.append((CLOCK() - start) / len(subset))
    return statistics.median(samples) * 1e6, len(subset)


def time_alternating(first, second, items_first: list, items_second: list, repeats: int):
    """`first(items_first)` and `second(items_second)` (functions over the whole list)
    timed in alternating passes, so that a change of load on the shared machine weighs
    on both alike. Returns (median µs per item of each, median of the pass-by-pass ratios
    second ÷ first)."""
    pairs = []
    for _ in range(repeats):
        times = []
        for run, items in ((first, items_first), (second, items_second)):
            start = CLOCK()
            run(items)
            times.append((CLOCK() - start) / len(items) * 1e6)
        pairs.append(times)
    return (statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs),
            statistics.median(b / a for a, b in pairs))


def check_within(fn, items: list, budget: float) -> tuple[list, int]:
    """fn over items, stopping after `budget` seconds (only the slowest peers reach it)."""
    out = []
    deadline = time.perf_counter() + budget
    for index, item in enumerate(items):
        out.append(fn(item))
        if index % 256 == 255 and time.perf_counter() > deadline:
            break
    return out, len(out)


def decision_tuple(decisions, agreement: str) -> tuple:
    for d in decisions:
        if d.agreement == agreement:
            return (d.outcome, tuple(d.exceptions), d.returns_to)
    raise KeyError(agreement)


def mismatches(expected: list, actual: list) -> tuple[int, str | None]:
    bad = [(i, e, a) for i, (e, a) in enumerate(zip(expected, actual)) if e != a]
    first = None
    if bad:
        i, e, a = bad[0]
        first = f"record #{i}: baseline {e}, engine {a}"
    return len(bad), first


class Table:
    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple] = []

    def add(self, engine: str, records: str, us: float | None, base_us: float | None,
            note: str = "") -> None:
        ratio = f"{us / base_us:.2f}" if us is not None and base_us else "—"
        self.rows.append((engine, records, f"{us:.2f}" if us is not None else "—", ratio, note))

    def print(self) -> None:
        print(f"\n{self.title}")
        print(TABLE_HEADER)
        print("-" * len(TABLE_HEADER))
        for engine, records, us, ratio, note in self.rows:
            print(f"{engine:<44} {records:>16} {us:>11} {ratio:>11}" + (f"   {note}" if note else ""))


def _count(label: str, n: int, total: int) -> str:
    return f"{n:,}" if n == total else f"{n:,} {label}"


# ============================================================================================
# Benchmark parts
# ============================================================================================

def bench_simplified(n: int, seed: int, repeats: int, skip_peers: bool) -> dict:
    policy = rulelang.load(str(SIMPLIFIED))
    record_type = policy.program.input_type
    raw = simplified_records(n, seed, record_type)
    values = validated(raw, record_type)
    known = [is_complete(v) for v in values]
    complete = [v for v, k in zip(values, known) if k]
    complete_raw = [r for r, k in zip(raw, known) if k]
    expected = [simplified_baseline(v) for v in values]
    expected_complete = [simplified_baseline(v) for v in complete]
    outcomes = {}
    for outcome, *_ in expected:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"\n== simplified_stca: {n:,} records (seed {seed}), {len(complete):,} with every fact known")
    print("   outcomes (baseline): " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    missing_outcomes = {"not_in_force", "not_applicable", "exempt", "applies", "undetermined"} - set(outcomes)
    if missing_outcomes:
        print(f"   WARNING: outcomes that never occur: {', '.join(sorted(missing_outcomes))}")

    name = "simplified_stca"
    compiled = policy.compiled.decide

    def evaluate(record: dict):                     # validation + the interpreter, with traces
        return policy.evaluate(record, trace=True)  # (evaluate is compiled unless asked)

    def evaluate_many(records: list) -> None:       # validation + compiled decisions, streamed
        for _ in policy.evaluate_many(records):
            pass

    def compiled_passes(values: list) -> None:      # the compiled decide, one call a record
        for value in values:
            compiled(value)

    def validated_decide(record: dict):             # the same two steps, without the API layer
        return compiled(validate_dict(record, record_type).value)

    checks = {
        "compiled rulelang": [decision_tuple(compiled(v), name) for v in values],
        "evaluate_many": [decision_tuple(d, name) for d in policy.evaluate_many(raw)],
        "Policy.evaluate (interpreter, traces)": [decision_tuple(evaluate(r), name) for r in raw],
    }
    bad = {}
    for label, got in checks.items():
        bad[label], first = mismatches(expected, got)
        print(f"   check: {label} vs baseline: {bad[label]} mismatches in {n:,} records"
              + (f" (first: {first})" if first else ""))
    full_expected = [simplified_baseline_decision(v).to_json(trace=False) for v in values]
    full_got = [compiled(v)[0].to_json(trace=False) for v in values]
    fbad, ffirst = mismatches(full_expected, full_got)
    print(f"   check: compiled rulelang vs the full-decision baseline, every field: {fbad} mismatches "
          f"in {n:,} records" + (f" (first: {ffirst})" if ffirst else ""))

    def rulelang_rows(table: Table, values: list, raw: list) -> dict:
        total = len(values)
        base_us, _ = time_passes(simplified_baseline, values, repeats, budget=1e9)
        full_us, _ = time_passes(simplified_baseline_decision, values, repeats, budget=1e9)
        # issue 10's ratio: the two timed in alternation (ALTERNATIONS pairs of passes)
        comp_us, many_us, many_ratio = time_alternating(compiled_passes, evaluate_many, values, raw,
                                                        max(repeats, ALTERNATIONS))
        floor_us, _ = time_passes(validated_decide, raw, repeats, budget=1e9)
        eval_us, eval_n = time_passes(evaluate, raw, repeats)
        table.add("hand-written Python function (answer only)", f"{total:,}", base_us, base_us)
        table.add("hand-written Python, full Decision", f"{total:,}", full_us, base_us)
        table.add("rulelang compiled decide (validated before)", f"{total:,}", comp_us, base_us,
                  "" if bad["compiled rulelang"] == 0 and fbad == 0 else "MISMATCHES")
        table.add("rulelang validate_dict + compiled decide", f"{total:,}", floor_us, base_us,
                  "the two steps of evaluate_many, no API layer")
        table.add("rulelang evaluate_many (validation incl.)", f"{total:,}", many_us, base_us,
                  "" if bad["evaluate_many"] == 0 else "MISMATCHES")
        table.add("rulelang Policy.evaluate (interpreter, traces)", _count("subset", eval_n, total),
                  eval_us, base_us, "" if bad["Policy.evaluate (interpreter, traces)"] == 0 else "MISMATCHES")
        return {"baseline": base_us, "baseline_full": full_us, "compiled": comp_us,
                "validate_and_decide": floor_us, "evaluate_many": many_us, "evaluate": eval_us,
                "evaluate_many_ratio": many_ratio}

    everything = Table(f"simplified_stca, every record ({n:,}, {n - len(complete):,} with unknown facts; "
                       f"median of {repeats} passes)")
    results = {"all_records": rulelang_rows(everything, values, raw), "full_mismatches": fbad,
               "compiled_mismatches": bad["compiled rulelang"],
               "evaluate_many_mismatches": bad["evaluate_many"],
               "interpreter_mismatches": bad["Policy.evaluate (interpreter, traces)"], "peers": {}}
    everything.print()

    table = Table(f"simplified_stca, the same {len(complete):,} records (every fact known) for every "
                  f"engine; median of {repeats} passes")
    mine = results["complete_records"] = rulelang_rows(table, complete, complete_raw)
    if skip_peers:
        table.add("peers", "—", None, None, "skipped (--skip-peers)")
    for peer_class in [] if skip_peers else PEERS:
        results["peers"][peer_class.label] = run_peer(peer_class(), table, complete, expected_complete,
                                                      repeats, mine["baseline"])
    table.print()
    print("   × baseline: µs/record against the hand-written function on the same records.")
    print_targets(mine, results["peers"])
    return results


def run_peer(peer, table: Table, complete: list, expected: list, repeats: int, base_us: float):
    """Check one peer on every complete record (within a time budget), then time it."""
    try:
        peer.setup()
    except ImportError:
        table.add(peer.label, "—", None, None, "not installed (pip install -e '.[bench]')")
        return None
    except Exception as error:  # a peer that cannot compile our rules: say so, go on
        table.add(peer.label, "—", None, None, f"setup failed: {type(error).__name__}: {error}")
        return None
    prepared = [peer.prepare(v) for v in complete]
    try:
        got, checked = check_within(peer.decide, prepared, CHECK_BUDGET_SECONDS)
    except Exception as error:
        table.add(peer.label, "—", None, None, f"failed: {type(error).__name__}: {str(error)[:80]}")
        return None
    pbad, pfirst = mismatches(expected[:checked], got)
    capped = f" (the first {checked:,}: check capped at {CHECK_BUDGET_SECONDS:.0f} s)" \
        if checked < len(prepared) else ""
    print(f"   check: {peer.label} vs baseline: {pbad} mismatches in {checked:,} records{capped}"
          + (f" (first: {pfirst})" if pfirst else ""))
    us, timed = time_passes(peer.decide, prepared, repeats)
    table.add(peer.label, _count("subset", timed, len(prepared)), us, base_us,
              "" if pbad == 0 else f"{pbad} MISMATCHES")
    return {"us": us, "mismatches": pbad, "records": timed}


def print_targets(mine: dict, peers: dict) -> None:
    """Issue 10's three targets, read off the table just printed (same run, same records)."""
    timed = {label: p["us"] for label, p in peers.items() if p and p["mismatches"] == 0}
    print("   targets (issue 10):")
    if timed:
        fastest = min(timed, key=timed.get)
        ratio = timed[fastest] / mine["compiled"]
        print(f"     compiled decide vs the fastest peer ({fastest}): {ratio:.2f}× faster "
              f"(target ≥ 2): {'met' if ratio >= 2 else 'NOT met'}")
    ratio = mine["evaluate_many_ratio"]
    floor = mine["validate_and_decide"] / mine["compiled"]
    print(f"     evaluate_many / compiled decide, timed in alternation: {ratio:.2f}× (target ≤ 2): "
          f"{'met' if ratio <= 2 else 'NOT met'}; validate_dict + decide / decide: {floor:.2f}×")
    cedar = timed.get(Cedar.label)
    if cedar:
        ratio = cedar / mine["evaluate"]
        print(f"     Policy.evaluate (interpreter, traces) vs cedarpy: {ratio:.2f}× faster "
              f"(target ≥ 2): {'met' if ratio >= 2 else 'NOT met'}")


def bench_stca_us(n: int, seed: int, repeats: int) -> dict:
    policy = rulelang.load("stdlib:stca_us")
    record_type = policy.program.input_type
    values = validated(list(stca_us_records(n, seed, record_type)), record_type)
    expected = [stca_us_baseline(v) for v in values]
    outcomes = {}
    for outcome, *_ in expected:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"\n== stdlib:stca_us: {n:,} records (seed {seed})")
    print("   outcomes (baseline): " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    compiled = policy.compiled.decide
    got = [decision_tuple(compiled(v), "stca_us") for v in values]
    bad, first = mismatches(expected, got)
    print(f"   check: compiled rulelang vs baseline: {bad} mismatches in {n:,} records"
          + (f" (first: {first})" if first else ""))
    interp = lambda v: policy._decide(v, None, None, None, trace=True)  # noqa: E731
    interp_got = [decision_tuple(interp(v), "stca_us") for v in values]
    ibad, ifirst = mismatches(expected, interp_got)
    print(f"   check: interpreter (traces) vs baseline: {ibad} mismatches in {n:,} records"
          + (f" (first: {ifirst})" if ifirst else ""))
    table = Table(f"stdlib:stca_us ({n:,} records; median of {repeats} passes)")
    base_us, _ = time_passes(stca_us_baseline, values, repeats, budget=1e9)
    table.add("hand-written Python (baseline)", f"{n:,}", base_us, base_us)
    comp_us, _ = time_passes(compiled, values, repeats, budget=1e9)
    table.add("rulelang compiled (no trace)", f"{n:,}", comp_us, base_us,
              "" if bad == 0 else f"{bad} MISMATCHES")
    int_us, int_n = time_passes(interp, values, repeats)
    table.add("rulelang interpreter (with traces)", _count("subset", int_n, n), int_us, base_us,
              "" if ibad == 0 else f"{ibad} MISMATCHES")
    table.add("peers", "—", None, None, "not encoded for stca_us (see simplified_stca)")
    table.print()
    return {"baseline": base_us, "compiled": comp_us, "interpreter": int_us,
            "compiled_mismatches": bad, "interpreter_mismatches": ibad}


def _rulelang_command() -> list[str]:
    exe = shutil.which("rulelang")
    if exe:
        return [exe]
    return [sys.executable, "-c", "from rulelang.cli import main; main()"]


def _median_wall(cmd: list[str], runs: int) -> tuple[float, int]:
    samples, rc = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
        rc = rc or proc.returncode
    return statistics.median(samples), rc


def bench_cli(runs: int) -> dict:
    base = _rulelang_command()
    check_s, check_rc = _median_wall(base + ["check", "stdlib:all"], runs)
    help_s, help_rc = _median_wall(base + ["--help"], runs)
    python_s, _ = _median_wall([sys.executable, "-c", "pass"], runs)
    print(f"\n== command line (wall time, median of {runs} runs)")
    print(f"   rulelang check stdlib:all   {check_s * 1000:8.0f} ms   (exit {check_rc})")
    print(f"   rulelang --help             {help_s * 1000:8.0f} ms   (exit {help_rc})")
    print(f"   python -c pass (reference)  {python_s * 1000:8.0f} ms")
    return {"check_s": check_s, "check_rc": check_rc, "help_s": help_s, "python_s": python_s}


def bench_stream(n: int, seed: int) -> dict:
    policy = rulelang.load("stdlib:stca_us")
    path = Path(tempfile.gettempdir()) / f"rulelang_bench_stca_us_{n}_{seed}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".part")
        with tmp.open("w") as out:
            for record in stca_us_records(n, seed, policy.program.input_type):
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
        tmp.replace(path)
    size_mb = path.stat().st_size / 1e6
    cmd = _rulelang_command() + ["run", "stdlib:stca_us", str(path), "--format", "jsonl"]
    use_time = Path("/usr/bin/time").exists()
    if use_time:
        cmd = ["/usr/bin/time", "-v"] + cmd
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if use_time:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        rss_mb = int(match.group(1)) / 1024 if match else float("nan")
        code = re.search(r"Exit status: (\d+)", proc.stderr)
        rc = int(code.group(1)) if code else proc.returncode
    else:  # pragma: no cover - a machine without GNU time
        import resource

        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rc = proc.returncode
    print("\n== streaming: rulelang run stdlib:stca_us FILE --format jsonl > /dev/null")
    print(f"   {n:,} records ({size_mb:.0f} MB JSONL at {path}), exit {rc}")
    print(f"   wall {wall:.1f} s, {n / wall:,.0f} records/s, peak RSS {rss_mb:.0f} MB")
    return {"records": n, "wall_s": wall, "records_per_s": n / wall, "rss_mb": rss_mb, "rc": rc}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=None, help="records per data set (default 100000)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--skip-peers", action="store_true", help="do not run the peer engines")
    parser.add_argument("--skip-stream", action="store_true", help="skip the 1M-record streaming run")
    parser.add_argument("--stream-records", type=int, default=None, help="default 1000000")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    n = args.records or (2_000 if args.quick else 100_000)
    repeats = 3 if args.quick else REPEATS
    stream_n = args.stream_records or (5_000 if args.quick else 1_000_000)

    print(f"rulelang benchmarks — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"records {n:,}, seed {args.seed}")
    results = {"records": n, "seed": args.seed}
    results["simplified"] = bench_simplified(n, args.seed, repeats, args.skip_peers)
    results["stca_us"] = bench_stca_us(n, args.seed + 1, repeats)
    results["cli"] = bench_cli(1 if args.quick else 5)
    if args.skip_stream:
        print("\n== streaming: skipped (--skip-stream)")
    else:
        results["stream"] = bench_stream(stream_n, args.seed + 2)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    failed = results["simplified"]["compiled_mismatches"] or results["stca_us"]["compiled_mismatches"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
