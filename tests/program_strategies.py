"""Hypothesis strategies for well-typed rulelang programs, for differential tests.

A fixed schema (every field optional, so unknown facts are everywhere) and a
type-directed expression generator covering every expression form; programs
add constants, functions, rules with nested and conflicting exceptions,
`first` rules, agreements with timelines, dated clauses, counter-exceptions
and both burdens of proof.
"""

from __future__ import annotations

from hypothesis import strategies as st

SCHEMA = """
enum Kind { red, green, blue }
record Item {
  kind: Kind
  n: int?
}
record Case {
  id: text
  claim_date: date
  b: bool?
  c: bool?
  i: int?
  j: int?
  x: decimal?
  t: text?
  day: date?
  other_day: date?
  place: country?
  kind: Kind?
  kinds: set<Kind>?
  numbers: list<int>?
  items: list<Item>?
}
input case: Case as_of claim_date
"""

BOOL_FIELDS = ["case.b", "case.c"]
INT_FIELDS = ["case.i", "case.j"]
DATE_FIELDS = ["case.day", "case.other_day", "case.claim_date"]
EVENT_KINDS = ["signed", "in_force", "amended", "suspended", "resumed", "terminated", "proposed"]
DATES = ["2019-01-31", "2019-11-19", "2020-02-29", "2021-02-06", "2022-12-31", "2023-03-25",
         "2024-02-29", "2025-01-20"]
COUNTRIES = ["USA", "CAN", "MEX", "GTM"]
MEMBERS = ["red", "green", "blue"]
TEXTS = ['"a"', '"ab"', "case.t"]


def _paren(s: str) -> str:
    return f"({s})"


