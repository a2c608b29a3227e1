"""Decisions on a terminal: a table for many records, the person view for one.

`TableView` prints one block of rows per record: the case named once, the
agreements that matter one a row (outcome, where to, why), the ones not in
force folded into one row. `PersonView` prints the person view of each
record. `TerminalView` is what `rulelang run` shows on a terminal: the person
view when the input holds one record, the table when it holds more.
"""

from __future__ import annotations

from rulelang.views.explain import explain_record
from rulelang.views.person import LABELS, person_view, reason
from rulelang.views.text import plural

FIRST = ("applies", "exempt", "undetermined")
FOLDED = ("not_applicable", "not_in_force")
_STYLES = {"applies": "bold red", "exempt": "green", "undetermined": "yellow", "error": "bold magenta",
           "not_in_force": "dim"}


def printable(text: str) -> str:
    """A lone surrogate (from a JSON "\\ud800" escape in a record) cannot be written out."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class TableView:
    """Rows for many records, printed in blocks so long runs stream."""

    BLOCK = 40
    NAMED = 4        # a folded row names its agreements when there are no more than this

    def __init__(self, console, explain: bool = False, as_of_field: str | None = None,
                 forced_as_of: bool = False) -> None:
        self.console, self.explain = console, explain
        self.as_of_field, self.forced_as_of = as_of_field, forced_as_of
        self.rows: list[tuple] = []
        self.counts: dict[str, int] = {}
        self.records = 0

    def record(self, evaluated) -> None:
        self.records += 1
        decisions = evaluated.decisions
        for d in decisions:
            self.counts[d.outcome] = self.counts.get(d.outcome, 0) + 1
        if self.explain:
            self._flush()
            text = explain_record(evaluated, self.console.width, self.as_of_field, self.forced_as_of)
            self.console.print(printable(text) + "\n", highlight=False, markup=False)
            return
        case = evaluated.case
        for outcome in FIRST:
            for d in (d for d in decisions if d.outcome == outcome):
                shown = LABELS[outcome] + (f" → {d.returns_to}" if d.returns_to else "")
                self.rows.append((case, d.agreement, shown, reason(d), outcome))
                case = ""
        for outcome in FOLDED:   # one row each, named only when few: the person view says why
            folded = [d for d in decisions if d.outcome == outcome]
            if len(folded) == 1:
                self.rows.append((case, folded[0].agreement, LABELS[outcome], reason(folded[0]), outcome))
            elif folded:
                names = [d.agreement for d in folded]
                self.rows.append((case, plural(len(names), "agreement"), LABELS[outcome],
                                  ", ".join(names) if len(names) <= self.NAMED else "", outcome))
            case = case if not folded else ""
        if not decisions:
            self.rows.append((case, "—", "", "no decision selected", ""))
        if len(self.rows) >= self.BLOCK:
            self._flush()

    def invalid(self, invalid, data=None) -> None:
        self.records += 1
        self.counts["error"] = self.counts.get("error", 0) + 1
        self.rows.append((invalid.case, "—", "error", invalid.describe().split(": ", 1)[1], "error"))

    def _flush(self) -> None:
        from rich import box
        from rich.table import Table

        if not self.rows:
            return
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        def widest(index: int, cap: int) -> int:
            return min(max(len(row[index]) for row in self.rows), cap)

        # names and outcomes keep their width (a name is never cut); the reason wraps
        table.add_column("case", no_wrap=True, overflow="ellipsis", min_width=widest(0, 16), max_width=24)
        table.add_column("agreement", no_wrap=True, min_width=widest(1, 28))
        table.add_column("outcome", no_wrap=True, min_width=widest(2, 20))
        table.add_column("why / facts", overflow="ellipsis", ratio=1)
        for case, agreement, outcome, why, key in self.rows:
            table.add_row(printable(case), agreement, outcome, printable(why), style=_STYLES.get(key))
        self.console.print(table)
        self.rows = []

    def close(self) -> None:
        self._flush()
        summary = ", ".join(f"{n} {o}" for o, n in sorted(self.counts.items()))
        self.console.print(f"decisions: {summary}" if summary else "0 records", highlight=False)


class PersonView:
    """The person view of each record, one after another."""

    def __init__(self, console, as_of_field: str | None = None, forced_as_of: bool = False) -> None:
        self.console, self.as_of_field, self.forced_as_of = console, as_of_field, forced_as_of
        self.shown = 0

    def record(self, evaluated) -> None:
        if self.shown:
            self.console.print("")
        self.shown += 1
        text = person_view(evaluated.case, evaluated.value, evaluated.traced(), self.console.width,
                           self.as_of_field, self.forced_as_of)
        self.console.print(printable(text), highlight=False, markup=False)

    def invalid(self, invalid, data=None) -> None:
        if self.shown:
            self.console.print("")
        self.shown += 1
        self.console.print(printable("\n".join(invalid.lines())), highlight=False, markup=False)

    def close(self) -> None:
        if not self.shown:
            self.console.print("0 records", highlight=False)


class TerminalView:
    """The person view for an input of one record, the table for more: it waits
    for a second record before choosing."""

    def __init__(self, console, explain: bool = False, as_of_field: str | None = None,
                 forced_as_of: bool = False) -> None:
        self.table = TableView(console, explain, as_of_field, forced_as_of)
        self.person = PersonView(console, as_of_field, forced_as_of)
        self.explain = explain
        self.first: tuple | None = None
        self.chosen = None

    def _choose_table(self) -> None:
        self.chosen = self.table
        if self.first is not None:
            kind, item = self.first
            getattr(self.table, kind)(*item)

    def record(self, evaluated) -> None:
        self._take("record", (evaluated,))

    def invalid(self, invalid, data=None) -> None:
        self._take("invalid", (invalid, data))

    def _take(self, kind: str, item: tuple) -> None:
        if self.chosen is None and self.first is None:
            self.first = (kind, item)
            return
        if self.chosen is None:
            self._choose_table()
        getattr(self.chosen, kind)(*item)

    def close(self) -> None:
        if self.chosen is None:
            if self.first is not None and self.first[0] == "record" and not self.explain:
                self.person.record(*self.first[1])
                self.person.close()
                return
            self._choose_table()
        self.chosen.close()


def agreements_table(agreements, on, width: int):
    """`rulelang list`: one line per agreement (name, kind, status on `on`, parties), the
    title cut to what is left of `width`; the kind is left out below 100 columns."""
    from rich import box
    from rich.table import Table

    wide = width >= 100
    columns = ("name", "kind", "status", "parties") if wide else ("name", "status", "parties")
    rows = [tuple({"name": info.name, "kind": info.kind, "status": info.timeline.status_on(on),
                   "parties": _parties(info.parties, 3 if wide else 2)}[c] for c in columns)
            + (info.title or "",) for info in agreements]
    table = Table(title=f"status on {on.isoformat()}", box=box.SIMPLE_HEAD, title_justify="left")
    widths = [max([len(column)] + [len(r[index]) for r in rows]) for index, column in enumerate(columns)]
    for column, column_width in zip(columns, widths):
        table.add_column(column, no_wrap=True, width=column_width)
    room = width - sum(widths) - 3 * len(widths) - 4
    if room >= 8:
        table.add_column("title", no_wrap=True, overflow="ellipsis", width=room)
    for row in rows:
        table.add_row(*(row if room >= 8 else row[:-1]))
    return table


def _parties(parties, shown: int) -> str:
    """`USA, CAN`; a long list (the 31 Dublin states) as its first few and a count."""
    if len(parties) <= shown + 1:
        return ", ".join(parties)
    return ", ".join(parties[:shown]) + f" +{len(parties) - shown}"
