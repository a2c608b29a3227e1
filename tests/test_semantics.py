"""The reference semantics (interpret.py), exercised through the public API on
small self-contained rule programs.

Most tests read a boolean through an agreement named `probe` whose one scope
condition is the expression under test: `applies` means true,
`not_applicable` false, and `undetermined` unknown (with `missing` naming the
facts). Other values are checked with `test` blocks and `Policy.run_tests()`.
"""

from __future__ import annotations

import functools

import pytest

import rulelang
from rulelang.records import InvalidRecord

SCHEMA = """
enum Entry { port, between, inland }

record Rel {
  kind: Entry
  age: int?
}

record Case {
  id: text
  claim_date: date
  a: bool?
  b: bool?
  c: bool?
  n: int?
  m: int?
  d1: date?
  wait: duration?
  entry: Entry?
  xs: list<int>?
  rels: list<Rel>?
  tags: set<text>?
  home: country?
}

input case: Case as_of claim_date
"""

U = "unknown"  # a third truth value, for the tables below
CLAIM = "2024-06-01"


@functools.lru_cache(maxsize=None)
def load(text: str) -> rulelang.Policy:
    return rulelang.load(SCHEMA + text)


def agreement(cond: str, *, body: str = "", timeline: str = "2000-01-01 in_force",
              name: str = "probe") -> str:
    return f"""
agreement {name} "probe" {{
  parties USA, CAN
  returns_to CAN
  cite "Art. 1"
  timeline {{
    {timeline}
  }}
  applies when {{
    {cond}
  }}
{body}
}}
"""


def record(**fields) -> dict:
    """A record with the required fields; None means: leave the field out (unknown)."""
    out = {"id": "t-1", "claim_date": CLAIM}
    out.update({k: v for k, v in fields.items() if v is not None})
    return out


def decide(cond: str, *, rules: str = "", body: str = "", timeline: str = "2000-01-01 in_force",
           as_of=None, assume=None, **fields) -> rulelang.Decision:
    policy = load(rules + agreement(cond, body=body, timeline=timeline))
    rec = record(**fields)
    try:
        [decision] = policy.evaluate(rec, as_of=as_of, assume=assume, trace=True)
    except rulelang.RuleEvaluationError as error:
        # the compiled path (evaluate_many) must fail the same way, without stopping
        [compiled] = policy.evaluate_many([rec], as_of=as_of, assume=assume)
        assert isinstance(compiled, InvalidRecord), compiled
        assert compiled.code == error.diagnostics[0].code
        raise
    # evaluate() is the interpreter (the reference); evaluate_many() the compiled
    # program: they must agree on every field but the trace
    [[compiled]] = policy.evaluate_many([rec], as_of=as_of, assume=assume)
    assert compiled.fields_equal(decision), (compiled.to_json(False), decision.to_json(False))
    return decision


def truth(decision: rulelang.Decision):
    """The scope condition's value, read back from the outcome."""
    mapping = {"applies": True, "not_applicable": False, "undetermined": U}
    assert decision.outcome in mapping, decision
    return mapping[decision.outcome]


def value(cond: str, **fields):
    return truth(decide(cond, **fields))


def run_tests(text: str) -> list:
    return load(text).run_tests()


def assert_tests_pass(text: str) -> None:
    results = run_tests(text)
    assert results, "no tests ran"
    problems = [(r.name, [f.message for f in r.failures], r.error) for r in results if not r.passed]
    assert not problems, problems


# ---- Kleene logic -------------------------------------------------------------------

AS_FIELD = {True: True, False: False, U: None}  # None: the field is absent

# Kleene's strong three-valued tables, written out.
AND = {(True, True): True, (True, False): False, (True, U): U,
       (False, True): False, (False, False): False, (False, U): False,
       (U, True): U, (U, False): False, (U, U): U}
OR = {(True, True): True, (True, False): True, (True, U): True,
      (False, True): True, (False, False): False, (False, U): U,
      (U, True): True, (U, False): U, (U, U): U}
NOT = {True: False, False: True, U: U}


@pytest.mark.parametrize("a,b", sorted(AND, key=repr))
def test_and_truth_table(a, b):
    d = decide("case.a and case.b", a=AS_FIELD[a], b=AS_FIELD[b])
    assert truth(d) == AND[(a, b)]
    if AND[(a, b)] == U:
        assert set(d.missing) == {n for n, v in (("a", a), ("b", b)) if v == U}
    else:
        assert d.missing == ()


@pytest.mark.parametrize("a,b", sorted(OR, key=repr))
def test_or_truth_table(a, b):
    d = decide("case.a or case.b", a=AS_FIELD[a], b=AS_FIELD[b])
    assert truth(d) == OR[(a, b)]
    if OR[(a, b)] == U:
        assert set(d.missing) == {n for n, v in (("a", a), ("b", b)) if v == U}
    else:
        assert d.missing == ()


