"""Pictures of agreements: their timelines as a chart (plotly: one row per
agreement, a band per status, a mark per dated event with its note and source),
and an agreement's scope and exceptions as a tree with citations and the facts
each reads. Read from the typed core (core/ir.py) and core/facts.py, as
`rulelang doc` reads them."""

from __future__ import annotations

import bisect
import datetime as _dt
import html

import attrs

from rulelang.core import ir
from rulelang.core.facts import FieldsRead

STATUS_COLORS = {"proposed": "#bdc3c7", "not_yet_in_force": "#aed6f1", "in_force": "#c0392b",
                 "suspended": "#f5b041", "terminated": "#566573"}
_DAY_MS = 86_400_000


def timeline_figure(agreements: list[ir.Agreement], today: _dt.date) -> dict:
    """A plotly figure (as its JSON dict): each agreement's statuses from its first
    event to a year past `today` or its last event, and its events marked."""
    import plotly.graph_objects as go

    figure = go.Figure()
    shown_in_legend: set[str] = set()
    names = [a.name for a in agreements]
    for agreement in agreements:
        for start, end, status in _periods(agreement.timeline, today):
            figure.add_trace(go.Bar(
                y=[agreement.name], base=[start.isoformat()], x=[(end - start).days * _DAY_MS],
                orientation="h", marker_color=STATUS_COLORS[status], name=status.replace("_", " "),
                legendgroup=status, showlegend=status not in shown_in_legend,
                hovertemplate=f"{html.escape(agreement.name)}: {status.replace('_', ' ')}<br>"
                              f"{start.isoformat()} – {end.isoformat()}<extra></extra>"))
            shown_in_legend.add(status)
        events = agreement.timeline.events
        if events:
            figure.add_trace(go.Scatter(
                y=[agreement.name] * len(events), x=[e.date.isoformat() for e in events],
                mode="markers", marker={"symbol": "diamond", "size": 9, "color": "#1b2631"},
                showlegend=False,
                # plotly reads markup in hover text: the rule file's words are escaped
                customdata=[[e.date.isoformat(), e.kind, html.escape(e.note or ""),
                             html.escape(e.clause.cite or "")] for e in events],
                hovertemplate="%{customdata[0]}: %{customdata[1]}<br>%{customdata[2]}<br>"
                              "<i>%{customdata[3]}</i><extra></extra>"))
    figure.add_vline(x=today.isoformat(), line_dash="dot", line_color="#2c3e50")
    figure.update_layout(barmode="overlay", height=140 + 34 * len(agreements),
                         xaxis={"type": "date"}, margin={"l": 10, "r": 10, "t": 30, "b": 30},
                         yaxis={"categoryorder": "array", "categoryarray": names[::-1]},
                         legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})
    return figure.to_plotly_json()


def _periods(timeline: ir.Timeline, today: _dt.date) -> list[tuple[_dt.date, _dt.date, str]]:
    """(start, end, status) from the first event on; the last period runs to a year
    past today, or a year past the last event if that is later."""
    dates, statuses = timeline.changes
    if not dates:
        return []
    end = max(today, dates[-1]) + _dt.timedelta(days=365)
    bounds = list(dates) + [end]
    return [(bounds[i], bounds[i + 1], statuses[i + 1]) for i in range(len(dates))
            if bounds[i] < bounds[i + 1]]


@attrs.frozen
class Clause:
    text: str
    cite: str | None
    dates: str          # "from ... until ...", or ""
    facts: tuple[str, ...]


@attrs.frozen
class ExceptionNode:
    name: str
    title: str | None
    clause: Clause
    burden: str
    children: tuple["ExceptionNode", ...]


@attrs.frozen
class AgreementPicture:
    agreement: ir.Agreement
    events: tuple[ir.Event, ...]
    scope: tuple[Clause, ...]
    exceptions: tuple[ExceptionNode, ...]
    returns_to: str | None
    status_today: str


def picture(program: ir.Program, agreement: ir.Agreement, today: _dt.date) -> AgreementPicture:
    reads = FieldsRead(program)

    def clause(text, core_clause, facts) -> Clause:
        return Clause(" ".join(text.text.split()), core_clause.cite,
                      core_clause.window.describe(), tuple(sorted(facts)))

    def node(exc: ir.AgreementException) -> ExceptionNode:
        return ExceptionNode(exc.name, exc.title, clause(exc.text, exc.clause, reads.exception(exc)),
                             exc.clause.burden, tuple(node(child) for child in exc.children))

    dates, statuses = agreement.timeline.changes
    return AgreementPicture(
        agreement=agreement, events=agreement.timeline.events,
        scope=tuple(clause(c.text, c.clause, reads.conjunct(c)) for c in agreement.scope),
        exceptions=tuple(node(e) for e in agreement.exceptions),
        returns_to=" ".join(agreement.returns_to_text.text.split()) if agreement.returns_to_text else None,
        status_today=statuses[bisect.bisect_right(dates, today)])
