"""Synthetic case records for the shipped library (stdlib_policies/common.rules),
written as JSON Lines, CSV and Parquet: the same records in each, so a run over
any of them must give the same summary.

    python benchmarks/synthetic.py 100000 /tmp/cases      # cases.jsonl, cases.csv, cases.parquet

The records are random but reproducible (a seed), spread over the shipped
instruments' dates and countries, with optional facts left out and about one
record in a hundred invalid (an unknown country code, an unknown entry type:
mistakes every format can hold, so the formats stay the same records).
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import random
import sys
from pathlib import Path

from rulelang.records.write import csv_cell   # CSV cells as rulelang reads them

NATIONALITIES = ["HND", "GTM", "SLV", "MEX", "VEN", "HTI", "CUB", "COL", "TUR", "IND", "AFG", "NIC",
                 "ECU", "SYR", "ERI", "CHN"]
CLAIM_COUNTRIES = ["USA"] * 12 + ["CAN"] * 3 + ["ESP", "DEU", "ITA", "GRC", "FRA", "MEX"]
ARRIVED_FROM = {"USA": ["MEX"] * 6 + ["CAN", "GTM", "SLV"], "CAN": ["USA"] * 5 + ["FRA"],
                "MEX": ["GTM", "BLZ"]}
ENTRY_TYPES = ["land_port_of_entry", "between_ports", "between_ports", "airport", "seaport", "inland"]
RELATIONS = ["spouse", "child", "parent", "sibling", "aunt_uncle", "cousin"]
RELATIVE_STATUSES = ["citizen", "permanent_resident", "asylee", "pending_claim", "visitor", "undocumented"]
FLAGS = ["has_spouse", "accompanied_by_parent_or_guardian", "in_transit_removal", "expedited_removal",
         "criminal_history", "public_interest_waiver", "principal_applicant",
         "scheduled_port_appointment", "acute_medical_emergency_at_entry"]
COLUMNS = ["id", "nationalities", "claim_country", "claim_date", "arrived_from", "entry_type",
           "entry_date", "age", "immigration_status", "relatives", "documents", "visa_exempt_for",
           "fear_screenings", "transfer_accepted_by", *FLAGS]
DATES = (_dt.date(2018, 1, 1), _dt.date(2026, 6, 30))


def records(n: int, seed: int = 12):
    """`n` records as JSON-ready dicts (dates as text), the same for the same seed."""
    rng = random.Random(seed)
    span = (DATES[1] - DATES[0]).days
    for index in range(n):
        claim_country = rng.choice(CLAIM_COUNTRIES)
        claim_date = DATES[0] + _dt.timedelta(days=rng.randrange(span))
        record = {"id": f"s-{index:07d}",
                  "nationalities": rng.sample(NATIONALITIES, 1 if rng.random() < 0.9 else 2),
                  "claim_country": claim_country, "claim_date": claim_date.isoformat()}
        if rng.random() < 0.9:
            record["arrived_from"] = rng.choice(ARRIVED_FROM.get(claim_country, ["TUR", "LBY", "MAR"]))
        if rng.random() < 0.9:
            record["entry_type"] = rng.choice(ENTRY_TYPES)
            record["entry_date"] = (claim_date - _dt.timedelta(days=rng.randrange(30))).isoformat()
        if rng.random() < 0.85:
            record["age"] = rng.randrange(8, 70)
        if rng.random() < 0.7:
            record["immigration_status"] = rng.choice(["none", "none", "parolee", "visitor"])
        if rng.random() < 0.8:
            record["relatives"] = [{"relation": rng.choice(RELATIONS),
                                    "location": rng.choice(["USA", "CAN", "MEX", "ESP"]),
                                    "status": rng.choice(RELATIVE_STATUSES), "age": rng.randrange(1, 80)}
                                   for _ in range(rng.randrange(3))]
        if rng.random() < 0.7:
            record["documents"] = [] if rng.random() < 0.7 else [
                {"kind": "visa", "issued_by": rng.choice(["USA", "CAN"]), "valid": rng.random() < 0.8}]
        if rng.random() < 0.5:
            record["visa_exempt_for"] = rng.sample(["USA", "CAN", "MEX"], rng.randrange(3))
        if rng.random() < 0.3:
            record["fear_screenings"] = [{"country": rng.choice(["GTM", "HND", "MEX"]),
                                          "standard": "more_likely_than_not",
                                          "result": rng.choice(["established", "not_established"])}]
        if rng.random() < 0.2:
            record["transfer_accepted_by"] = rng.sample(["MEX", "GTM", "HND", "SLV"], rng.randrange(2))
        for flag in FLAGS:
            if rng.random() < 0.6:
                record[flag] = rng.random() < 0.2
        broken = rng.random()
        if broken < 0.005:
            record["claim_country"] = "XXX"
        elif broken < 0.01:
            record["entry_type"] = "port"        # not a member of EntryType
        yield record


def write_jsonl(rows, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")


def write_csv(rows, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([csv_cell(row.get(column)) for column in COLUMNS])


def write_parquet(rows, path: Path, batch: int = 50_000) -> None:
    """Typed columns: dates as dates, lists as lists, records as structs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    strings = pa.list_(pa.string())
    relative = pa.struct([("relation", pa.string()), ("location", pa.string()), ("status", pa.string()),
                          ("age", pa.int64())])
    document = pa.struct([("kind", pa.string()), ("issued_by", pa.string()), ("valid", pa.bool_())])
    screening = pa.struct([("country", pa.string()), ("standard", pa.string()), ("result", pa.string())])
    schema = pa.schema([("id", pa.string()), ("nationalities", strings), ("claim_country", pa.string()),
                        ("claim_date", pa.date32()), ("arrived_from", pa.string()),
                        ("entry_type", pa.string()), ("entry_date", pa.date32()), ("age", pa.int64()),
                        ("immigration_status", pa.string()), ("relatives", pa.list_(relative)),
                        ("documents", pa.list_(document)), ("visa_exempt_for", strings),
                        ("fear_screenings", pa.list_(screening)), ("transfer_accepted_by", strings),
                        *[(flag, pa.bool_()) for flag in FLAGS]])

    def typed(row: dict) -> dict:
        out = {column: row.get(column) for column in COLUMNS}
        for column in ("claim_date", "entry_date"):
            out[column] = _dt.date.fromisoformat(out[column]) if out[column] else None
        return out

    with pq.ParquetWriter(path, schema) as writer:
        chunk = []
        for row in rows:
            chunk.append(typed(row))
            if len(chunk) >= batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                chunk = []
        if chunk:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))


def write_all(n: int, folder: Path, seed: int = 12) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"jsonl": folder / "cases.jsonl", "csv": folder / "cases.csv", "parquet": folder / "cases.parquet"}
    write_jsonl(records(n, seed), paths["jsonl"])
    write_csv(records(n, seed), paths["csv"])
    write_parquet(records(n, seed), paths["parquet"])
    return paths


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    where = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("synthetic")
    for kind, path in write_all(count, where).items():
        print(f"{kind}: {path} ({path.stat().st_size:,} bytes)")
