"""The HTML report: one self-contained page (the plotting library inlined, no
network when it is opened) of what a Tally counted: outcomes per agreement,
outcomes over time by claim month, the facts undetermined outcomes miss most,
the exceptions that hold or are left unproven, and the summary's groups.

Charts are drawn with plotly (pip install 'rulelang[report]'); its JavaScript
is written into the page once.
"""

from __future__ import annotations

import html

from rulelang.views.person import ORDER
from rulelang.views.summary import to_json

COLORS = {"applies": "#c0392b", "exempt": "#27ae60", "undetermined": "#f1c40f",
          "not_applicable": "#95a5a6", "not_in_force": "#d5dbdb"}
TOP = 15


def render_report(tally, title: str, as_of_field: str | None = None) -> str:
    import plotly.graph_objects as go

    data = to_json(tally)
    outcomes = [o for o in ORDER if o in data["outcomes"]]
    sections = [_intro(data, title)]
    figures: list[tuple[str, object, str]] = []

    agreements = [row["agreement"] for row in data["agreements"]]
    if agreements:
        fig = go.Figure([go.Bar(name=o.replace("_", " "), y=agreements, x=[row[o]["count"] for row in
                                data["agreements"]], orientation="h", marker_color=COLORS[o])
                         for o in outcomes])
        fig.update_layout(barmode="stack", height=120 + 28 * len(agreements),
                          yaxis={"autorange": "reversed"}, xaxis_title="decisions")
        figures.append(("Outcomes per agreement", fig, _table(data["agreements"], outcomes)))

    if tally.months:
        months = sorted(tally.months)
        fig = go.Figure([go.Bar(name=o.replace("_", " "), x=months, y=[tally.months[m][o] for m in months],
                                marker_color=COLORS[o]) for o in outcomes])
        fig.update_layout(barmode="stack", height=420, xaxis_title=f"month of {as_of_field or 'the as-of date'}",
                          yaxis_title="decisions")
        figures.append((f"Outcomes over time (by month of {as_of_field or 'the as-of date'})", fig, ""))

    for heading, counts, what in (
            ("Facts most often missing (undetermined outcomes)", tally.missing, "decisions missing it"),
            ("Exceptions that hold", tally.exceptions, "exempt decisions"),
            ("Exceptions left unestablished for lack of a fact", tally.unproven, "decisions")):
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
        if not top:
            continue
        labels = [f"{name} ({agreement})" for (agreement, name), _ in top]
        fig = go.Figure(go.Bar(y=labels, x=[n for _, n in top], orientation="h", marker_color="#34495e"))
        fig.update_layout(height=120 + 26 * len(top), yaxis={"autorange": "reversed"}, xaxis_title=what)
        figures.append((heading, fig, ""))

    for group in data.get("groups", ()):
        name = ", ".join(f"{k} = {v}" for k, v in group["group"].items())
        if group["agreements"]:
            figures.append((f"Group: {name} ({group['records']:,} records, {group['invalid']:,} invalid)",
                            None, _table(group["agreements"], outcomes)))

    first = True
    for heading, fig, table in figures:
        body = ""
        if fig is not None:
            fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 40}, legend={"orientation": "h"},
                              template="plotly_white")
            body = fig.to_html(full_html=False, include_plotlyjs=first,
                               config={"displaylogo": False, "responsive": True})
            first = False
        sections.append(f"<section><h2>{html.escape(heading)}</h2>{body}{table}</section>")
    return _PAGE.format(title=html.escape(title), body="\n".join(sections))


def _intro(data: dict, title: str) -> str:
    return (f"<h1>{html.escape(title)}</h1><p>{data['records']:,} records: {data['valid']:,} valid, "
            f"{data['invalid']:,} invalid ({data['invalid_pct']:.1f}%). Percentages are of the valid "
            "records.</p>")


def _table(rows: list[dict], outcomes: list[str]) -> str:
    head = "".join(f"<th>{html.escape(o.replace('_', ' '))}</th>" for o in outcomes)
    body = "".join(
        f"<tr><td>{html.escape(row['agreement'])}</td>"
        + "".join(f"<td>{row[o]['count']:,} <small>{row[o]['pct']:.1f}%</small></td>" for o in outcomes)
        + "</tr>" for row in rows)
    return f"<table><thead><tr><th>agreement</th>{head}</tr></thead><tbody>{body}</tbody></table>"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 90%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
small {{ color: #777; }}
section {{ margin-bottom: 2.5em; }}
</style></head><body>
{body}
<p><small>Generated by rulelang report. rulelang encodes what the sources say; it is not legal advice.</small></p>
</body></html>
"""
