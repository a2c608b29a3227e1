"""Compile a checked program to Python: the fast path for `run` and `evaluate_many`.

The interpreter (interpret.py) is the specification; this backend must give
the same decision fields on every record (tests/test_backends.py checks it
with Hypothesis). It emits Python source for one module and compiles it under
the rule file's name. The source never contains user text: identifiers are
generated (`r3`, `v12`), and every literal that is not a small integer or an
identifier-shaped name (field, enum member, country code) lives in the
constant table `K`. Types decide where an unknown value can occur; only there
does the generated code test for `Unknown`, so fully known paths run as plain
Python.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import re

from rulelang import runtime as R
from rulelang.decision import Decision, Unestablished
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.syntax import ast

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PY_OPS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "in": "in",
           "not in": "not in", "*": "*", "union": "|", "intersect": "&", "minus": "-"}


def _name_literal(text: str) -> str:
    """A field, member or country name as a Python string literal (identifier-shaped only)."""
    if not _IDENT.match(text):
        raise ValueError(f"refusing to emit non-identifier {text!r}")
    return repr(text)


class _Source:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Compiler:
    def __init__(self, program: P.Program) -> None:
        self.program = program
        self.types = program.types
        self.refs = program.refs
        self.constants: list = []
        self._constant_index: dict = {}
        self.src = _Source()
        self.counter = 0
        self.depth = 0           # nesting of the expression being generated
        self.hoisted: list[str] = []
        self.rule_ids: dict = {}
        self.def_ids: dict = {}
        self.const_ids: dict = {}
        self.agreement_ids: dict = {}
        self.pending: list = []       # (kind, decl) still to emit
        self.static_consts: dict = {}
        self._static_memo: dict = {}

    # ---- names and constants ---------------------------------------------------------

    def fresh(self, prefix: str = "v") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value) -> str:
        """The name of a module-level constant holding `value` (k0, k1, ...)."""
        key = (type(value), value) if _hashable(value) else id(value)
        if key not in self._constant_index:
            self._constant_index[key] = len(self.constants)
            self.constants.append(value)
        return f"k{self._constant_index[key]}"

    def _function(self, ids: dict, key, kind: str, prefix: str, item) -> str:
        """The generated function for a definition, queued for emission on first use."""
        if key not in ids:
            ids[key] = len(ids)
            self.pending.append((kind, item))
        return f"{prefix}{ids[key]}"

    def rule_fn(self, decl) -> str:
        return self._function(self.rule_ids, decl, "rule", "rule", decl)

    def def_fn(self, decl) -> str:
        return self._function(self.def_ids, decl, "def", "def", decl)

    def const_fn(self, decl) -> str:
        return self._function(self.const_ids, decl, "const", "const", decl)

    def agreement_fn(self, info) -> str:
        return self._function(self.agreement_ids, info.decl, "agreement", "decide", info)

    # ---- what may be unknown -------------------------------------------------------------

    def maybe_unknown(self, expr) -> bool:
        if T.is_optional(self.types.get(expr, T.BOOL)):
            return True
        if isinstance(expr, ast.Name):
            ref = self.refs[expr]
            if ref.kind == "rule":
                return _rule_may_lack_value(self.program.rules[ref.target])
        return False

    def is_static(self, expr) -> bool:
        """Does `expr` depend on nothing but literals and static constants?"""
        if isinstance(expr, ast.Name):
            ref = self.refs[expr]
            if ref.kind in ("member", "country"):
                return True
            if ref.kind == "const":
                decl = ref.target
                if decl not in self._static_memo:
                    self._static_memo[decl] = False  # guards cycles (there are none after checking)
                    self._static_memo[decl] = self.is_static(decl.value)
                return self._static_memo[decl]
            return False
        if isinstance(expr, (ast.Call, ast.Quantifier, ast.Let, ast.Match, ast.RecordLit,
                             ast.EmptyBraces, ast.With)):
            return False
        if isinstance(expr, ast.Field):
            return self.refs[expr].kind == "member"
        return all(self.is_static(child) for child in ast.children(expr))

    # ---- expressions -----------------------------------------------------------------------

    def ex(self, expr, env: dict) -> str:
        """A Python expression computing `expr`; `env` maps rulelang locals to Python names."""
        if self.depth >= HOIST_DEPTH:
            return self._hoist(expr, env)
        self.depth += 1
        try:
            return getattr(self, "_ex_" + type(expr).__name__)(expr, env)
        finally:
            self.depth -= 1

    def _hoist(self, expr, env: dict) -> str:
        """Move a deep subexpression into a function of its own: Python refuses source
        nested more than 200 parentheses deep, and each rulelang level adds a few."""
        name = self.fresh("sub")
        params = "".join(f", {p}" for p in env.values())
        saved, self.depth = self.depth, 0
        body = self.ex(expr, env)
        self.depth = saved
        self.hoisted.append(f"def {name}(r, d, m{params}):\n    return {body}")
        return f"{name}(r, d, m{params})"

    def emit_hoisted(self) -> None:
        for function in self.hoisted:
            self.src.lines.append(function)

    def _ex_BoolLit(self, expr, env):
        return "True" if expr.value else "False"

    def _ex_IntLit(self, expr, env):
        return f"({int(expr.value)})"

    def _ex_DecimalLit(self, expr, env):
        return self.const(expr.value)

    def _ex_TextLit(self, expr, env):
        return self.const(expr.value)

    def _ex_DateLit(self, expr, env):
        return self.const(self.program.dates[expr])

    def _ex_DurationLit(self, expr, env):
        return self.const(self.program.durations[expr])

    def _ex_Name(self, expr, env):
        ref = self.refs[expr]
        kind = ref.kind
        if kind == "local":
            return env[ref.target]
        if kind in ("member", "country"):
            return _name_literal(ref.target)
        if kind == "input":
            return "r"
        if kind == "rule":
            index = self.rule_fn(ref.target)
            return f"(m[{index!r}] if {index!r} in m else {index}(r, d, m))"
        if kind == "const":
            return self._const_ref(ref.target)
        if kind == "agreement":
            info = self.program.agreement_infos[ref.target]
            return f"decision_value({self.agreement_fn(info)}(r, d, m['assume'], m, None))"
        raise AssertionError(kind)

    def _const_ref(self, decl) -> str:
        if self.is_static(decl.value) and decl not in self.static_consts:
            from rulelang.interpret import Evaluation

            try:
                self.static_consts[decl] = Evaluation(self.program, None, None).const_value(decl)
            except R.EvaluationError:
                self._static_memo[decl] = False  # fails when evaluated: leave it to run time
        if decl in self.static_consts:
            return self.const(self.static_consts[decl])
        fn = self.const_fn(decl)
        return f"(m[{fn!r}] if {fn!r} in m else {fn}(r, d, m))"

    def _ex_Field(self, expr, env):
        ref = self.refs[expr]
        if ref.kind == "member":
            return _name_literal(ref.target)
        obj = self.ex(expr.obj, env)
        key = _name_literal(expr.name.name)
        if self.maybe_unknown(expr.obj):
            v = self.fresh()
            return f"({v} if type({v} := {obj}) is U else {v}[{key}])"
        return f"{obj}[{key}]"

    def _ex_Call(self, expr, env):
        ref = self.refs[expr]
        args = [self.ex(a, env) for a in expr.args]
        if ref.kind == "builtin":
            if ref.target == "known":
                return f"(type({args[0]}) is not U)"
            if self.maybe_unknown(expr.args[0]):
                v = self.fresh()
                return f"({v} if type({v} := {args[0]}) is U else len({v}))"
            return f"len({args[0]})"
        decl = ref.target
        if all(self.trivial(a) for a in expr.args) and _size(decl.body) <= INLINE_NODES:
            # a small function called with plain values: inline its body, saving a call
            return self.ex(decl.body, {p.name.name: a for p, a in zip(decl.params, args)})
        return f"{self.def_fn(decl)}(r, d, m, {', '.join(args)})" if args else \
            f"{self.def_fn(decl)}(r, d, m)"

    def _ex_Unary(self, expr, env):
        operand = self.ex(expr.operand, env)
        if expr.op == "not":
            if self.maybe_unknown(expr.operand):
                v = self.fresh()
                return f"({v} if type({v} := {operand}) is U else not {v})"
            return f"(not {operand})"
        negate = "neg_duration({})" if T.strip(self.types[expr.operand]) == T.DURATION else "(-{})"
        if self.maybe_unknown(expr.operand):
            v = self.fresh()
            return f"({v} if type({v} := {operand}) is U else {negate.format(v)})"
        return negate.format(operand)

    def _ex_Binary(self, expr, env):
        op = expr.op
        a_unknown, b_unknown = self.maybe_unknown(expr.left), self.maybe_unknown(expr.right)
        left, right = self.ex(expr.left, env), self.ex(expr.right, env)
        if op in ("and", "or"):
            # Python's own `and`/`or` are Kleene's when the left side is known: they return
            # the right operand as it is (an Unknown included) without testing its truth.
            if not a_unknown:
                return f"({left} {op} {right})"
            a = self.fresh()
            if not b_unknown:  # unknown left, known right
                if op == "and":
                    return f"(False if ({a} := {left}) is False else ({a} if {right} else False))"
                return f"(True if ({a} := {left}) is True else (True if {right} else {a}))"
            b = self.fresh()
            if op == "and":
                return (f"(False if ({a} := {left}) is False else False if ({b} := {right}) is False "
                        f"else True if {a} is True and {b} is True else unknown_of({a}, {b}))")
            return (f"(True if ({a} := {left}) is True else True if ({b} := {right}) is True "
                    f"else False if {a} is False and {b} is False else unknown_of({a}, {b}))")
        if op == "??":
            if not a_unknown:
                return left
            a = self.fresh()
            return f"({right} if type({a} := {left}) is U else {a})"
        if op in ("<", "<=", ">", ">=", "==", "!=") and self.in_days(expr.left) and \
                self.in_days(expr.right):
            left, right = self.days(expr.left, env), self.days(expr.right, env)
            operation = lambda a, b: f"({a} {op} {b})"  # noqa: E731
        else:
            operation = lambda a, b: self._operation(expr, a, b)  # noqa: E731
        if not (a_unknown or b_unknown):
            return operation(left, right)
        # A known side that cannot fail need not be evaluated when the other is unknown.
        if a_unknown and not b_unknown and self.trivial(expr.right):
            a = self.fresh()
            return f"({a} if type({a} := {left}) is U else {operation(a, right)})"
        if b_unknown and not a_unknown and self.trivial(expr.left):
            b = self.fresh()
            return f"({b} if type({b} := {right}) is U else {operation(left, b)})"
        a, b = self.fresh(), self.fresh()
        return (f"({operation(a, b)} if (type({a} := {left}) is not U) & "
                f"(type({b} := {right}) is not U) else unknown_of({a}, {b}))")

    def in_days(self, expr) -> bool:
        """A duration counted in days whatever the record: `date - date`, or `N days`."""
        if isinstance(expr, ast.DurationLit):
            duration = self.program.durations[expr]
            return duration.months == 0
        return (isinstance(expr, ast.Binary) and expr.op == "-"
                and T.strip(self.types[expr.left]) == T.DATE
                and T.strip(self.types[expr.right]) == T.DATE)

    def days(self, expr, env: dict) -> str:
        """The number of days of an `in_days` duration, as an int expression (or Unknown)."""
        if isinstance(expr, ast.DurationLit):
            return f"({self.program.durations[expr].days})"
        left, right = self.ex(expr.left, env), self.ex(expr.right, env)
        a_unknown, b_unknown = self.maybe_unknown(expr.left), self.maybe_unknown(expr.right)
        if not (a_unknown or b_unknown):
            return f"({left} - {right}).days"
        a, b = self.fresh(), self.fresh()
        return (f"(({a} - {b}).days if (type({a} := {left}) is not U) & "
                f"(type({b} := {right}) is not U) else unknown_of({a}, {b}))")

    def trivial(self, expr) -> bool:
        """Evaluating `expr` cannot fail and costs nothing: a literal, a name, a known field."""
        if isinstance(expr, (ast.BoolLit, ast.IntLit, ast.DecimalLit, ast.TextLit, ast.DateLit,
                             ast.DurationLit)):
            return True
        if isinstance(expr, ast.Name):
            return self.refs[expr].kind in ("member", "country", "local", "input") or (
                self.refs[expr].kind == "const" and self.is_static(expr))
        if isinstance(expr, ast.Field):
            return self.refs[expr].kind == "member" or (
                not self.maybe_unknown(expr.obj) and self.trivial(expr.obj))
        if isinstance(expr, ast.SetLit):
            return self.is_static(expr)
        return False

    def _operation(self, expr, a: str, b: str) -> str:
        op = expr.op
        x, y = T.strip(self.types[expr.left]), T.strip(self.types[expr.right])
        if op in ("<", "<=", ">", ">=") and x == T.DURATION:
            return f"compare_op({op!r}, {a}, {b}, {self.const(expr.op_span)})"
        if op in _PY_OPS:
            if op == "*" and T.DURATION in (x, y):
                return f"times({a}, {b})"
            return f"({a} {_PY_OPS[op]} {b})"
        if op == "/":
            return f"divide({a}, {b}, {self.const(expr.op_span)})"
        if op in ("+", "-"):
            if x == T.DATE and y == T.DURATION:
                return f"add_duration({a}, {b}, {1 if op == '+' else -1})"
            if x == T.DURATION and y == T.DATE:
                return f"add_duration({b}, {a})"
            if x == T.DATE and y == T.DATE:
                return f"Duration(0, ({a} - {b}).days)"
            if x == T.DURATION:
                return f"duration_{'plus' if op == '+' else 'minus'}({a}, {b})"
            return f"({a} {op} {b})"
        raise AssertionError(op)

    def _ex_If(self, expr, env):
        cond, then, else_ = self.ex(expr.cond, env), self.ex(expr.then, env), self.ex(expr.else_, env)
        if not self.maybe_unknown(expr.cond):
            return f"({then} if {cond} else {else_})"
        c = self.fresh()
        return (f"({then} if ({c} := {cond}) is True else {else_} if {c} is False else "
                f"if_unknown({c}, {then}, {else_}))")

    def _ex_Let(self, expr, env):
        var = self.fresh("x")
        value = self.ex(expr.value, env)
        body = self.ex(expr.body, {**env, expr.var.name: var})
        return f"(({var} := {value}), {body})[1]"

    def _ex_Quantifier(self, expr, env):
        var = self.fresh("x")
        coll = self.ex(expr.collection, env)
        body = self.ex(expr.body, {**env, expr.var.name: var})
        ordered = "ordered" if isinstance(T.strip(self.types[expr.collection]), T.SetType) else ""
        items = f"{ordered}({coll})" if ordered else coll
        if self.maybe_unknown(expr.body):
            return f"quantify_{expr.kind}({coll}, lambda {var}: {body})"
        if self.maybe_unknown(expr.collection):
            c = self.fresh()
            items = f"{ordered}({c})" if ordered else c
            plain = (f"{expr.kind}({body} for {var} in {items})" if expr.kind != "count"
                     else f"sum(1 for {var} in {items} if {body})")
            return f"({c} if type({c} := {coll}) is U else {plain})"
        if expr.kind in ("any", "all"):
            return f"{expr.kind}({body} for {var} in {items})"
        return f"sum(1 for {var} in {items} if {body})"

    def _ex_Match(self, expr, env):
        scrutinee = self.ex(expr.scrutinee, env)
        m = self.fresh()
        chain = None
        for arm in reversed(expr.arms):
            body = self.ex(arm.body, env)
            if any(p.name == "_" for p in arm.patterns):
                chain = body
                continue
            test = " or ".join(f"{m} == {_name_literal(p.name)}" for p in arm.patterns)
            chain = f"({body} if {test} else {chain or 'no_match()'})"
        if self.maybe_unknown(expr.scrutinee):
            return f"({m} if type({m} := {scrutinee}) is U else {chain})"
        return f"(({m} := {scrutinee}), {chain})[1]"

    def _ex_SetLit(self, expr, env):
        if self.is_static(expr):
            from rulelang.interpret import Evaluation

            try:
                return self.const(Evaluation(self.program, None, None).eval(expr, {}))
            except R.EvaluationError:
                pass
        return f"frozenset(({''.join(self.ex(i, env) + ', ' for i in expr.items)}))"

    def _ex_ListLit(self, expr, env):
        return f"({''.join(self.ex(i, env) + ', ' for i in expr.items)})"

    def _ex_EmptyBraces(self, expr, env):
        record_type = T.strip(self.types[expr])
        if isinstance(record_type, T.RecordType):
            return f"make_record({self.const(record_type)}, {{}})"
        return "frozenset()"

    def _fields(self, fields, env) -> str:
        return "{" + ", ".join(f"{_name_literal(f.name.name)}: {self.ex(f.value, env)}"
                               for f in fields) + "}"

    def _ex_RecordLit(self, expr, env):
        return f"make_record({self.const(T.strip(self.types[expr]))}, {self._fields(expr.fields, env)})"

    def _ex_With(self, expr, env):
        base = self.ex(expr.base, env)
        update = self._fields(expr.fields, env)
        if self.maybe_unknown(expr.base):
            v = self.fresh()
            return f"({v} if type({v} := {base}) is U else {{**{v}, **{update}}})"
        return f"{{**{base}, **{update}}}"

    # ---- definitions ---------------------------------------------------------------------

    def window_test(self, clause: P.Clause) -> str | None:
        window = clause.window
        parts = []
        if window.start is not None:
            parts.append(f"{self.const(window.start)} <= d")
        if window.end is not None:
            parts.append(f"d <= {self.const(window.end)}")
        return " and ".join(parts) or None

    @property
    def uses_memo(self) -> bool:
        return bool(self.rule_ids or self.def_ids or self.const_ids or len(self.agreement_ids) >
                    len(self.program.agreements))

    def open_window(self, clause: P.Clause) -> int:
        """Open `if <clause is law on d>:` for a dated clause; the indent of its body."""
        active = self.window_test(clause)
        if not active:
            return 1
        self.src.add(1, f"if {active}:")
        return 2

    def emit_pending(self) -> None:
        while self.pending:
            kind, item = self.pending.pop()
            getattr(self, "_emit_" + kind)(item)

    def _emit_const(self, decl) -> None:
        fn = self.const_fn(decl)
        src = self.src
        src.add(0, f"def {fn}(r, d, m):")
        src.add(1, f"v = m[{fn!r}] = {self.ex(decl.value, {})}")
        src.add(1, "return v")

    def _emit_def(self, decl) -> None:
        params = {p.name.name: self.fresh("p") for p in decl.params}
        self.src.add(0, f"def {self.def_fn(decl)}(r, d, m{''.join(', ' + p for p in params.values())}):")
        self.src.add(1, f"return {self.ex(decl.body, params)}")

    def _emit_rule(self, decl) -> None:
        rule = self.program.rules[decl]
        fn, src = self.rule_fn(decl), self.src
        src.add(0, f"def {fn}(r, d, m):")
        if rule.branches:
            for branch in rule.branches:
                indent = self.open_window(branch.clause)
                if branch.cond is None:
                    src.add(indent, f"v = m[{fn!r}] = {self.ex(branch.value, {})}")
                    src.add(indent, "return v")
                    continue
                src.add(indent, f"c = {self.ex(branch.cond, {})}")
                src.add(indent, "if c is True:")
                src.add(indent + 1, f"v = m[{fn!r}] = {self.ex(branch.value, {})}")
                src.add(indent + 1, "return v")
                if self.maybe_unknown(branch.cond):
                    src.add(indent, "if type(c) is U:")
                    src.add(indent + 1, f"m[{fn!r}] = c")
                    src.add(indent + 1, "return c")
            src.add(1, f"v = m[{fn!r}] = U(frozenset())")
            src.add(1, "return v")
            return
        active = self.window_test(rule.default_clause)
        base = self.ex(rule.default, {})
        base_fn = f"(lambda: {base})" if not active else \
            f"(lambda: {base} if {active} else U(frozenset()))"
        if not rule.exceptions:
            src.add(1, f"v = m[{fn!r}] = {base_fn}()")
            src.add(1, "return v")
            return
        conds, values = {}, {}

        def collect(excs) -> None:
            for exc in excs:
                conds[exc] = f"lambda r, d, m: {self.ex(exc.cond, {})}"
                values[exc] = f"lambda r, d, m: {self.ex(exc.value, {})}"
                collect(exc.children)

        collect(rule.exceptions)
        table = self.const(rule)
        src.add(1, f"conds = {{{', '.join(f'{self.const(e)}: {c}' for e, c in conds.items())}}}")
        src.add(1, f"values = {{{', '.join(f'{self.const(e)}: {v}' for e, v in values.items())}}}")
        src.add(1, f"v = m[{fn!r}] = default_logic({table}.exceptions, {base_fn}, d, "
                   "lambda e: conds[e](r, d, m), lambda e: values[e](r, d, m))")
        src.add(1, "return v")

    def _emit_agreement(self, info: P.AgreementInfo) -> None:
        fn, src = self.agreement_fn(info), self.src
        src.add(0, f"def {fn}(r, d, assume, m, cid):")
        name = _name_literal(info.name)
        dates = tuple(event.date for event in info.events)
        statuses = [info.status_on(_dt.date.min)] + [info.status_on(day) for day in dates]
        if len(dates) <= 4:  # a short timeline: a chain of comparisons beats a call
            chain = repr(statuses[-1])
            for day, before in reversed(list(zip(dates, statuses))):
                chain = f"{before!r} if d < {self.const(day)} else {chain}"
            src.add(1, f"status = {chain}")
        else:
            src.add(1, f"status = {self.const(tuple(statuses))}[bisect_right({self.const(dates)}, d)]")
        src.add(1, "if status != 'in_force' and assume != 'in_force':")
        src.add(2, f"return new(D, (cid, {name}, d, status, 'not_in_force', None, (), (), (), None, ()))")
        src.add(1, "assumed = None if status == 'in_force' else assume")
        src.add(1, "su = None")
        for conjunct in info.conjuncts:
            indent = self.open_window(conjunct.clause)
            src.add(indent, f"c = {self.ex(conjunct.expr, {})}")
            src.add(indent, "if c is False:")
            src.add(indent + 1, f"return new(D, (cid, {name}, d, status, 'not_applicable', None, (), (), (), "
                                "assumed, ()))")
            if self.maybe_unknown(conjunct.expr):
                src.add(indent, "if c is not True:")
                src.add(indent + 1, "su = c.facts if su is None else su | c.facts")
        src.add(1, "held = []")
        src.add(1, "unest = []")
        state_burden = any(e.clause.burden == P.STATE for e in info.exceptions)
        if state_burden:
            src.add(1, "state = None")
        for exc in info.exceptions:
            src.add(1, f"h = {self._holds(exc)}")
            src.add(1, "if h is True:")
            src.add(2, f"held.append({_name_literal(exc.name)})")
            src.add(1, "elif type(h) is U:")
            if exc.clause.burden == P.STATE:
                src.add(2, "state = h.facts if state is None else state | h.facts")
            else:
                src.add(2, f"unest.append(Unestablished({_name_literal(exc.name)}, "
                           "tuple(sorted(h.facts))))")
        src.add(1, "held = tuple(held) if held else ()")
        src.add(1, "unest = tuple(unest) if unest else ()")
        src.add(1, "if su is not None:")
        src.add(2, f"return new(D, (cid, {name}, d, status, 'undetermined', None, held, tuple(sorted(su)), "
                   "unest, assumed, ()))")
        src.add(1, "if held:")
        src.add(2, f"return new(D, (cid, {name}, d, status, 'exempt', None, held, (), unest, assumed, ()))")
        if state_burden:
            src.add(1, "if state is not None:")
            src.add(2, f"return new(D, (cid, {name}, d, status, 'undetermined', None, (), "
                       "tuple(sorted(state)), unest, assumed, ()))")
        if info.returns_to is None:
            src.add(1, f"return new(D, (cid, {name}, d, status, 'applies', None, (), (), unest, assumed, ()))")
            return
        src.add(1, f"to = {self.ex(info.returns_to, {})}")
        if self.maybe_unknown(info.returns_to):
            src.add(1, "if type(to) is U:")
            src.add(2, f"return new(D, (cid, {name}, d, status, 'undetermined', None, (), "
                       "tuple(sorted(to.facts)), unest, assumed, ()))")
        src.add(1, f"return new(D, (cid, {name}, d, status, 'applies', to, (), (), unest, assumed, ()))")

    def emit_decide_all(self) -> None:
        """`decide_all(r, as_of=None, assume=None, agreements=None)`: every root
        agreement's decision for one record (a selection goes the slow way)."""
        src, program = self.src, self.program
        src.add(0, "def decide_all(r, as_of=None, assume=None, agreements=None):")
        src.add(1, "if agreements is not None:")
        src.add(2, "return select(r, as_of, assume, agreements)")
        src.add(1, f"d = as_of or r[{_name_literal(program.as_of_field)}]")
        id_type = program.input_type.fields.get("id")
        if id_type == T.TEXT:
            src.add(1, "cid = r['id']")
        else:
            src.add(1, "cid = r.get('id')")
            src.add(1, "if type(cid) is U:")
            src.add(2, "cid = None")
        # the memo caches rule, constant and decision values within one record
        memo = "{'assume': assume}" if self.uses_memo else "None"
        calls = ", ".join(f"decide{i}(r, d, assume, {memo}, cid)" if not self.uses_memo else
                          f"decide{i}(r, d, assume, m, cid)" for i in range(len(program.agreements)))
        if self.uses_memo:
            src.add(1, f"m = {memo}")
        src.add(1, f"return [{calls}]")

    def _holds(self, exc: P.ExceptionInfo) -> str:
        """An expression for whether an agreement exception holds (mirrors the interpreter)."""
        active = self.window_test(exc.clause)
        cond = self.ex(exc.cond, {})
        if exc.children:
            children = ", ".join(f"({_name_literal(c.name)}, {c.clause.burden == P.STATE}, "
                                 f"lambda: {self._holds(c)})" for c in exc.children)
            body = f"holds_unless({cond}, ({children},), unest)"
        else:
            body = cond
        return f"({body} if {active} else False)" if active else body