@pytest.mark.parametrize("a", [True, False, U], ids=repr)
def test_not_truth_table(a):
    d = decide("not case.a", a=AS_FIELD[a])
    assert truth(d) == NOT[a]
    assert d.missing == (("a",) if a == U else ())


def test_kleene_is_commutative_for_unknown_and_false():
    # `unknown and false` must be false whichever side is evaluated first
    assert value("case.a and false", a=None) is False
    assert value("false and case.a", a=None) is False
    assert value("case.a or true", a=None) is True
    assert value("true or case.a", a=None) is True


def test_missing_lists_only_the_facts_the_outcome_hangs_on():
    # b is unknown but irrelevant (a or b is true through a): not listed
    d = decide("(case.a or case.b) and case.c", a=True, b=None, c=None)
    assert d.outcome == "undetermined"
    assert d.missing == ("c",)


def test_missing_facts_are_sorted_field_paths():
    d = decide("case.n > 1 and case.a", n=None, a=None)
    assert d.missing == ("a", "n")


def test_unknown_conjunct_beside_a_false_one_is_not_applicable():
    d = decide("case.a\n    case.b", a=None, b=False)
    assert d.outcome == "not_applicable"
    assert d.missing == ()


# ---- strict operators, ?? and known() ------------------------------------------------------

@pytest.mark.parametrize("cond", [
    "case.n + 1 > 3",
    "case.n * 2 == 4",
    "case.n - case.m < 0",
    "case.n == case.m",
    "case.n != 0",
    "case.home == MEX",
    "case.home in {MEX, GTM}",
    "case.d1 < 2024-01-01",
    "case.claim_date - case.d1 <= 14 days",
    "-case.n < 0",
    "len(case.xs) > 0",
    "case.entry == port",
])
def test_strict_operators_propagate_unknown(cond):
    d = decide(cond, n=None, m=None, home=None, d1=None, xs=None, entry=None)
    assert d.outcome == "undetermined"
    assert d.missing  # names the absent operand(s)
    assert set(d.missing) <= {"n", "m", "home", "d1", "xs", "entry"}


def test_strict_operator_names_exactly_the_unknown_operand():
    d = decide("case.n - case.m < 0", n=3, m=None)
    assert d.missing == ("m",)
    d = decide("case.n - case.m < 0", n=None, m=None)
    assert d.missing == ("m", "n")


def test_strict_operators_with_known_operands():
    assert value("case.n + 1 > 3", n=3) is True
    assert value("case.n + 1 > 3", n=2) is False


@pytest.mark.parametrize("n,expected", [(None, True), (10, False), (6, True)])
def test_coalesce_replaces_only_unknown(n, expected):
    # unknown ?? 5 is 5; a known value is kept
    assert value("case.n ?? 5 > 4 and case.n ?? 5 < 7", n=n) is expected


def test_coalesce_does_not_evaluate_to_unknown():
    d = decide("case.a ?? false", a=None)
    assert d.outcome == "not_applicable"
    assert d.missing == ()


@pytest.mark.parametrize("n,expected", [(None, False), (0, True)])
def test_known(n, expected):
    d = decide("known(case.n)", n=n)
    assert truth(d) is expected
    assert d.missing == ()


def test_known_of_an_unknown_boolean_expression():
    assert value("known(case.a and case.b)", a=False, b=None) is True   # false and unknown = false
    assert value("known(case.a and case.b)", a=True, b=None) is False


# ---- timeline ---------------------------------------------------------------------------

# (timeline, event date, status on the day before, status on the day and after)
TIMELINES = {
    "signed": ("2020-03-10 signed", "2020-03-10", "not_yet_in_force", "not_yet_in_force"),
    "in_force": ("2020-01-01 signed\n    2020-03-10 in_force", "2020-03-10",
                 "not_yet_in_force", "in_force"),
    "amended": ("2020-01-01 in_force\n    2020-03-10 amended \"protocol\"", "2020-03-10",
                "in_force", "in_force"),
    "suspended": ("2020-01-01 in_force\n    2020-03-10 suspended", "2020-03-10",
                  "in_force", "suspended"),
    "resumed": ("2020-01-01 in_force\n    2020-02-01 suspended\n    2020-03-10 resumed", "2020-03-10",
                "suspended", "in_force"),
    "terminated": ("2020-01-01 in_force\n    2020-03-10 terminated", "2020-03-10",
                   "in_force", "terminated"),
    "proposed": ("2020-03-10 proposed \"announced in a press release\"", "2020-03-10",
                 "not_yet_in_force", "proposed"),
}

_DAY = {"before": "2020-03-09", "on": "2020-03-10", "after": "2020-03-11"}


