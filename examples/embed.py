"""Embedding rulelang: load the shipped agreements, decide one case, stream many."""

import rulelang

policy = rulelang.load("stdlib:all")

case = {"id": "c-embed-1", "nationalities": ["HND"], "age": 31, "claim_country": "USA",
        "arrived_from": "CAN", "entry_type": "land_port_of_entry",
        "entry_date": "2024-05-01", "claim_date": "2024-05-01", "relatives": [], "documents": []}

for decision in policy.evaluate(case):
    print(f"{decision.agreement:22} {decision.status:17} {decision.outcome:14} "
          f"{decision.returns_to or ''} {', '.join(decision.missing)}")

# A batch streams; an invalid record yields an error value and the batch goes on.
records = [case, {"id": "bad", "claim_country": "XXX"}]
for result in policy.evaluate_many(records):
    if isinstance(result, list):
        print(result[0].case, [d.outcome for d in result])
    else:
        print("invalid:", result.describe())
