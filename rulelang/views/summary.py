"""The analyst's view: how many records each agreement would apply to, exempt,
leave undetermined, ..., with totals, percentages and the invalid records,
optionally per group (`--group-by nationalities`, `--group-by claim_date:year`).

`Tally` is a sink that counts, in memory bounded by the number of groups, not
of records; `render_table`, `to_csv` and `to_json` print what it counted. The
HTML report (report.py) reads the same tally.
"""

from __future__ import annotations

import json
import re

import attrs

from rulelang.runtime import Unknown, to_json_value
from rulelang.semantics import types as T
from rulelang.views.person import ORDER
from rulelang.views.text import plural

UNKNOWN_GROUP, INVALID_GROUP = "(unknown)", "(invalid)"
PARTS = ("year", "month")
_INDEX = re.compile(r"\[\d+\]")


@attrs.frozen
class GroupBy:
    """`FIELD` or `FIELD:year` / `FIELD:month` (a date field)."""
    field: str
    part: str | None = None

    @property
    def label(self) -> str:
        return self.field + (f":{self.part}" if self.part else "")

    def key(self, value) -> str:
        if value is None or type(value) is Unknown:
            return UNKNOWN_GROUP
        plain = to_json_value(value)
        if self.part is not None:
            text = str(plain)
            if not re.match(r"^\d{4}-\d{2}", text):
                return INVALID_GROUP
            return text[:4] if self.part == "year" else text[:7]
        if isinstance(plain, list):
            return "+".join(str(v) for v in plain) if plain else "(none)"
        if isinstance(plain, bool):
            return "true" if plain else "false"
        return str(plain)

    def raw_key(self, data) -> str:
        """The group of an invalid record, from its field as read (if it is plain)."""
        value = data.get(self.field) if isinstance(data, dict) else None
        if value is None:
            return UNKNOWN_GROUP
        if isinstance(value, (str, int, bool)) or (isinstance(value, list) and all(
                isinstance(v, (str, int)) for v in value)):
            return self.key(value)
        return INVALID_GROUP


def parse_group_by(spec: str, record_type: T.RecordType) -> GroupBy:
    """`claim_date:year` → GroupBy; ValueError with a readable message otherwise."""
    from rulelang.diagnostics import did_you_mean

    field, _, part = spec.partition(":")
    field = field.strip()
    if field not in record_type.fields:
        hint = did_you_mean(field, record_type.fields)
        raise ValueError(f"`{field}` is not a field of `{record_type.name}`" + (f" ({hint})" if hint else ""))
    type_ = T.strip(record_type.fields[field])
    if part:
        if part not in PARTS:
            raise ValueError(f"`{spec}`: a date field is grouped by {' or '.join(PARTS)}, not `{part}`")
        if type_ != T.DATE:
            raise ValueError(f"`{spec}`: `{field}` is {type_}, not a date, so it has no {part}")
        return GroupBy(field, part)
    if isinstance(type_, T.RecordType) or (isinstance(type_, (T.ListType, T.SetType))
                                          and isinstance(T.strip(type_.elem), T.RecordType)):
        raise ValueError(f"`{field}` holds records ({type_}); group by a field of plain values")
    return GroupBy(field, None)


def fact_name(fact: str) -> str:
    """`relatives[3].age` counted with every other relative's age: `relatives[].age`."""
    return _INDEX.sub("[]", fact)