@pytest.mark.parametrize("kind", sorted(TIMELINES))
@pytest.mark.parametrize("when", ["before", "on", "after"])
def test_timeline_status_around_each_event(kind, when):
    timeline, event_date, before, from_then = TIMELINES[kind]
    assert _DAY["on"] == event_date
    d = decide("true", timeline=timeline, as_of=_DAY[when])
    expected = before if when == "before" else from_then
    assert d.status == expected
    assert d.as_of.isoformat() == _DAY[when]
    assert d.outcome == ("applies" if expected == "in_force" else "not_in_force")
    if d.outcome == "not_in_force":
        assert d.returns_to is None


def test_as_of_defaults_to_the_claim_date():
    timeline = "2020-01-01 in_force\n    2020-03-10 terminated"
    assert decide("true", timeline=timeline, claim_date="2020-03-09").status == "in_force"
    assert decide("true", timeline=timeline, claim_date="2020-03-10").status == "terminated"
    # an explicit as_of (a string or a date) wins over the claim date
    import datetime
    d = decide("true", timeline=timeline, claim_date="2020-03-10", as_of=datetime.date(2020, 3, 9))
    assert d.status == "in_force" and d.outcome == "applies"


@pytest.mark.parametrize("timeline", ["2020-03-10 proposed \"draft\"",
                                      "2020-01-01 in_force\n    2020-03-10 suspended"])
def test_assume_in_force_evaluates_a_proposed_or_suspended_agreement(timeline):
    plain = decide("case.a", timeline=timeline, as_of="2021-01-01", a=True)
    assert plain.outcome == "not_in_force"
    assumed = decide("case.a", timeline=timeline, as_of="2021-01-01", assume="in_force", a=True)
    assert assumed.status == plain.status != "in_force"   # the status is reported as it is
    assert assumed.outcome == "applies" and assumed.returns_to == "CAN"
    assert assumed.assumed == "in_force"
    assert assumed.to_json()["assumed"] == "in_force"
    # the scope is still evaluated under the assumption
    assert decide("case.a", timeline=timeline, as_of="2021-01-01", assume="in_force",
                  a=False).outcome == "not_applicable"


def test_assume_on_an_agreement_in_force_changes_nothing():
    d = decide("true", assume="in_force")
    assert d.status == "in_force" and d.assumed is None and "assumed" not in d.to_json()


def test_assume_rejects_other_values():
    with pytest.raises(ValueError):
        decide("true", assume="suspended")


def test_test_block_as_of_and_assume():
    timeline = "2020-03-10 proposed \"draft\""
    assert_tests_pass(agreement("true", timeline=timeline) + """
test "proposed, so not in force" {
  given case = { id: "x", claim_date: 2021-01-01 }
  expect probe.status == proposed
  expect probe.outcome == not_in_force
}

test "assumed in force" {
  given case = { id: "x", claim_date: 2021-01-01 }
  assume in_force
  expect probe.outcome == applies
}

test "as of a date before the proposal" {
  given case = { id: "x", claim_date: 2021-01-01 }
  as_of 2020-03-09
  expect probe.status == not_yet_in_force
}
""")


# ---- dated clauses ------------------------------------------------------------------------

DATED_SCOPE = 'case.a\n    case.b from 2023-03-25 until 2023-12-31 cite "protocol"'


@pytest.mark.parametrize("as_of,b_counts", [
    ("2023-03-24", False), ("2023-03-25", True), ("2023-12-31", True), ("2024-01-01", False)])
def test_dated_conjunct_counts_only_inside_its_window(as_of, b_counts):
    # b is false: it makes the case not applicable only while the clause is law
    d = decide(DATED_SCOPE, as_of=as_of, a=True, b=False)
    assert d.outcome == ("not_applicable" if b_counts else "applies")
    step = next(s for s in d.trace if s.label == "applies when #2")
    if b_counts:
        assert step.value is False and step.inactive is None
    else:
        assert step.value is None and step.inactive == "from 2023-03-25 until 2023-12-31"
        assert step.to_json()["note"] == f"not in force on {as_of} (from 2023-03-25 until 2023-12-31)"


DATED_EXCEPTION = 'exception waiver when case.c from 2021-01-01 until 2021-06-30 cite "Art. 6"'


@pytest.mark.parametrize("as_of,in_window", [
    ("2020-12-31", False), ("2021-01-01", True), ("2021-06-30", True), ("2021-07-01", False)])
def test_dated_exception_holds_only_inside_its_window(as_of, in_window):
    d = decide("true", body=DATED_EXCEPTION, as_of=as_of, c=True)
    if in_window:
        assert d.outcome == "exempt" and d.exceptions == ("waiver",)
    else:
        assert d.outcome == "applies" and d.exceptions == ()


def test_dated_clause_uses_the_evaluation_date_not_the_case_dates():
    # the claim date is inside the window, the evaluation date is not
    d = decide("true", body=DATED_EXCEPTION, claim_date="2021-03-01", as_of="2022-01-01", c=True)
    assert d.outcome == "applies"
    d = decide("true", body=DATED_EXCEPTION, claim_date="2021-03-01", c=True)
    assert d.outcome == "exempt"