@st.composite
def expr(draw, kind: str, depth: int = 0, env: tuple = ()) -> str:
    """An expression of `kind` (bool, int, decimal, date, duration, kinds, text, country, kind)."""
    leaf = depth >= 3 or draw(st.integers(0, 3)) == 0
    locals_of_kind = [name for name, k in env if k == kind]
    if kind == "bool":
        leaves = [st.sampled_from(["true", "false"] + BOOL_FIELDS + [f"known({f})" for f in INT_FIELDS])]
        if locals_of_kind:
            leaves.append(st.sampled_from(locals_of_kind))
        if leaf:
            return draw(st.one_of(leaves))
        sub = lambda k: expr(k, depth + 1, env)  # noqa: E731
        form = draw(st.sampled_from([
            "and", "or", "not", "cmp_int", "cmp_date", "cmp_dur", "eq_kind", "in_set", "in_list",
            "any", "all", "if", "let", "match", "coalesce", "eq_country", "eq_text", "cmp_dec",
            "with"]))
        if form in ("and", "or"):
            return _paren(f"{draw(sub('bool'))} {form} {draw(sub('bool'))}")
        if form == "not":
            return f"not {_paren(draw(sub('bool')))}"
        if form == "cmp_int":
            op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
            return _paren(f"{draw(sub('int'))} {op} {draw(sub('int'))}")
        if form == "cmp_dec":
            op = draw(st.sampled_from(["<", ">=", "=="]))
            return _paren(f"{draw(sub('decimal'))} {op} {draw(sub('decimal'))}")
        if form == "cmp_date":
            op = draw(st.sampled_from(["==", "<", "<=", ">", ">="]))
            return _paren(f"{draw(sub('date'))} {op} {draw(sub('date'))}")
        if form == "cmp_dur":
            a, b = draw(st.sampled_from(DATE_FIELDS)), draw(st.sampled_from(DATE_FIELDS))
            days = draw(st.integers(-40, 400))
            op = draw(st.sampled_from(["<=", ">", "=="]))
            return _paren(f"{a} - {b} {op} {days} days")
        if form == "eq_kind":
            return _paren(f"{draw(sub('kind'))} {draw(st.sampled_from(['==', '!=']))} "
                          f"{draw(st.sampled_from(MEMBERS))}")
        if form == "eq_country":
            return _paren(f"case.place == {draw(st.sampled_from(COUNTRIES))}")
        if form == "eq_text":
            other = draw(st.sampled_from(TEXTS))
            return _paren(f"{draw(sub('text'))} == {other}")
        if form == "in_set":
            op = draw(st.sampled_from(["in", "not in"]))
            return _paren(f"{draw(sub('kind'))} {op} {draw(sub('kinds'))}")
        if form == "in_list":
            return _paren(f"{draw(sub('int'))} in case.numbers")
        if form in ("any", "all"):
            var = f"v{depth}"
            body = draw(expr("bool", depth + 1, env + ((f"{var}_n", "int"),)).map(
                lambda s: s.replace(f"{var}_n", f"{var}.n")))
            body = _paren(f"{var}.kind == {draw(st.sampled_from(MEMBERS))} or {body}")
            return _paren(f"{form} {var} in case.items: {body}")
        if form == "if":
            return _paren(f"if {draw(sub('bool'))} then {draw(sub('bool'))} else {draw(sub('bool'))}")
        if form == "let":
            var = f"l{depth}"
            value = draw(expr("int", depth + 1, env))
            body = draw(expr("bool", depth + 1, env + ((var, "int"),)))
            return _paren(f"let {var} = {value} in {body}")
        if form == "match":
            arms = [f"{m} => {draw(sub('bool'))}" for m in draw(st.permutations(MEMBERS))[:2]]
            return _paren(f"match {draw(sub('kind'))} {{ {', '.join(arms)}, _ => {draw(sub('bool'))} }}")
        if form == "coalesce":
            return _paren(f"{draw(sub('bool'))} ?? {draw(st.sampled_from(['true', 'false']))}")
        if form == "with":
            return _paren(f"(case with {{ b: {draw(st.sampled_from(['true', 'false']))} }}).b "
                          f"or {draw(sub('bool'))}")
    if kind == "int":
        leaves = [st.integers(-3, 30).map(lambda v: f"({v})"), st.sampled_from(INT_FIELDS)]
        if locals_of_kind:
            leaves.append(st.sampled_from(locals_of_kind))
        if leaf:
            return draw(st.one_of(leaves))
        sub = lambda k: expr(k, depth + 1, env)  # noqa: E731
        form = draw(st.sampled_from(["+", "-", "*", "count", "len", "if", "coalesce", "neg", "match"]))
        if form in ("+", "-", "*"):
            return _paren(f"{draw(sub('int'))} {form} {draw(sub('int'))}")
        if form == "neg":
            return _paren(f"-{draw(sub('int'))}")
        if form == "count":
            return _paren(f"count v{depth} in case.items: v{depth}.kind == {draw(st.sampled_from(MEMBERS))}")
        if form == "len":
            return "len(case.numbers)"
        if form == "if":
            return _paren(f"if {draw(sub('bool'))} then {draw(sub('int'))} else {draw(sub('int'))}")
        if form == "match":
            return _paren(f"match {draw(sub('kind'))} {{ red => 1, green | blue => {draw(sub('int'))} }}")
        return _paren(f"{draw(sub('int'))} ?? {draw(st.integers(0, 9))}")
    if kind == "decimal":
        if leaf:
            return draw(st.sampled_from(["case.x", "1.5", "0.25", "case.i"]))
        form = draw(st.sampled_from(["+", "/", "*"]))
        return _paren(f"{draw(expr('decimal', depth + 1, env))} {form} {draw(expr('decimal', depth + 1, env))}")
    if kind == "date":
        if leaf:
            return draw(st.one_of(st.sampled_from(DATE_FIELDS), st.sampled_from(DATES)))
        unit = draw(st.sampled_from(["days", "months", "years", "weeks"]))
        op = draw(st.sampled_from(["+", "-"]))
        return _paren(f"{draw(expr('date', depth + 1, env))} {op} {draw(st.integers(0, 40))} {unit}")
    if kind == "kind":
        return draw(st.sampled_from(["case.kind", "red", "blue"]))
    if kind == "kinds":
        if leaf:
            return draw(st.sampled_from(["case.kinds", "{red}", "{red, blue}", "{}"]))
        op = draw(st.sampled_from(["union", "intersect", "minus"]))
        return _paren(f"{draw(expr('kinds', depth + 1, env))} {op} {draw(expr('kinds', depth + 1, env))}")
    if kind == "text":
        if leaf:
            return draw(st.sampled_from(['case.t', '"a"', '""']))
        return _paren(f"{draw(expr('text', depth + 1, env))} + {draw(expr('text', depth + 1, env))}")
    if kind == "country":
        return draw(st.sampled_from(["case.place", "USA", "CAN", "(case.place ?? MEX)"]))
    raise AssertionError(kind)