INLINE_NODES = 40
HOIST_DEPTH = 20  # rulelang levels of one generated expression before a helper function


def _size(expr) -> int:
    return 1 + sum(_size(child) for child in ast.children(expr))


def _rule_may_lack_value(rule: P.RuleInfo) -> bool:
    if rule.branches:
        return any(b.clause.window.start or b.clause.window.end for b in rule.branches)
    window = rule.default_clause.window
    return bool(window.start or window.end)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return not isinstance(value, (P.AgreementInfo, P.RuleInfo, P.RuleExceptionInfo, T.RecordType))


# ---- runtime helpers the generated code calls ----------------------------------------------

def _if_unknown(c, a, b):
    return a if R.same_value(a, b) else R.unknown_of(c, a, b)


def _compare_op(op, a, b, span):
    c = R.compare_durations(a, b, span)
    return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def _times(a, b):
    if isinstance(a, R.Duration):
        return R.Duration(a.months * b, a.days * b)
    return R.Duration(b.months * a, b.days * a)


def _holds_unless(value, children, unest):
    """An exception's value given its counter-exceptions (name, burden_state, holds())."""
    if value is False:
        return False
    for name, state_burden, holds in children:
        defeated = holds()
        if defeated is True:
            return False
        if type(defeated) is R.Unknown:
            if state_burden:
                return R.unknown_of(value, defeated)
            unest.append(Unestablished(name, tuple(sorted(defeated.facts))))
    return value