def test_dated_rule_default_outside_its_window_is_unknown():
    rules = """
rule limit: int? {
  default 10 from 2022-01-01
}
"""
    assert value("limit == 10", rules=rules, claim_date="2022-01-01") is True
    assert value("limit == 10", rules=rules, claim_date="2021-12-31") == U


def test_a_rule_outside_its_dates_is_unknown_and_the_decision_says_why():
    # outside its window the default is unknown without any missing field: the scope
    # condition is still unknown, not true (regression: it used to give `applies`), and
    # `missing` names the reason rather than nothing
    rules = """
rule limit: int? {
  default 10 from 2022-01-01
}
"""
    d = decide("limit == 10", rules=rules, claim_date="2021-12-31")
    assert d.outcome == "undetermined"
    assert d.missing == ("rule `limit` is not in force on 2021-12-31",)
    d = decide("true", rules=rules, claim_date="2021-12-31",
               body='  exception capped when limit == 10 burden state cite "x"')
    assert d.outcome == "undetermined"
    d = decide("true", rules=rules, claim_date="2022-01-01",
               body='  exception capped when limit == 10 burden state cite "x"')
    assert d.outcome == "exempt" and d.exceptions == ("capped",)


# ---- durations and dates -------------------------------------------------------------------

def test_month_and_year_arithmetic():
    assert_tests_pass("""
test "calendar arithmetic" {
  given case = { id: "x", claim_date: 2023-01-31 }
  expect case.claim_date + 1 month == 2023-02-28
  expect 2024-01-31 + 1 month == 2024-02-29
  expect 2024-03-31 - 1 month == 2024-02-29
  expect 2024-02-29 + 1 year == 2025-02-28
  expect 2024-02-29 + 4 years == 2028-02-29
  expect 2024-02-28 + 1 day == 2024-02-29
  expect 2023-02-28 + 1 day == 2023-03-01
  expect 2023-12-31 + 1 day == 2024-01-01
  expect 2024-01-01 + 2 weeks == 2024-01-15
}
""")


def test_month_arithmetic_is_not_associative_at_month_ends():
    # (31 Jan + 1 month) + 1 month is 28 March, but 31 Jan + 2 months is 31 March
    assert_tests_pass("""
test "clipping at the month end is per step" {
  given case = { id: "x", claim_date: 2023-01-31 }
  expect case.claim_date + 1 month + 1 month == 2023-03-28
  expect case.claim_date + 2 months == 2023-03-31
}
""")


def test_date_minus_date_is_days():
    assert_tests_pass("""
test "date - date" {
  given case = { id: "x", claim_date: 2024-03-01 }
  expect case.claim_date - 2024-02-01 == 29 days
  expect 2023-03-01 - 2023-02-01 == 28 days
  expect 2025-01-01 - 2024-01-01 == 366 days
  expect 2024-01-01 - 2023-01-01 == 365 days
  expect 2024-01-01 - 2024-01-02 == -1 day
  expect 2024-01-01 - 2024-01-01 == 0 days
}
""")


@pytest.mark.parametrize("entry,within", [
    ("2024-03-01", True),    # exactly 14 days before the claim
    ("2024-02-29", False),   # 15 days (leap day in between)
    ("2024-03-15", True),    # same day
])
def test_fourteen_day_boundary(entry, within):
    d = decide("case.claim_date - case.d1 <= 14 days", claim_date="2024-03-15", d1=entry)
    assert truth(d) is within


def test_strictly_less_than_fourteen_days():
    assert value("case.claim_date - case.d1 < 14 days", claim_date="2024-03-15", d1="2024-03-01") is False
    assert value("case.claim_date - case.d1 < 14 days", claim_date="2024-03-15", d1="2024-03-02") is True


def test_comparing_days_with_months_is_a_check_error():
    with pytest.raises(rulelang.RuleTypeError) as info:
        load(agreement("case.claim_date - case.d1 <= 1 month"))
    assert "RL0309" in [d.code for d in info.value.diagnostics]
    with pytest.raises(rulelang.RuleTypeError) as info:
        load(agreement("14 days < 1 year"))
    assert "RL0309" in [d.code for d in info.value.diagnostics]


def test_comparing_days_with_months_at_run_time_is_an_error_not_a_guess():
    # the checker cannot tell what a duration field holds; the interpreter refuses
    assert value("case.wait <= 14 days", wait="14 days") is True
    assert value("case.wait <= 14 days", wait="2 weeks") is True
    assert value("case.wait <= 14 days", wait="15 days") is False
    with pytest.raises(rulelang.RuleEvaluationError) as info:
        decide("case.wait <= 14 days", wait="1 month")
    assert info.value.diagnostics[0].code == "RL0309"
    assert not isinstance(info.value, rulelang.ConflictError)