class Tally:
    """Counts of outcomes per (group, agreement), records and invalid records per
    group, and what the report shows: outcomes per claim month, the facts
    undetermined outcomes miss, the exceptions that hold or are left unproven."""

    def __init__(self, group_by: tuple[GroupBy, ...] = (), month_field: str | None = None) -> None:
        self.group_by = group_by
        self.month_field = month_field
        self.records: dict[tuple, int] = {}
        self.invalid_records: dict[tuple, int] = {}
        self.counts: dict[tuple, dict[str, dict[str, int]]] = {}   # group -> agreement -> outcome
        self.months: dict[str, dict[str, int]] = {}                 # month -> outcome -> decisions
        self.missing: dict[tuple[str, str], int] = {}               # (agreement, fact)
        self.exceptions: dict[tuple[str, str], int] = {}            # (agreement, exception)
        self.unproven: dict[tuple[str, str], int] = {}
        self.agreements: list[str] = []
        self.invalid_fields: dict[str, int] = {}

    def _group(self, value: dict) -> tuple:
        return tuple(g.key(value.get(g.field)) for g in self.group_by)

    def record(self, evaluated) -> None:
        group = self._group(evaluated.value)
        self.records[group] = self.records.get(group, 0) + 1
        by_agreement = self.counts.setdefault(group, {})
        month = None
        if self.month_field:
            month = GroupBy(self.month_field, "month").key(evaluated.value.get(self.month_field))
        for d in evaluated.decisions:
            if d.agreement not in by_agreement:
                by_agreement[d.agreement] = dict.fromkeys(ORDER, 0)
                if d.agreement not in self.agreements:
                    self.agreements.append(d.agreement)
            by_agreement[d.agreement][d.outcome] += 1
            if month is not None:
                row = self.months.setdefault(month, dict.fromkeys(ORDER, 0))
                row[d.outcome] += 1
            for fact in d.missing:
                key = (d.agreement, fact_name(fact))
                self.missing[key] = self.missing.get(key, 0) + 1
            for name in d.exceptions:
                self.exceptions[(d.agreement, name)] = self.exceptions.get((d.agreement, name), 0) + 1
            for u in d.unestablished:
                key = (d.agreement, u.exception)
                self.unproven[key] = self.unproven.get(key, 0) + 1

    def invalid(self, invalid, data=None) -> None:
        group = tuple(g.raw_key(data) for g in self.group_by)
        self.invalid_records[group] = self.invalid_records.get(group, 0) + 1
        for field, _ in invalid.errors:
            name = fact_name(field) if field else "(the record)"
            self.invalid_fields[name] = self.invalid_fields.get(name, 0) + 1

    def close(self) -> None:
        pass

    # ---- counting SQL's rows (the columnar engine) -----------------------------------

    @property
    def columnar_format(self) -> str | None:
        """The columnar engine hands over its decision rows when no group needs a
        record's own fields (batch/columnar.py)."""
        return "summary" if not self.group_by and not self.month_field else None

    def bulk(self, rows) -> None:
        """Decision rows of the columnar engine: agreement, outcome and the lists of
        missing facts, exceptions that hold and exceptions left unproven."""
        import pyarrow.compute as pc

        if not rows.num_rows:
            return
        by_agreement = self.counts.setdefault((), {})
        column = {name: _array(rows.column(name))
                  for name in ("agreement", "outcome", "missing", "exceptions", "unproven")}
        for agreement in column["agreement"].unique().to_pylist():     # in order of appearance
            if agreement not in by_agreement:
                by_agreement[agreement] = dict.fromkeys(ORDER, 0)
                if agreement not in self.agreements:
                    self.agreements.append(agreement)
        for agreement, outcome, n in _counted(column["agreement"], column["outcome"]):
            by_agreement[agreement][outcome] += n
        for name, counts, key in (("missing", self.missing, fact_name), ("exceptions", self.exceptions, str),
                                  ("unproven", self.unproven, str)):
            items = column[name]
            owners = column["agreement"].take(pc.list_parent_indices(items))
            for agreement, item, n in _counted(owners, pc.list_flatten(items)):
                counts[(agreement, key(item))] = counts.get((agreement, key(item)), 0) + n

    def bulk_records(self, count: int) -> None:
        """How many records the columnar engine decided (its rows leave out those whose
        every decision a filter dropped)."""
        self.records[()] = self.records.get((), 0) + count
        self.counts.setdefault((), {})

    # ---- what was counted --------------------------------------------------------------

    @property
    def total_records(self) -> int:
        return sum(self.records.values()) + sum(self.invalid_records.values())

    @property
    def total_invalid(self) -> int:
        return sum(self.invalid_records.values())

    def groups(self) -> list[tuple]:
        return sorted(set(self.records) | set(self.invalid_records))

    def totals(self) -> dict[str, dict[str, int]]:
        """agreement -> outcome -> decisions, over every group."""
        out: dict[str, dict[str, int]] = {}
        for by_agreement in self.counts.values():
            for agreement, row in by_agreement.items():
                total = out.setdefault(agreement, dict.fromkeys(ORDER, 0))
                for outcome, n in row.items():
                    total[outcome] += n
        return {a: out[a] for a in self.agreements if a in out}

    def outcomes_shown(self) -> list[str]:
        """The outcome columns with any decision (an outcome filter hides the others)."""
        totals = self.totals()
        return [o for o in ORDER if any(row[o] for row in totals.values())] or list(ORDER)


def _array(column):
    """One Arrow array from a column of a table (chunked) or of a record batch."""
    import pyarrow as pa

    return pa.concat_arrays(column.chunks) if hasattr(column, "chunks") else column


def _counted(first, second) -> list[tuple]:
    """(a, b, how many rows have them) for two columns of the same length."""
    import pyarrow as pa

    if not len(first):
        return []
    table = pa.table({"a": first, "b": second}).group_by(["a", "b"]).aggregate([([], "count_all")])
    return list(zip(*(table.column(name).to_pylist() for name in ("a", "b", "count_all"))))


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _agreement_rows(by_agreement: dict, valid: int, outcomes: list[str]) -> list[dict]:
    return [{"agreement": agreement, "records": valid,
             **{o: {"count": row[o], "pct": _pct(row[o], valid)} for o in outcomes}}
            for agreement, row in by_agreement.items()]