def _no_match():
    raise AssertionError("non-exhaustive match passed the checker")


def _decision_value(decision: Decision) -> dict:
    return {"status": decision.status, "outcome": decision.outcome,
            "returns_to": decision.returns_to if decision.returns_to is not None else R.Unknown(),
            "exceptions": frozenset(decision.exceptions), "missing": frozenset(decision.missing),
            "unestablished": frozenset(u.exception for u in decision.unestablished)}


def _make_record(record_type, given):
    from rulelang.interpret import make_record

    return make_record(record_type, given)


_RUNTIME = {
    "U": R.Unknown, "unknown_of": R.unknown_of,
    "if_unknown": _if_unknown, "ordered": R.ordered,
    "quantify_any": lambda items, body: R.quantify("any", items, body),
    "quantify_all": lambda items, body: R.quantify("all", items, body),
    "quantify_count": lambda items, body: R.quantify("count", items, body),
    "compare_op": _compare_op, "times": _times, "divide": R.divide, "add_duration": R.add_duration,
    "Duration": R.Duration, "neg_duration": lambda v: R.Duration(-v.months, -v.days),
    "duration_plus": lambda a, b: R.Duration(a.months + b.months, a.days + b.days),
    "duration_minus": lambda a, b: R.Duration(a.months - b.months, a.days - b.days),
    "default_logic": R.default_logic, "holds_unless": _holds_unless, "no_match": _no_match,
    "decision_value": _decision_value, "make_record": _make_record, "Unestablished": Unestablished,
    "bisect_right": bisect.bisect_right, "new": tuple.__new__, "D": Decision,
}