@pytest.mark.parametrize("expr,day,message", [
    ("case.d1 + 1 day", "9999-12-31", "9999-12-31 + 1 day is past year 9999"),
    ("case.d1 + 1 week", "9999-12-25", "9999-12-25 + 7 days is past year 9999"),
    ("case.d1 + 1 month", "9999-12-31", "9999-12-31 + 1 month is past year 9999"),
    ("case.d1 + 1 year", "9999-01-01", "9999-01-01 + 1 year is past year 9999"),
    ("1 month + case.d1", "9999-12-31", "9999-12-31 + 1 month is past year 9999"),
    ("case.d1 - 1 day", "0001-01-01", "0001-01-01 - 1 day is before year 1"),
    ("case.d1 - 2 weeks", "0001-01-13", "0001-01-13 - 14 days is before year 1"),
    ("case.d1 - 1 month", "0001-01-31", "0001-01-31 - 1 month is before year 1"),
    ("case.d1 - 1 year", "0001-12-31", "0001-12-31 - 1 year is before year 1"),
    ("case.d1 + (case.n ?? 0) * 1 month", "2024-01-01",
     "2024-01-01 + 1000000000000000000 months is past year 9999"),
    ("case.d1 - (case.n ?? 0) * 1 day", "2024-01-01",
     "2024-01-01 - 1000000000000000000 days is before year 1"),
])
@pytest.mark.parametrize("where", ["{}", "any r in case.rels: {}", "all r in case.rels: {}",
                                   "(count r in case.rels: {}) > 0"])
def test_a_date_moved_outside_years_1_to_9999_is_an_error_of_the_record(expr, day, message, where):
    # the interpreter and the compiled program alike (decide), at the top and inside a quantifier
    cond = where.format(f"{expr} > 2000-01-01")
    with pytest.raises(rulelang.RuleEvaluationError) as info:
        decide(cond, d1=day, n=10**18, rels=[{"kind": "port"}])
    [diagnostic] = info.value.diagnostics
    assert not isinstance(info.value, rulelang.ConflictError)
    assert (diagnostic.code, diagnostic.message) == ("RL0602", message)
    assert diagnostic.span.text in "+-"


def test_a_date_moved_back_into_years_1_to_9999_is_no_error():
    # months first, then days: only where the date ends must be a date (as in SQL)
    assert_tests_pass("""
test "the ends of the calendar" {
  given case = { id: "x", claim_date: 9999-12-15, d1: 0001-01-15 }
  expect case.claim_date + (1 month - 30 days) == 9999-12-16
  expect case.d1 - (1 month - 30 days) == 0001-01-14
  expect case.claim_date + 16 days == 9999-12-31
  expect case.d1 - 14 days == 0001-01-01
}
""")


def test_years_and_months_compare():
    assert value("case.wait < 1 year", wait="11 months") is True
    assert value("case.wait < 1 year", wait="12 months") is False


# ---- rules: default logic -------------------------------------------------------------------

FEE = """
rule fee: int? {
  default 100
  exception reduced when case.a => 50 cite "s. 2"
  exception waived of reduced when case.b => 0 cite "s. 2(a)"
  exception hardship when case.c => 50 cite "s. 3"
}
"""


@pytest.mark.parametrize("a,b,c,fee", [
    (False, False, False, 100),   # the default
    (True, False, False, 50),     # an exception
    (True, True, False, 0),       # its own exception (`of`) wins over it
    (False, True, False, 100),    # a nested exception only counts when its parent fires
    (False, False, True, 50),
    (True, False, True, 50),      # two exceptions fire with the same value: no conflict
])
def test_rule_exceptions(a, b, c, fee):
    assert value(f"fee == {fee}", rules=FEE, a=a, b=b, c=c) is True


def test_two_exceptions_with_different_values_conflict():
    # reduced fires, and so does waived (0) under it: reduced's value is 0; hardship gives 50
    with pytest.raises(rulelang.ConflictError) as info:
        decide("fee == 0", rules=FEE, a=True, b=True, c=True)
    message = str(info.value)
    assert "reduced" in message and "hardship" in message
    assert "0" in message and "50" in message
    assert info.value.diagnostics[0].code == "RL0601"
    assert isinstance(info.value, rulelang.RuleEvaluationError)


def test_conflict_is_not_silently_resolved_by_evaluate_many():
    policy = load(FEE + agreement("fee == 0"))
    results = list(policy.evaluate_many([record(a=True, b=True, c=True), record(a=True, b=True, c=False)]))
    assert isinstance(results[0], InvalidRecord) and results[0].code == "RL0601"
    assert "reduced" in results[0].message and "hardship" in results[0].message
    assert results[1][0].outcome == "applies"


@pytest.mark.parametrize("a,c,expected,missing", [
    (None, False, U, ("a",)),      # reduced might fire (50 != 100): unknown
    (False, None, U, ("c",)),
    (True, None, 50, ()),          # hardship would give 50 too: the alternatives agree
    (None, True, 50, ()),          # reduced would give 50 too
])
def test_unknown_exception_condition_is_unknown_only_when_alternatives_differ(a, c, expected, missing):
    d = decide("fee == 50", rules=FEE, a=a, b=False, c=c)
    if expected == U:
        assert d.outcome == "undetermined"
        assert d.missing == missing
    else:
        assert d.outcome == "applies"