def _mods(draw) -> str:
    parts = [f'cite "s.{draw(st.integers(1, 9))}"']
    start, end = sorted(draw(st.lists(st.sampled_from(DATES), min_size=2, max_size=2)))
    if draw(st.booleans()):
        parts.append(f"from {start}")
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"until {end}")
    return " ".join(parts)


@st.composite
def programs(draw) -> str:
    """A complete program: schema, helpers, rules and one or two agreements."""
    out = [SCHEMA]
    out.append(f"const small: set<Kind> = {draw(st.sampled_from(['{red}', '{red, green}', '{}']))}")
    out.append("def above(n: int?, m: int?): bool? = n > m")
    out.append(f"rule flag: bool? = {draw(expr('bool'))} cite \"r.1\"")
    # a rule with (nested, possibly conflicting) exceptions
    values = ["1", "2", "3", "case.i"]
    lines = ["rule level: int? {", f"  default {draw(st.sampled_from(values))} cite \"r.2\""]
    names = []
    for n in range(draw(st.integers(0, 3))):
        name = f"e{n}"
        parent = f" of {draw(st.sampled_from(names))}" if names and draw(st.booleans()) else ""
        lines.append(f"  exception {name}{parent} when {draw(expr('bool', 1))} => "
                     f"{draw(st.sampled_from(values))} {_mods(draw)}")
        names.append(name)
    lines.append("}")
    out.append("\n".join(lines))
    branches = [f"  when {draw(expr('bool', 1))} => {draw(st.sampled_from(COUNTRIES))} {_mods(draw)}"
                for _ in range(draw(st.integers(1, 3)))]
    out.append("rule target: country? = first {\n" + "\n".join(branches) +
               f"\n  otherwise {draw(st.sampled_from(COUNTRIES))} cite \"r.4\"\n}}")
    for a in range(draw(st.integers(1, 2))):
        events = sorted(draw(st.lists(st.tuples(st.sampled_from(DATES), st.sampled_from(EVENT_KINDS)),
                                      min_size=1, max_size=4)))
        timeline = "\n".join(f"    {d} {k} cite \"t\"" for d, k in events)
        conjuncts = "\n".join(f"    {draw(expr('bool'))} {_mods(draw)}"
                              for _ in range(draw(st.integers(1, 3))))
        candidates = [draw(expr("bool")), "flag", "level > 1", "above(case.i, case.j)",
                      "case.kind in small"]
        exceptions, exc_names = [], []
        for n in range(draw(st.integers(0, 3))):
            name = f"x{n}"
            parent = f" of {draw(st.sampled_from(exc_names))}" if exc_names and draw(st.booleans()) else ""
            burden = " burden state" if draw(st.integers(0, 3)) == 0 else ""
            exceptions.append(f"  exception {name}{parent} when {draw(st.sampled_from(candidates))} "
                              f"{_mods(draw)}{burden}")
            exc_names.append(name)
        returns = draw(st.sampled_from(["target", "case.place", "CAN", draw(expr("country"))]))
        out.append(f"agreement a{a} \"A{a}\" {{\n  returns_to {returns}\n  timeline {{\n{timeline}\n  }}\n"
                   f"  applies when {{\n{conjuncts}\n  }}\n" + "\n".join(exceptions) + "\n}")
    return "\n\n".join(out) + "\n"
