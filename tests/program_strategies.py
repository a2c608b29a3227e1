"""Hypothesis strategies for well-typed rulelang programs, for differential tests.

A fixed schema (optional fields, so unknown facts are everywhere, and a few
required ones, so some values are certainly known) and a type-directed
expression generator covering every expression form. `expr(kind, known=True)`
draws an expression that cannot be unknown, which is what a non-optional
rule, function or field needs; the checker must accept every program drawn
here (tests/test_backends.py asserts it does).

Programs hold every kind of definition the checker accepts: constants,
functions, a non-optional rule, rules with nested and conflicting
exceptions, a rule in force only between dates (so optional) and read
through a function, a `let`, a quantifier, `if`, `??` and `known`; `first`
rules with dated branches and a possibly dated `otherwise`; agreements with
timelines, dated clauses, counter-exceptions and both burdens of proof, one
of them reading another's decision.
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
  nb: bool
  ni: int
  nkind: Kind
  nitems: list<Item>
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

EVENT_KINDS = ["signed", "in_force", "amended", "suspended", "resumed", "terminated", "proposed"]
DATES = ["2019-01-31", "2019-11-19", "2020-02-29", "2021-02-06", "2022-12-31", "2023-03-25",
         "2024-02-29", "2025-01-20"]
COUNTRIES = ["USA", "CAN", "MEX", "GTM"]
MEMBERS = ["red", "green", "blue"]

# leaves by kind: (text, may be unknown)
LEAVES = {
    "bool": [("true", False), ("false", False), ("case.nb", False), ("case.b", True),
             ("case.c", True), ("known(case.i)", False), ("known(case.j)", False),
             ("sure", False), ("flag", True), ("dated", True), ("through()", True),
             ("sure_or(dated)", False), ("(case.b ?? true)", False)],
    "int": [("case.ni", False), ("case.i", True), ("case.j", True), ("(case.i ?? 0)", False)],
    "date": [("case.claim_date", False), ("case.day", True), ("case.other_day", True)]
            + [(d, False) for d in DATES],
    "kind": [("case.nkind", False), ("case.kind", True), ("red", False), ("blue", False)],
    "kinds": [("case.kinds", True), ("{red}", False), ("{red, blue}", False), ("{}", False)],
    "text": [("case.t", True), ('"a"', False), ('""', False)],
    "country": [("case.place", True), ("USA", False), ("CAN", False), ("(case.place ?? MEX)", False)],
}


def _paren(s: str) -> str:
    return f"({s})"


@st.composite
def expr(draw, kind: str, depth: int = 0, env: tuple = (), known: bool = False,
         avoid: frozenset = frozenset()) -> str:
    """An expression of `kind` (bool, int, decimal, date, kinds, text, country, kind);
    `known`: one that cannot be unknown; `avoid`: definitions it must not read (the
    one being defined, and those that read it). `env` holds (name, kind, may be unknown)."""
    leaf = depth >= 3 or draw(st.integers(0, 3)) == 0
    sub = lambda k, known=known: expr(k, depth + 1, env, known, avoid)  # noqa: E731
    leaves = [text for text, unknown in LEAVES.get(kind, [])
              if not (known and unknown) and not any(name in text for name in avoid)]
    leaves += [name for name, k, unknown in env if k == kind and not (known and unknown)]
    if kind == "bool":
        if leaf:
            return draw(st.sampled_from(leaves))
        forms = ["and", "or", "not", "cmp_int", "cmp_date", "cmp_dur", "eq_kind", "in_set", "any",
                 "all", "if", "let", "match", "coalesce", "eq_text", "with"]
        if "dated" not in avoid:
            forms.append("let_dated")
        if not known:
            forms += ["in_list", "eq_country", "cmp_dec"] + (
                ["quantified_dated"] if "dated" not in avoid else [])
        form = draw(st.sampled_from(forms))
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
            a, b = draw(sub("date")), draw(sub("date"))
            days = draw(st.integers(-40, 400))
            op = draw(st.sampled_from(["<=", ">", "==", "!="]))
            return _paren(f"{a} - {b} {op} {days} days")
        if form == "eq_kind":
            return _paren(f"{draw(sub('kind'))} {draw(st.sampled_from(['==', '!=']))} "
                          f"{draw(st.sampled_from(MEMBERS))}")
        if form == "eq_country":
            return _paren(f"case.place == {draw(st.sampled_from(COUNTRIES))}")
        if form == "eq_text":
            return _paren(f"{draw(sub('text'))} == {draw(sub('text'))}")
        if form == "in_set":
            op = draw(st.sampled_from(["in", "not in"]))
            return _paren(f"{draw(sub('kind'))} {op} {draw(sub('kinds'))}")
        if form == "in_list":
            return _paren(f"{draw(sub('int'))} in case.numbers")
        if form in ("any", "all"):
            var = f"v{depth}"
            items = "case.nitems" if known else draw(st.sampled_from(["case.items", "case.nitems"]))
            inner = env + ((f"{var}.n", "int", True), (f"{var}.kind", "kind", False))
            body = draw(expr("bool", depth + 1, inner, known, avoid))
            body = _paren(f"{var}.kind == {draw(st.sampled_from(MEMBERS))} or {body}")
            return _paren(f"{form} {var} in {items}: {body}")
        if form == "quantified_dated":  # a dated rule read inside a quantifier's body
            var = f"q{depth}"
            return _paren(f"{draw(st.sampled_from(['any', 'all']))} {var} in case.items: "
                          f"dated and {var}.kind == {draw(st.sampled_from(MEMBERS))}")
        if form == "if":
            return _paren(f"if {draw(sub('bool'))} then {draw(sub('bool'))} else {draw(sub('bool'))}")
        if form == "let":
            var = f"l{depth}"
            value_known = known or draw(st.booleans())
            value = draw(expr("int", depth + 1, env, value_known, avoid))
            body = draw(expr("bool", depth + 1, env + ((var, "int", not value_known),), known, avoid))
            return _paren(f"let {var} = {value} in {body}")
        if form == "let_dated":  # `let x = r in x and true`, with r in force only between dates
            var = f"w{depth}"
            tail = f"({var} ?? {draw(st.sampled_from(['true', 'false']))})" if known else var
            return _paren(f"let {var} = dated in {tail} and {draw(sub('bool'))}")
        if form == "match":
            arms = [f"{m} => {draw(sub('bool'))}" for m in draw(st.permutations(MEMBERS))[:2]]
            return _paren(f"match {draw(sub('kind'))} {{ {', '.join(arms)}, _ => {draw(sub('bool'))} }}")
        if form == "coalesce":
            return _paren(f"{draw(sub('bool', False))} ?? {_paren(draw(sub('bool', True)))}")
        if form == "with":
            field = "nb" if known else draw(st.sampled_from(["b", "nb"]))
            return _paren(f"(case with {{ {field}: {draw(st.sampled_from(['true', 'false']))} }}).{field} "
                          f"or {draw(sub('bool'))}")
    if kind == "int":
        if leaf:
            return draw(st.one_of(st.integers(-3, 30).map(lambda v: f"({v})"), st.sampled_from(leaves)))
        forms = ["+", "-", "*", "count", "if", "coalesce", "neg", "match"]
        if not known:
            forms.append("len")
        form = draw(st.sampled_from(forms))
        if form in ("+", "-", "*"):
            return _paren(f"{draw(sub('int'))} {form} {draw(sub('int'))}")
        if form == "neg":
            return _paren(f"-{draw(sub('int'))}")
        if form == "count":
            items = "case.nitems" if known else draw(st.sampled_from(["case.items", "case.nitems"]))
            return _paren(f"count v{depth} in {items}: v{depth}.kind == {draw(st.sampled_from(MEMBERS))}")
        if form == "len":
            return "len(case.numbers)"
        if form == "if":
            return _paren(f"if {draw(sub('bool'))} then {draw(sub('int'))} else {draw(sub('int'))}")
        if form == "match":
            return _paren(f"match {draw(sub('kind'))} {{ red => 1, green | blue => {draw(sub('int'))} }}")
        return _paren(f"{draw(sub('int', False))} ?? {draw(st.integers(0, 9))}")
    if kind == "decimal":
        if leaf:
            return draw(st.sampled_from(["case.x", "1.5", "0.25", "case.i"]))
        form = draw(st.sampled_from(["+", "/", "*"]))
        return _paren(f"{draw(expr('decimal', depth + 1, env))} {form} {draw(expr('decimal', depth + 1, env))}")
    if kind == "date":
        if leaf:
            return draw(st.sampled_from(leaves))
        unit = draw(st.sampled_from(["days", "months", "years", "weeks"]))
        op = draw(st.sampled_from(["+", "-"]))
        return _paren(f"{draw(sub('date'))} {op} {draw(st.integers(0, 40))} {unit}")
    if kind in ("kind", "country"):
        return draw(st.sampled_from(leaves))
    if kind == "kinds":
        if leaf:
            return draw(st.sampled_from(leaves))
        op = draw(st.sampled_from(["union", "intersect", "minus"]))
        return _paren(f"{draw(sub('kinds'))} {op} {draw(sub('kinds'))}")
    if kind == "text":
        if leaf:
            return draw(st.sampled_from(leaves))
        return _paren(f"{draw(sub('text'))} + {draw(sub('text'))}")
    raise AssertionError(kind)


def _window(draw, required: bool = False) -> str:
    start, end = sorted(draw(st.lists(st.sampled_from(DATES), min_size=2, max_size=2)))
    parts = []
    if required or draw(st.booleans()):
        parts.append(f"from {start}")
    if draw(st.integers(0, 3)) == 0 or (required and not parts):
        parts.append(f"until {end}")
    return " ".join(parts)


def _mods(draw) -> str:
    return f'cite "s.{draw(st.integers(1, 9))}" {_window(draw)}'.rstrip()


@st.composite
def programs(draw) -> str:
    """A complete program: schema, helpers, rules and one to three agreements."""
    out = [SCHEMA]
    out.append(f"const small: set<Kind> = {draw(st.sampled_from(['{red}', '{red, green}', '{}']))}")
    out.append("def above(n: int?, m: int?): bool? = n > m")
    # a non-optional rule and the rules every expression may read (see LEAVES)
    readers = {"through", "sure_or"}  # the functions that read `dated` and `sure`
    sure = draw(expr("bool", 1, known=True, avoid=frozenset({"sure", "flag", "dated"} | readers)))
    out.append(f'rule sure: bool = {sure} cite "r.0"')
    flag = draw(expr("bool", 1, avoid=frozenset({"flag", "dated"} | readers)))
    out.append(f'rule flag: bool? = {flag} cite "r.1"')
    # in force only between dates: unknown outside them, so optional, and read through a function
    dated = draw(expr("bool", 1, avoid=frozenset({"dated"} | readers)))
    out.append(f'rule dated: bool? = {dated} {_window(draw, required=True)} cite "r.5"')
    out.append("def through(): bool? = dated")
    out.append("def sure_or(x: bool?): bool = x ?? sure")
    # a rule with (nested, possibly conflicting) exceptions and a possibly dated default
    values = ["1", "2", "3", "case.i"]
    lines = ["rule level: int? {",
             f"  default {draw(st.sampled_from(values))} cite \"r.2\" {_window(draw)}".rstrip()]
    names = []
    for n in range(draw(st.integers(0, 3))):
        name = f"e{n}"
        parent = f" of {draw(st.sampled_from(names))}" if names and draw(st.booleans()) else ""
        lines.append(f"  exception {name}{parent} when {draw(expr('bool', 1))} => "
                     f"{draw(st.sampled_from(values))} {_mods(draw)}")
        names.append(name)
    lines.append("}")
    out.append("\n".join(lines))
    # `first` with dated branches, and an `otherwise` that may be dated or absent
    branches = [f"  when {draw(expr('bool', 1))} => {draw(st.sampled_from(COUNTRIES))} {_mods(draw)}"
                for _ in range(draw(st.integers(1, 3)))]
    otherwise = draw(st.sampled_from([f'  otherwise {draw(st.sampled_from(COUNTRIES))} cite "r.4"',
                                      f'  otherwise {draw(st.sampled_from(COUNTRIES))} {_mods(draw)}']))
    out.append("rule target: country? = first {\n" + "\n".join(branches + [otherwise]) + "\n}")
    agreements = draw(st.integers(1, 3))
    if agreements > 1:  # later agreements read the first one's decision through a rule
        out.append('rule prior_applies: bool = a0.outcome == applies cite "r.6"')
        out.append('rule prior_returns: bool? = a0.returns_to == CAN cite "r.7"')
    for a in range(agreements):
        out.append(_agreement(draw, a))
    return "\n\n".join(out) + "\n"


def _agreement(draw, a: int) -> str:
    events = sorted(draw(st.lists(st.tuples(st.sampled_from(DATES), st.sampled_from(EVENT_KINDS)),
                                  min_size=1, max_size=6)))
    timeline = "\n".join(f"    {d} {k} cite \"t\"" for d, k in events)
    conditions = [expr("bool"), st.sampled_from([
        "flag", "level > 1", "above(case.i, case.j)", "case.kind in small", "dated", "through()",
        "let x = dated in x and true", "known(dated)", "sure_or(dated)", "target == CAN",
        "any v in case.nitems: dated and v.kind == red", "if dated ?? false then sure else flag"])]
    if a > 0:
        conditions.append(st.sampled_from(["prior_applies", "prior_returns", "not prior_applies",
                                           "a0.exceptions == {}", "known(a0.returns_to)"]))
    conjuncts = "\n".join(f"    {draw(st.one_of(conditions))} {_mods(draw)}"
                          for _ in range(draw(st.integers(1, 3))))
    exceptions, exc_names = [], []
    for n in range(draw(st.integers(0, 3))):
        name = f"x{n}"
        parent = f" of {draw(st.sampled_from(exc_names))}" if exc_names and draw(st.booleans()) else ""
        burden = " burden state" if draw(st.integers(0, 3)) == 0 else ""
        exceptions.append(f"  exception {name}{parent} when {draw(st.one_of(conditions))} "
                          f"{_mods(draw)}{burden}")
        exc_names.append(name)
    returns = draw(st.sampled_from(["target", "case.place", "CAN", draw(expr("country"))]))
    return (f"agreement a{a} \"A{a}\" {{\n  returns_to {returns}\n  timeline {{\n{timeline}\n  }}\n"
            f"  applies when {{\n{conjuncts}\n  }}\n" + "\n".join(exceptions) + "\n}")