def test_unknown_nested_exception_makes_the_parent_value_unknown():
    d = decide("fee == 50", rules=FEE, a=True, b=None, c=False)
    assert d.outcome == "undetermined" and d.missing == ("b",)


def test_unknown_exception_with_the_default_value_is_harmless():
    rules = """
rule level: int? {
  default 1
  exception same when case.a => 1 cite "x"
  exception other when case.b => 2 cite "y"
}
"""
    assert value("level == 1", rules=rules, a=None, b=False) is True
    assert value("level == 1", rules=rules, a=None, b=None) == U


def test_checker_requires_an_optional_rule_type_for_unknown_exception_conditions():
    with pytest.raises(rulelang.RuleTypeError) as info:
        load("""
rule fee: int {
  default 100
  exception reduced when case.a => 50 cite "s. 2"
}
""")
    assert "RL0302" in [d.code for d in info.value.diagnostics]


# ---- first -----------------------------------------------------------------------------------

FIRST = """
rule responsible: country? = first {
  when case.a => MEX cite "Art. 8"
  when case.b => GTM cite "Art. 9"
  when case.c => HND until 2019-12-31 cite "Art. 10"
  otherwise CAN
}
"""


@pytest.mark.parametrize("a,b,c,expected", [
    (True, True, True, "MEX"),      # the first holding branch wins
    (True, None, None, "MEX"),      # later unknowns do not matter once one holds
    (False, True, True, "GTM"),
    (False, False, False, "CAN"),   # otherwise
    (False, None, True, U),         # an unknown earlier branch: cannot tell
    (None, True, False, U),
])
def test_first(a, b, c, expected):
    d = decide("responsible == MEX or responsible == GTM or responsible == CAN", rules=FIRST,
               claim_date="2019-06-01", a=a, b=b, c=c)
    if expected == U:
        assert d.outcome == "undetermined"
        assert d.missing == tuple(sorted(n for n, v in (("a", a), ("b", b)) if v is None))
    else:
        assert value(f"responsible == {expected}", rules=FIRST, claim_date="2019-06-01", a=a, b=b, c=c) is True


def test_first_branch_with_a_date_window():
    # the HND branch is law until 2019-12-31; after that c no longer matters
    assert value("responsible == HND", rules=FIRST, claim_date="2019-12-31", a=False, b=False, c=True) is True
    assert value("responsible == CAN", rules=FIRST, claim_date="2020-01-01", a=False, b=False, c=True) is True
    # an inactive unknown branch is skipped, not unknown
    assert value("responsible == CAN", rules=FIRST, claim_date="2020-01-01", a=False, b=False, c=None) is True


# ---- agreement decisions ----------------------------------------------------------------------

STCA = """
agreement stca "a safe third country agreement" {
  parties USA, CAN
  returns_to CAN
  cite "Art. 4"
  timeline {
    2002-12-05 signed
    2004-12-29 in_force
  }
  applies when {
    case.a cite "Art. 4(1)"
    case.n >= 18 cite "Art. 4(2)"
  }
  exception family "a relative in the US" when case.b cite "Art. 4(2)(a)"
  exception waiver when case.c cite "Art. 6"
  exception fraud of family when case.m == 1 cite "Art. 4(3)"
  exception threat when case.entry == inland burden state cite "Art. 7"
}
"""


def stca(as_of=None, **fields):
    defaults = dict(a=True, n=30, b=False, c=False, m=0, entry="port")
    defaults.update(fields)
    policy = load(STCA)
    [d] = policy.evaluate(record(**defaults), as_of=as_of, trace=True)
    [[compiled]] = policy.evaluate_many([record(**defaults)], as_of=as_of)
    assert compiled.fields_equal(d), (compiled.to_json(False), d.to_json(False))
    return d


def test_decision_not_in_force():
    d = stca(claim_date="2004-12-28")
    assert (d.status, d.outcome) == ("not_yet_in_force", "not_in_force")
    assert d.returns_to is None and d.exceptions == () and d.missing == ()


def test_decision_not_applicable():
    d = stca(n=17, b=True)
    assert d.outcome == "not_applicable"
    assert d.exceptions == () and d.returns_to is None


def test_decision_undetermined_lists_missing_facts():
    d = stca(a=None, n=None)
    assert d.outcome == "undetermined"
    assert d.missing == ("a", "n")
    assert d.returns_to is None


def test_decision_applies_with_returns_to():
    d = stca()
    assert (d.status, d.outcome, d.returns_to) == ("in_force", "applies", "CAN")
    assert d.exceptions == () and d.missing == () and d.unestablished == ()
    assert d.case == "t-1" and d.agreement == "stca" and d.as_of.isoformat() == CLAIM