class CompiledProgram:
    """Decisions without traces, equal on every field to the interpreter's."""

    def __init__(self, program: P.Program, source: str, namespace: dict) -> None:
        self.program = program
        self.source = source
        self._deciders = [(info, namespace[f"decide{i}"]) for i, info in
                          enumerate(program.agreements)]
        namespace["select"] = self._select
        # decide(record, as_of=None, assume=None, agreements=None) -> list of Decision: the
        # generated function itself, so a call costs no Python-level wrapper
        self.decide = namespace["decide_all"]

    def _select(self, record: dict, as_of, assume, agreements) -> list[Decision]:
        when = as_of or record[self.program.as_of_field]
        case_id = record.get("id")
        if type(case_id) is R.Unknown:
            case_id = None
        memo: dict = {"assume": assume}
        return [fn(record, when, assume, memo, case_id) for info, fn in self._deciders
                if info.name in agreements]


def compile_program(program: P.Program) -> CompiledProgram:
    """Compile the root agreements of a checked, error-free program."""
    compiler = _Compiler(program)
    for info in program.agreements:
        compiler.agreement_fn(info)
    compiler.emit_pending()
    compiler.emit_decide_all()
    compiler.emit_hoisted()
    source = compiler.src.text()
    name = program.roots[0].name if program.roots else "<rules>"
    namespace = dict(_RUNTIME)
    namespace.update((f"k{i}", value) for i, value in enumerate(compiler.constants))
    exec(compile(source, f"<rulelang {name}>", "exec"), namespace)  # noqa: S102 — generated, no user text
    return CompiledProgram(program, source, namespace)


__all__ = ["CompiledProgram", "compile_program"]