def to_json(tally: Tally) -> dict:
    """The summary as data: totals, then each group."""
    outcomes = tally.outcomes_shown()
    valid = sum(tally.records.values())
    out = {"records": tally.total_records, "valid": valid, "invalid": tally.total_invalid,
           "invalid_pct": _pct(tally.total_invalid, tally.total_records), "outcomes": outcomes,
           "agreements": _agreement_rows(tally.totals(), valid, outcomes)}
    if tally.group_by:
        out["group_by"] = [g.label for g in tally.group_by]
        out["groups"] = []
        for group in tally.groups():
            records, invalid = tally.records.get(group, 0), tally.invalid_records.get(group, 0)
            by_agreement = {a: tally.counts.get(group, {}).get(a, dict.fromkeys(ORDER, 0))
                            for a in tally.agreements if a in tally.counts.get(group, {})}
            out["groups"].append({"group": dict(zip(out["group_by"], group)),
                                  "records": records + invalid, "valid": records, "invalid": invalid,
                                  "agreements": _agreement_rows(by_agreement, records, outcomes)})
    return out


def to_csv(tally: Tally) -> str:
    """One row per (group, agreement): counts and percentages of the group's valid records."""
    import csv
    import io

    data = to_json(tally)
    outcomes = data["outcomes"]
    labels = data.get("group_by", [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(labels + ["agreement", "records", "valid", "invalid"]
                    + [c for o in outcomes for c in (o, o + "_pct")])
    groups = data.get("groups") or [{"group": {}, "records": data["records"], "valid": data["valid"],
                                     "invalid": data["invalid"], "agreements": data["agreements"]}]
    for group in groups:
        for row in group["agreements"]:
            writer.writerow([group["group"][label] for label in labels]
                            + [row["agreement"], group["records"], group["valid"], group["invalid"]]
                            + [v for o in outcomes for v in (row[o]["count"], row[o]["pct"])])
    return buffer.getvalue()


def render_json(tally: Tally) -> str:
    return json.dumps(to_json(tally), indent=2, ensure_ascii=False) + "\n"


def render_table(tally: Tally, console) -> None:
    """Rich tables on `console`: the totals; with groups, the records of each group and
    one table of the outcomes per group and agreement (the group named once)."""
    from rich import box
    from rich.table import Table

    data = to_json(tally)
    outcomes = data["outcomes"]

    def table(title: str, groups: list[tuple[str, list[dict]]]) -> Table:
        result = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
        if data.get("group_by"):
            result.add_column(", ".join(data["group_by"]), no_wrap=True)
        result.add_column("agreement", no_wrap=True)
        for outcome in outcomes:
            result.add_column(outcome.replace("_", " "), justify="right", no_wrap=True)
        for label, rows in groups:
            for index, row in enumerate(rows):
                cells = [row["agreement"], *(f"{row[o]['count']:,} {row[o]['pct']:>5.1f}%" for o in outcomes)]
                result.add_row(*([label if index == 0 else ""] if data.get("group_by") else []), *cells)
            if data.get("group_by"):
                result.add_section()
        return result

    console.print(_totals_line(data["records"], data["valid"], data["invalid"]), highlight=False)
    if not data.get("groups"):
        if data["agreements"]:
            console.print(table("outcomes per agreement (share of valid records)",
                                [("", data["agreements"])]))
        return
    records = Table(title=f"records per {', '.join(data['group_by'])}", box=box.SIMPLE_HEAD,
                    title_justify="left")
    for column in (", ".join(data["group_by"]), "records", "valid", "invalid"):
        records.add_column(column, justify="left" if not records.columns else "right", no_wrap=True)
    for group in data["groups"]:
        records.add_row(" / ".join(group["group"].values()), f"{group['records']:,}", f"{group['valid']:,}",
                        f"{group['invalid']:,} {_pct(group['invalid'], group['records']):>5.1f}%")
    console.print(records)
    console.print(table("outcomes per agreement and group (share of the group's valid records)",
                        [(" / ".join(g["group"].values()), g["agreements"]) for g in data["groups"]]))


def _totals_line(records: int, valid: int, invalid: int, title: str = "all records") -> str:
    if not records:
        return f"{title}: 0 records"
    return (f"{title}: {plural(records, 'record')}, {valid:,} valid, {invalid:,} invalid "
            f"({_pct(invalid, records):.1f}%)")