def test_decision_exempt_lists_the_exceptions_that_hold_in_order():
    d = stca(b=True, c=True)
    assert d.outcome == "exempt"
    assert d.exceptions == ("family", "waiver")
    assert d.returns_to is None


def test_counter_exception_defeats_its_parent():
    d = stca(b=True, m=1)
    assert d.outcome == "applies" and d.exceptions == ()
    # ...but not another exception
    d = stca(b=True, c=True, m=1)
    assert d.outcome == "exempt" and d.exceptions == ("waiver",)


def test_counter_exception_is_not_evaluated_without_its_parent():
    d = stca(b=False, m=None)
    assert d.outcome == "applies" and d.unestablished == ()


def test_unknown_counter_exception_does_not_defeat_its_parent():
    d = stca(b=True, m=None)
    assert d.outcome == "exempt" and d.exceptions == ("family",)
    assert [(u.exception, u.facts) for u in d.unestablished] == [("fraud", ("m",))]


def test_claimant_burden_unknown_exception_does_not_hold_but_is_reported():
    d = stca(b=None, c=None)
    assert d.outcome == "applies" and d.returns_to == "CAN"
    assert [(u.exception, u.facts) for u in d.unestablished] == [("family", ("b",)), ("waiver", ("c",))]
    assert d.missing == ()
    assert d.to_json()["unestablished"] == [{"exception": "family", "facts": ["b"]},
                                            {"exception": "waiver", "facts": ["c"]}]


def test_state_burden_unknown_exception_makes_the_outcome_undetermined():
    d = stca(entry=None)
    assert d.outcome == "undetermined"
    assert d.missing == ("entry",)
    assert d.unestablished == ()


def test_state_burden_exception_that_holds_exempts():
    d = stca(entry="inland")
    assert d.outcome == "exempt" and d.exceptions == ("threat",)


def test_a_holding_exception_beats_an_unknown_state_burden_exception():
    d = stca(entry=None, c=True)
    assert d.outcome == "exempt" and d.exceptions == ("waiver",)


def test_unknown_scope_wins_over_exceptions():
    d = stca(n=None, c=True)
    assert d.outcome == "undetermined" and d.missing == ("n",)


def test_trace_names_each_step_with_its_citation():
    d = stca(b=None)
    steps = {s.label: s for s in d.trace}
    assert steps["status"].value == "in_force"
    assert steps["applies when #1"].cite == "Art. 4(1)" and steps["applies when #1"].value is True
    assert steps["exception family"].unknown_facts == ("b",)
    assert steps["exception family"].to_json()["value"] is None
    assert steps["returns_to"].value == "CAN"


def test_agreement_decision_is_readable_by_rules_and_tests():
    assert_tests_pass(STCA + """
const base: Case = { id: "x", claim_date: 2020-01-01, a: true, n: 30, b: false, c: false,
                     m: 0, entry: port }

test "exempt through the waiver" {
  given case = base with { c: true }
  expect stca.outcome == exempt
  expect stca.exceptions == {waiver}
  expect waiver in stca.exceptions
}

test "unestablished family" {
  given case = base with { b: false, c: false }
  expect stca.outcome == applies
  expect stca.returns_to == CAN
}
""")


def test_failing_expectation_is_reported_not_passed():
    results = run_tests(STCA + """
test "wrong on purpose" {
  given case = { id: "x", claim_date: 2020-01-01, a: true, n: 30, b: false, c: false, m: 0, entry: port }
  expect stca.outcome == exempt
}

test "unknown is not true" {
  given case = { id: "x", claim_date: 2020-01-01, a: true }
  expect stca.outcome == applies
}
""")
    assert [r.passed for r in results] == [False, False]
    assert "applies" in results[0].failures[0].message and "exempt" in results[0].failures[0].message
    # the decision is known (undetermined); the expectation about it is false
    assert "undetermined" in results[1].failures[0].message


# ---- match, let, quantifiers, sets, with ---------------------------------------------------------

MATCH = """
rule points: int? = match case.entry { port => 1, between => 2, inland => 3 }
"""


@pytest.mark.parametrize("entry,points", [("port", 1), ("between", 2), ("inland", 3)])
def test_match(entry, points):
    assert value(f"points == {points}", rules=MATCH, entry=entry) is True


def test_match_on_unknown_is_unknown():
    d = decide("points == 1", rules=MATCH, entry=None)
    assert d.outcome == "undetermined" and d.missing == ("entry",)


def test_match_with_or_patterns_and_wildcard():
    rules = "rule at_border: bool? = match case.entry { port | between => true, _ => false }\n"
    assert value("at_border", rules=rules, entry="between") is True
    assert value("at_border", rules=rules, entry="inland") is False


def test_non_exhaustive_match_is_a_check_error():
    with pytest.raises(rulelang.RuleTypeError) as info:
        load("rule p: int? = match case.entry { port => 1, between => 2 }\n")
    assert "RL0305" in [d.code for d in info.value.diagnostics]


