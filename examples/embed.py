"""Embedding rulelang: load the shipped agreements, decide one case (the fast path),
ask why (the trace), read rule values, and stream many records. docs/api.md is the
reference."""

import datetime

import rulelang
from rulelang import Outcome

policy = rulelang.load("stdlib:all")

# A record built in Python: dates may be datetime.date, lists tuples.
case = {"id": "c-embed-1", "nationalities": ("HND",), "age": 31, "claim_country": "USA",
        "arrived_from": "CAN", "entry_type": "land_port_of_entry",
        "entry_date": datetime.date(2024, 5, 1), "claim_date": datetime.date(2024, 5, 1),
        "relatives": [], "documents": []}

decisions = policy.evaluate(case)            # compiled: the fast path
for warning in decisions.warnings:           # e.g. a misspelt field, never silently ignored
    print("warning:", warning)
for decision in decisions:
    if decision.outcome is Outcome.NOT_IN_FORCE:
        continue
    print(f"{decision.agreement:22} {decision.status:17} {decision.outcome:14} "
          f"{decision.returns_to or ''} {', '.join(decision.missing)}")

# Why: the same decision with its trace (from the interpreter, the reference semantics).
[stca] = policy.evaluate(case, agreements=["stca_us"], trace=True)
for step in stca.trace:
    shown = "unknown" if isinstance(step.value, rulelang.Unknown) else step.value
    print(f"  {step.label}: {shown}  ({step.cite})")

# Derived values: each rule's value, unknown ones with the facts they are missing.
for name, value in policy.rule_values(case, ["unaccompanied_alien_child",
                                             "not_in_transit_removal_from_canada"]).items():
    if isinstance(value, rulelang.Unknown):
        print(f"rule {name}: unknown, missing {', '.join(sorted(value.facts))}")
    else:
        print(f"rule {name}: {value}")

# A batch streams; an invalid record is a value and the batch goes on.
records = [case, {"id": "bad", "claim_country": "XXX"}]
for result in policy.evaluate_many(records):
    if isinstance(result, rulelang.InvalidRecord):
        print("invalid:", result.describe())
    else:
        print(result[0].case, sorted({d.outcome.value for d in result}))

# The same record given to evaluate raises, with the same fields.
try:
    policy.evaluate(records[1])
except rulelang.RecordError as error:
    print(f"RecordError {error.code} on `{error.field}`: {len(error.errors)} error(s)")