def test_let():
    assert value("let x = case.n * 2 in x > 10 and x < 20", n=6) is True
    assert value("let x = case.n * 2 in x > 10 and x < 20", n=10) is False
    assert value("let x = case.n * 2 in x > 10", n=None) == U


RELS = [{"kind": "port", "age": 20}, {"kind": "inland"}, {"kind": "between", "age": 10}]


@pytest.mark.parametrize("rels,any_,all_", [
    ([], False, True),
    ([{"kind": "port", "age": 20}], True, True),
    ([{"kind": "port", "age": 10}], False, False),
    ([{"kind": "port", "age": 20}, {"kind": "inland"}], True, U),     # true or unknown; true and unknown
    ([{"kind": "port", "age": 10}, {"kind": "inland"}], U, False),    # false or unknown; false and unknown
    ([{"kind": "inland"}], U, U),
])
def test_any_and_all_with_unknown_elements(rels, any_, all_):
    d = decide("any r in case.rels: r.age >= 18", rels=rels)
    assert truth(d) == any_
    if any_ == U:
        assert d.missing == tuple(f"rels[{i}].age" for i, r in enumerate(rels) if "age" not in r)
    assert value("all r in case.rels: r.age >= 18", rels=rels) == all_


def test_quantifier_over_an_unknown_collection():
    for q in ("any", "all"):
        d = decide(f"{q} r in case.rels: r.age >= 18", rels=None)
        assert d.outcome == "undetermined" and d.missing == ("rels",)
    d = decide("(count r in case.rels: r.age >= 18) > 0", rels=None)
    assert d.missing == ("rels",)


def test_count():
    rels = [{"kind": "port", "age": 20}, {"kind": "port", "age": 30}, {"kind": "port", "age": 5}]
    assert value("(count r in case.rels: r.age >= 18) == 2", rels=rels) is True
    assert value("(count r in case.rels: r.age >= 18) == 0", rels=[]) is True
    # one unknown element makes the count unknown: it is 1 or 2
    d = decide("(count r in case.rels: r.age >= 18) >= 1", rels=RELS)
    assert d.outcome == "undetermined" and d.missing == ("rels[1].age",)


def test_quantifier_over_a_list_of_ints():
    assert value("any x in case.xs: x > 2", xs=[1, 2, 3]) is True
    assert value("all x in case.xs: x > 0", xs=[1, 2, 3]) is True
    assert value("all x in case.xs: x > 1", xs=[1, 2, 3]) is False


def test_set_operations():
    assert_tests_pass("""
test "sets" {
  given case = { id: "x", claim_date: 2024-01-01, tags: {"a", "b"} }
  expect case.tags union {"c"} == {"a", "b", "c"}
  expect case.tags intersect {"b", "c"} == {"b"}
  expect case.tags minus {"a"} == {"b"}
  expect case.tags minus {"a", "b"} == {}
  expect "a" in case.tags
  expect "z" not in case.tags
  expect len(case.tags union {"a"}) == 2
  expect {MEX, GTM} intersect {GTM, HND} == {GTM}
}
""")


def test_set_membership_with_unknown_set_or_element():
    assert value('"a" in case.tags', tags=None) == U
    assert value("case.home in {MEX, GTM}", home="GTM") is True
    assert value("case.home not in {MEX, GTM}", home="GTM") is False


def test_set_from_a_record_ignores_duplicates():
    assert value("len(case.tags) == 2", tags=["a", "b", "a"]) is True


def test_record_with():
    assert_tests_pass("""
const base: Case = { id: "base", claim_date: 2024-01-01, n: 1, a: true }

test "with replaces only the named fields" {
  given case = base with { n: 5, b: false }
  expect case.n == 5
  expect case.b == false
  expect case.a == true
  expect case.id == "base"
  expect base.n == 1
  expect not known(base.b)
  expect (case with { n: 7 }).n == 7
}
""")


def test_record_with_in_rules():
    rules = "rule older: Case = case with { n: (case.n ?? 0) + 1 }\n"
    assert value("older.n == 5 and older.a", rules=rules, n=4, a=True) is True
    # a field left out of the record stays unknown after `with`
    d = decide("older.n == 1 and older.a", rules=rules, n=None, a=None)
    assert d.outcome == "undetermined" and d.missing == ("a",)


def test_if_then_else_with_unknown_condition():
    assert value("(if case.a then 1 else 1) == 1", a=None) is True       # both branches agree
    d = decide("(if case.a then 1 else 2) == 1", a=None)
    assert d.outcome == "undetermined" and d.missing == ("a",)
    assert value("(if case.a then 1 else 2) == 2", a=False) is True


def test_def_functions():
    rules = "def adult(age: int): bool = age >= 18\n"
    assert value("adult(case.n ?? 0)", rules=rules, n=18) is True
    assert value("adult(case.n ?? 0)", rules=rules, n=17) is False
    assert value("adult(case.n ?? 0)", rules=rules, n=None) is False
