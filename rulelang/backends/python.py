"""Compile the typed core to Python: the fast path for `run` and `evaluate_many`.

The interpreter (interpret.py) is the specification; this backend must give
the same decision fields on every record (tests/test_backends.py checks it
with Hypothesis). It reads only the core: each node's `nullable` says where a
value may be unknown, and only there does the generated code test for
`Unknown`, so fully known paths run as plain Python. The decision procedure
is core/decide.py's, run on an emitting target (`_Emitting`); default logic,
`first` rules, counter-exceptions and quantifiers call the same runtime
functions as the interpreter.

The source never contains user text: identifiers are generated (`rule3`,
`v12`), and every literal that is not a number or an identifier-shaped name
(an enum member, a country code, a field) lives in the constant table `k0,
k1, ...`. Each generated function is compiled under the name of the rule file
it comes from, with the line numbers of the clauses it computes, so a
traceback points at `.rules` lines.
"""

from __future__ import annotations

import ast as pyast
import bisect
import linecache
import re
from contextlib import contextmanager

import attrs

from rulelang import runtime as R
from rulelang.core import ir
from rulelang.core.decide import decide, decision_value
from rulelang.core.known import with_fields_known
from rulelang.decision import Decision, Unestablished
from rulelang.semantics import types as T

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# The backend's one mapping of operators (semantics/operators.py): a native Python
# form where one computes the same value; any other operator calls its `fn`.
_NATIVE = {"eq": "({0} == {1})", "ne": "({0} != {1})", "lt": "({0} < {1})", "le": "({0} <= {1})",
           "gt": "({0} > {1})", "ge": "({0} >= {1})", "in": "({0} in {1})",
           "not_in": "({0} not in {1})", "int_add": "({0} + {1})", "decimal_add": "({0} + {1})",
           "text_concat": "({0} + {1})", "int_sub": "({0} - {1})", "decimal_sub": "({0} - {1})",
           "int_mul": "({0} * {1})", "decimal_mul": "({0} * {1})", "union": "({0} | {1})",
           "intersect": "({0} & {1})", "minus": "({0} - {1})", "not": "(not {0})", "neg": "(-{0})",
           "len": "len({0})", "date_diff": "Duration(0, ({0} - {1}).days)"}
# comparisons of durations counted in days: compared as day counts
_DAY_COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
                    "duration_lt": "<", "duration_le": "<=", "duration_gt": ">", "duration_ge": ">="}

INLINE_NODES = 40
HOIST_DEPTH = 20  # core levels of one generated expression before a helper function


def _name_literal(text: str) -> str:
    """A field, member or country name as a Python string literal (identifier-shaped only)."""
    if not _IDENT.match(text):
        raise ValueError(f"refusing to emit non-identifier {text!r}")
    return repr(text)


@attrs.define
class _Section:
    """One generated top-level function and the rule file it comes from."""
    source: object                 # span.Source, or None
    lines: list = attrs.Factory(list)   # [indent, text, rules line]


class _Compiler:
    def __init__(self, program: ir.Program) -> None:
        self.program = program
        self.constants: list = []
        self._constant_index: dict = {}
        self.sections: list[_Section] = []
        self.section: _Section | None = None
        self.origin = 1                # the rules line the next generated line computes
        self.counter = 0
        self.depth = 0                 # nesting of the expression being generated
        self.ids: dict = {}            # declaration -> generated function name
        self.pending: list = []        # declarations still to emit
        self.memo_used = False
        # compiling a field decider: input field -> the parameter holding its value, and
        # `fields` set while an agreement's body is emitted (rules and functions read `r`)
        self.field_params: dict | None = None
        self.fields: dict | None = None
        self.reads_record = False      # some code takes the record whole (`r`)

    # ---- source ----------------------------------------------------------------------

    def begin(self, span) -> None:
        self.section = _Section(span.source if span is not None else None)
        self.sections.append(self.section)
        self.origin = span.line if span is not None else 1

    def add(self, indent: int, line: str) -> None:
        self.section.lines.append([indent, line, self.origin])

    @contextmanager
    def at(self, span):
        """Generated lines compute the clause at `span`."""
        saved, self.origin = self.origin, span.line if span is not None else self.origin
        try:
            yield
        finally:
            self.origin = saved

    def text(self) -> str:
        return "".join(_section_text(s) for s in self.sections)

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

    def function_of(self, item, prefix: str) -> str:
        """The generated function for a rule, def, const or agreement, queued on first use."""
        if item not in self.ids:
            self.ids[item] = f"{prefix}{len(self.ids)}"
            self.pending.append(item)
        return self.ids[item]

    def record(self) -> str:
        """The record as a dict, `r`: a field decider builds it only if some code reads it."""
        self.reads_record = True
        return "r"

    def memo(self, fn: str, call: str) -> str:
        self.memo_used = True
        return f"(m[{fn!r}] if {fn!r} in m else {call})"

    # ---- expressions -----------------------------------------------------------------------

    def ex(self, expr, env: dict) -> str:
        """A Python expression computing `expr`; `env` maps core Vars to Python names."""
        if self.depth >= HOIST_DEPTH:
            return self._hoist(expr, env)
        self.depth += 1
        try:
            return _EX[type(expr)](self, expr, env)
        finally:
            self.depth -= 1

    def _hoist(self, expr, env: dict) -> str:
        """Move a deep subexpression into a function of its own: Python refuses source
        nested more than 200 parentheses deep, and each core level adds a few."""
        name = self.fresh("sub")
        params = "".join(f", {p}" for p in env.values())
        saved = self.depth, self.section, self.origin, self.fields
        self.depth, self.fields = 0, None     # the helper reads fields from `r`
        self.begin(expr.span)
        self.section.lines.append([0, f"def {name}(r, d, m{params}):", self.origin])
        self.add(1, f"return {self.ex(expr, env)}")
        self.depth, self.section, self.origin, self.fields = saved
        return f"{name}({self.record()}, d, m{params})"

    def _lit(self, expr, env):
        value = expr.value
        if type(value) is bool:
            return "True" if value else "False"
        if type(value) is int:
            return f"({value})"
        if isinstance(expr.type, T.EnumType) or expr.type == T.COUNTRY:
            return _name_literal(value)
        return self.const(value)

    def _local(self, expr, env):
        return env[expr.var]

    def _input(self, expr, env):
        return self.record()

    def _get_field(self, expr, env):
        if self.fields is not None and isinstance(expr.obj, ir.Input):
            return self.fields[expr.name]
        obj = self.ex(expr.obj, env)
        key = _name_literal(expr.name)
        if expr.obj.nullable:
            v = self.fresh()
            return f"({v} if type({v} := {obj}) is U else {v}[{key}])"
        return f"{obj}[{key}]"

    def _rule_value(self, expr, env):
        fn = self.function_of(expr.rule, "rule")
        return self.memo(fn, f"{fn}({self.record()}, d, m)")

    def _const_value(self, expr, env):
        fn = self.function_of(expr.const, "const")
        return self.memo(fn, f"{fn}({self.record()}, d, m)")

    def _decision_of(self, expr, env):
        if self.field_params is not None:
            raise _NotFieldwise("an agreement reads another's decision")
        fn = self.function_of(expr.agreement, "decide")
        key = f"value_{fn}"
        self.memo_used = True
        return (f"(m[{key!r}] if {key!r} in m else m.setdefault({key!r}, "
                f"decision_value({fn}(r, d, m['assume'], m, None))))")

    def _call(self, expr, env):
        args = [self.ex(a, env) for a in expr.args]
        function = expr.function
        if all(self.trivial(a) for a in expr.args) and _size(function.body) <= INLINE_NODES:
            # a small function called with plain values: inline its body, saving a call
            return self.ex(function.body, dict(zip(function.params, args)))
        fn = self.function_of(function, "def")
        return f"{fn}({self.record()}, d, m{''.join(', ' + a for a in args)})"

    def _prim(self, expr, env):
        op = expr.op
        if op.name in _DAY_COMPARISONS and all(self.in_days(a) for a in expr.args):
            args = [self.days(a, env) for a in expr.args]
            return self._strict(expr, args, lambda a, b: f"({a} {_DAY_COMPARISONS[op.name]} {b})")
        args = [self.ex(a, env) for a in expr.args]
        if op.name in _NATIVE:
            form = _NATIVE[op.name]
        else:
            form = f"{self.const(op.fn)}({', '.join('{%d}' % i for i in range(len(args)))}"
            form += f", {self.const(expr.op_span)})" if op.spanned else ")"
        return self._strict(expr, args, form.format)

    def _strict(self, expr, args: list[str], operation) -> str:
        """`operation(*args)` where every argument is known, else the unknown one(s)."""
        nullable = [a.nullable for a in expr.args]
        if not any(nullable):
            return operation(*args)
        if len(args) == 1:
            v = self.fresh()
            return f"({v} if type({v} := {args[0]}) is U else {operation(v)})"
        a_unknown, b_unknown = nullable
        # a known side that cannot fail need not be evaluated when the other is unknown
        if a_unknown and not b_unknown and self.trivial(expr.args[1]):
            a = self.fresh()
            return f"({a} if type({a} := {args[0]}) is U else {operation(a, args[1])})"
        if b_unknown and not a_unknown and self.trivial(expr.args[0]):
            b = self.fresh()
            return f"({b} if type({b} := {args[1]}) is U else {operation(args[0], b)})"
        a, b = self.fresh(), self.fresh()
        return (f"({operation(a, b)} if (type({a} := {args[0]}) is not U) & "
                f"(type({b} := {args[1]}) is not U) else unknown_of({a}, {b}))")

    def in_days(self, expr) -> bool:
        """A duration counted in days whatever the record: `date - date`, or `N days`."""
        if isinstance(expr, ir.Lit):
            return isinstance(expr.value, R.Duration) and expr.value.months == 0
        return isinstance(expr, ir.Prim) and expr.op.name == "date_diff"

    def days(self, expr, env: dict) -> str:
        """The number of days of an `in_days` duration, as an int expression (or Unknown)."""
        if isinstance(expr, ir.Lit):
            return f"({expr.value.days})"
        left, right = (self.ex(a, env) for a in expr.args)
        return self._strict(expr, [left, right], lambda a, b: f"({a} - {b}).days")

    def trivial(self, expr) -> bool:
        """Evaluating `expr` cannot fail and costs nothing: a literal, a variable, a known field."""
        if isinstance(expr, (ir.Lit, ir.Local, ir.Input)):
            return True
        return isinstance(expr, ir.GetField) and not expr.obj.nullable and self.trivial(expr.obj)

    def _and(self, expr, env):
        return self._and_or(expr, env)

    _or = _and

    def _and_or(self, expr, env):
        op = "and" if isinstance(expr, ir.And) else "or"
        left, right = self.ex(expr.left, env), self.ex(expr.right, env)
        # Python's own `and`/`or` are Kleene's when the left side is known: they return
        # the right operand as it is (an Unknown included) without testing its truth.
        if not expr.left.nullable:
            return f"({left} {op} {right})"
        a = self.fresh()
        if not expr.right.nullable:
            if op == "and":
                return f"(False if ({a} := {left}) is False else ({a} if {right} else False))"
            return f"(True if ({a} := {left}) is True else (True if {right} else {a}))"
        b = self.fresh()
        if op == "and":
            return (f"(False if ({a} := {left}) is False else False if ({b} := {right}) is False "
                    f"else True if {a} is True and {b} is True else unknown_of({a}, {b}))")
        return (f"(True if ({a} := {left}) is True else True if ({b} := {right}) is True "
                f"else False if {a} is False and {b} is False else unknown_of({a}, {b}))")

    def _default(self, expr, env):
        value, fallback = self.ex(expr.value, env), self.ex(expr.fallback, env)
        v = self.fresh()
        return f"({fallback} if type({v} := {value}) is U else {v})"

    def _known(self, expr, env):
        return f"(type({self.ex(expr.value, env)}) is not U)"

    def _if(self, expr, env):
        cond, then, else_ = (self.ex(e, env) for e in (expr.cond, expr.then, expr.else_))
        if not expr.cond.nullable:
            return f"({then} if {cond} else {else_})"
        c = self.fresh()
        return (f"({then} if ({c} := {cond}) is True else {else_} if {c} is False else "
                f"if_unknown({c}, {then}, {else_}))")

    def _let(self, expr, env):
        var = self.fresh("x")
        value = self.ex(expr.value, env)
        body = self.ex(expr.body, {**env, expr.var: var})
        return f"(({var} := {value}), {body})[1]"

    def _quantify(self, expr, env):
        var = self.fresh("x")
        coll = self.ex(expr.collection, env)
        body = self.ex(expr.body, {**env, expr.var: var})
        if expr.body.nullable:
            return f"quantify({expr.kind!r}, {coll}, lambda {var}: {body})"
        ordered = isinstance(expr.collection.type, T.SetType)
        items = self.fresh() if expr.collection.nullable else coll
        items_in_order = f"ordered({items})" if ordered else items
        plain = (f"{expr.kind}({body} for {var} in {items_in_order})" if expr.kind != "count"
                 else f"sum(1 for {var} in {items_in_order} if {body})")
        if expr.collection.nullable:
            return f"({items} if type({items} := {coll}) is U else {plain})"
        return plain

    def _match(self, expr, env):
        scrutinee = self.ex(expr.scrutinee, env)
        m = self.fresh()
        chain = self.ex(expr.otherwise, env) if expr.otherwise is not None else "no_match()"
        for arm in reversed(expr.arms):
            test = " or ".join(f"{m} == {_name_literal(member)}" for member in arm.members)
            chain = f"({self.ex(arm.body, env)} if {test} else {chain})"
        if expr.scrutinee.nullable:
            return f"({m} if type({m} := {scrutinee}) is U else {chain})"
        return f"(({m} := {scrutinee}), {chain})[1]"

    def _make_set(self, expr, env):
        return f"frozenset(({''.join(self.ex(i, env) + ', ' for i in expr.items)}))"

    def _make_list(self, expr, env):
        return f"({''.join(self.ex(i, env) + ', ' for i in expr.items)})"

    def _fields(self, fields, env) -> str:
        return "{" + ", ".join(f"{_name_literal(name)}: {self.ex(value, env)}"
                               for name, value in fields) + "}"

    def _make_record(self, expr, env):
        names = self.const(tuple(expr.record.fields))
        return f"make_record({names}, {self._fields(expr.fields, env)})"

    def _with(self, expr, env):
        base = self.ex(expr.base, env)
        update = self._fields(expr.fields, env)
        if expr.base.nullable:
            v = self.fresh()
            return f"({v} if type({v} := {base}) is U else {{**{v}, **{update}}})"
        return f"{{**{base}, **{update}}}"

    # ---- definitions ---------------------------------------------------------------------

    def window_test(self, clause) -> str | None:
        window, parts = clause.window, []
        if window.start is not None:
            parts.append(f"{self.const(window.start)} <= d")
        if window.end is not None:
            parts.append(f"d <= {self.const(window.end)}")
        return " and ".join(parts) or None

    def emit_pending(self) -> None:
        while self.pending:
            item = self.pending.pop()
            {ir.Rule: self._emit_rule, ir.Function: self._emit_function, ir.Const: self._emit_const,
             ir.Agreement: self._emit_agreement}[type(item)](item)

    def _emit_const(self, const: ir.Const) -> None:
        fn = self.ids[const]
        self.begin(const.span)
        self.add(0, f"def {fn}(r, d, m):")
        self.add(1, f"v = m[{fn!r}] = {self.ex(const.value, {})}")
        self.add(1, "return v")

    def _emit_function(self, function: ir.Function) -> None:
        params = {p: self.fresh("p") for p in function.params}
        self.begin(function.span)
        self.add(0, f"def {self.ids[function]}(r, d, m{''.join(', ' + p for p in params.values())}):")
        self.add(1, f"return {self.ex(function.body, params)}")

    def _emit_rule(self, rule: ir.Rule) -> None:
        fn = self.ids[rule]
        self.begin(rule.span)
        self.add(0, f"def {fn}(r, d, m):")
        no_value = f"lambda: U(frozenset({{{self.const(rule)}.no_value(d)}}))"
        if rule.branches:
            conds = {b: f"lambda r, d, m: {self.ex(b.cond, {})}" for b in rule.branches
                     if b.cond is not None}
            values = {b: f"lambda r, d, m: {self.ex(b.value, {})}" for b in rule.branches}
            self._tables(conds, values)
            self.add(1, f"v = m[{fn!r}] = first_branch({self.const(rule)}.branches, d, "
                        f"lambda b: conds[b](r, d, m), lambda b: values[b](r, d, m), {no_value})")
            self.add(1, "return v")
            return
        active = self.window_test(rule.default_clause)
        with self.at(rule.default.span):
            base = self.ex(rule.default, {})
        if not rule.exceptions:
            value = base if not active else f"({base} if {active} else ({no_value})())"
            self.add(1, f"v = m[{fn!r}] = {value}")
            self.add(1, "return v")
            return
        base_fn = f"(lambda: {base})" if not active else \
            f"(lambda: {base} if {active} else ({no_value})())"
        conds, values = {}, {}

        def collect(exceptions) -> None:
            for exc in exceptions:
                with self.at(exc.span):
                    conds[exc] = f"lambda r, d, m: {self.ex(exc.cond, {})}"
                    values[exc] = f"lambda r, d, m: {self.ex(exc.value, {})}"
                collect(exc.children)

        collect(rule.exceptions)
        self._tables(conds, values)
        self.add(1, f"v = m[{fn!r}] = default_logic({self.const(rule)}.exceptions, {base_fn}, d, "
                    "lambda e: conds[e](r, d, m), lambda e: values[e](r, d, m))")
        self.add(1, "return v")

    def _tables(self, conds: dict, values: dict) -> None:
        self.add(1, f"conds = {{{', '.join(f'{self.const(e)}: {c}' for e, c in conds.items())}}}")
        self.add(1, f"values = {{{', '.join(f'{self.const(e)}: {v}' for e, v in values.items())}}}")

    def _emit_agreement(self, agreement: ir.Agreement) -> None:
        self.begin(agreement.span)
        params = "".join(", " + p for p in (self.field_params or {}).values())
        self.add(0, f"def {self.ids[agreement]}(r, d, assume, m, cid{params}):")
        self.fields = self.field_params
        target = _Emitting(self, agreement)
        decide(agreement, target)
        target.close()
        self.fields = None

    def emit_decide_all(self) -> None:
        """`decide_all(r, as_of=None, assume=None, agreements=None)`: every root
        agreement's decision for one record (a selection goes the slow way)."""
        program = self.program
        self.begin(None)
        self.add(0, "def decide_all(r, as_of=None, assume=None, agreements=None):")
        self.add(1, "if agreements is not None:")
        self.add(2, "return select(r, as_of, assume, agreements)")
        if program.as_of_field is None:     # (an input with no as-of field: the date is given)
            self.add(1, "d = as_of")
        else:
            self.add(1, f"d = as_of or r[{_name_literal(program.as_of_field)}]")
        if program.input_type.fields.get("id") == T.TEXT:
            self.add(1, "cid = r['id']")
        else:
            self.add(1, "cid = r.get('id')")
            self.add(1, "if type(cid) is U:")
            self.add(2, "cid = None")
        # the memo caches rule, constant and decision values within one record
        memo = "m" if self.memo_used else "None"
        if self.memo_used:
            self.add(1, "m = {'assume': assume}")
        calls = ", ".join(f"{self.ids[a]}(r, d, assume, {memo}, cid)" for a in program.agreements)
        self.add(1, f"return [{calls}]")

    def emit_decide_fields(self, checks: list[str] | None = None, known: ir.Agreement | None = None) -> None:
        """`decide_fields(as_of, assume, *values)`: `decide_all` for a record given as the
        values of its fields, in declaration order, into a `Result` list; or, given the
        `checks` that fill those variables from a record `data`, `decide_record(data,
        as_of, assume)`. A single agreement is decided in its body (a call with every
        field saved); several are called, after `emit_pending` has emitted them. Given
        `known`, the single agreement as read on a record with every field known
        (core/known.py), the checks set `KNOWN` and such a record is decided by it."""
        program, params = self.program, self.field_params
        inline = len(program.agreements) == 1
        self.begin(program.agreements[0].span if inline else None)
        if checks is None:
            self.add(0, f"def decide_fields(as_of, assume, {', '.join(params.values())}):")
        else:
            self.add(0, "def decide_record(data, as_of, assume):")
            for line in checks:
                self.add(1, line)
        if program.as_of_field is None:     # (an input with no as-of field: the date is given)
            self.add(1, "d = as_of")
        else:
            self.add(1, f"d = as_of or {params[program.as_of_field]}")
        if "id" not in params:
            self.add(1, "cid = None")
        elif program.input_type.fields["id"] == T.TEXT:
            self.add(1, f"cid = {params['id']}")
        else:
            self.add(1, f"cid = None if type({params['id']}) is U else {params['id']}")
        self.add(1, "out = Result()")   # (an empty list subclass and append: its cheapest build)
        section, prologue = self.section, len(self.section.lines)
        if inline:
            self.fields = params
            if known is not None:
                self.add(1, f"if {KNOWN}:")
                self.decide_inline(known, indent=2)
            self.decide_inline(program.agreements[0], indent=1)
            self.fields = None
            self.emit_pending()
        memo = "m" if self.memo_used else "None"
        record = "r" if self.reads_record else "None"
        if not inline:
            for agreement in program.agreements:
                self.add(1, f"out.append({self.ids[agreement]}({record}, d, assume, {memo}, cid, "
                            f"{', '.join(params.values())}))")
            self.add(1, "return out")
        # the record as a dict only if a rule, function or helper reads it whole (and the
        # memo they are given with it)
        if self.reads_record or self.memo_used:
            section.lines.insert(prologue, [1, "m = {'assume': assume}" if self.memo_used
                                            else "m = None", section.lines[prologue][2]])
        if self.reads_record:
            display = ", ".join(f"{_name_literal(f)}: {p}" for f, p in params.items())
            section.lines.insert(prologue, [1, f"r = {{{display}}}", section.lines[prologue][2]])


    def decide_inline(self, agreement: ir.Agreement, indent: int) -> None:
        """The decision procedure's statements for `agreement`, into `out`."""
        target = _Emitting(self, agreement, into="out", indent=indent)
        decide(agreement, target)
        target.close()


_EX = ir.visitor_table(_Compiler)
# the variable a field decider's checks leave true where every field of the record is known
KNOWN = "chk_known"


@attrs.define(eq=False)
class _Value:
    """A value in generated code: a Python expression, bound to a name once used twice."""
    code: str
    nullable: bool
    bound: bool = False
    origin: int | None = None   # the rules line that computes it, if not the current one


@attrs.define(eq=False)
class _Accumulator:
    """A list of names or a set of facts in generated code, declared only if used."""
    name: str
    kind: str           # "facts" or "list"
    slot: list          # the source line that declares it (emptied if never used)
    used: bool = False
    read: bool = False  # a decision was built from it: it must not change after


class _Emitting:
    """The decision procedure's target in the compiler: it writes the Python
    statements that take each step, into the body of `decideN(r, d, assume, m, cid)`."""

    def __init__(self, compiler: _Compiler, agreement: ir.Agreement, into: str | None = None,
                 indent: int = 1) -> None:
        self.c = compiler
        self.agreement = agreement
        self.into = into      # the list a decision goes into before it is returned, if any
        self.indent = indent
        self.name = _name_literal(agreement.name)
        self._closed = (None, None, -1)   # the block that ended last: keyword, test, at line

    def line(self, text: str) -> None:
        self.c.add(self.indent, text)

    def _block(self, test: str, keyword: str = "if"):
        self.line(f"{keyword} {test}:")
        self.indent += 1
        yield
        self.indent -= 1
        self._closed = (keyword, test, len(self.c.section.lines))

    def _bind(self, value: _Value) -> str:
        if not value.bound:
            name = self.c.fresh("h")
            self.line(f"{name} = {value.code}")
            value.code, value.bound = name, True
        return value.code

    # values
    def status(self, agreement: ir.Agreement) -> None:
        dates, statuses = _boundaries(*agreement.timeline.changes)
        if len(dates) <= 4:  # a short timeline: a chain of comparisons beats a call
            chain = repr(statuses[-1])
            for day, before in reversed(list(zip(dates, statuses))):
                chain = f"{before!r} if d < {self.c.const(day)} else {chain}"
        else:
            chain = f"{self.c.const(statuses)}[bisect_right({self.c.const(dates)}, d)]"
        self.line(f"status = {chain}")

    def clause_value(self, expr, conjunct: ir.Conjunct) -> _Value:
        with self.c.at(conjunct.span):
            value = _Value(self.c.ex(expr, {}), expr.nullable, origin=self.c.origin)
            if expr.nullable:   # tested twice (false? unknown?); else once, in when_false
                self._bind(value)
        return value

    def returns_to(self, agreement: ir.Agreement) -> _Value:
        with self.c.at(agreement.returns_to.span):
            return _Value(self.c.ex(agreement.returns_to, {}), agreement.returns_to.nullable)

    def exception_value(self, exc: ir.AgreementException) -> _Value:
        with self.c.at(exc.span):
            cond = self.c.ex(exc.cond, {})
        active = self.c.window_test(exc.clause)
        return _Value(f"({cond} if {active} else False)" if active else cond, exc.cond.nullable)

    def unless_defeated(self, value: _Value, children, unestablished: _Accumulator) -> _Value:
        self._use(unestablished)
        parts = []
        for name, state_burden, holds in children:
            child = holds()
            parts.append(f"({_name_literal(name)}, {state_burden}, lambda: {child.code})")
        return _Value(f"holds_unless({value.code}, ({', '.join(parts)},), {unestablished.name})",
                      True)

    # blocks
    def not_in_force(self):
        yield from self._block("status != 'in_force' and assume != 'in_force'")
        self.line("assumed = None if status == 'in_force' else assume")

    def in_force(self, clause, conjunct: ir.Conjunct):
        test = self.c.window_test(clause)
        if test is None:
            yield
        else:
            yield from self._block(test)

    def when_false(self, value: _Value):
        if value.nullable or value.bound:
            yield from self._block(f"{self._bind(value)} is False")
            return
        saved, self.c.origin = self.c.origin, value.origin
        self.line(f"if not {value.code}:")   # no `c = ...; if c is False`
        self.c.origin = saved
        self.indent += 1
        yield
        self.indent -= 1
        self._closed = ("if", None, len(self.c.section.lines))

    def when_true(self, value: _Value):
        if value.nullable or value.bound:
            code = self._bind(value)
            yield from self._block(f"{code} is True" if value.nullable else code)
            return
        yield from self._block(value.code)   # read once: no `h = ...; if h:`

    def when_unknown(self, value: _Value):
        code = self._bind(value)
        # right after `if v is True:`, the value cannot be both: `elif` saves a test
        follows_true = self._closed[1:] == (f"{code} is True", len(self.c.section.lines))
        yield from self._block(f"type({code}) is U", "elif" if follows_true else "if")

    def when_any(self, accumulator: _Accumulator):
        if accumulator.used:
            accumulator.read = True
            yield from self._block(f"{accumulator.name} is not None" if accumulator.kind == "facts"
                                   else accumulator.name)

    # accumulators
    def _accumulator(self, kind: str, prefix: str) -> _Accumulator:
        slot = [self.indent, "", self.c.origin]
        self.c.section.lines.append(slot)
        return _Accumulator(self.c.fresh(prefix), kind, slot)

    def _use(self, accumulator: _Accumulator) -> None:
        if accumulator.read:
            raise AssertionError("an accumulator changed after a decision was built from it")
        if not accumulator.used:
            accumulator.used = True
            accumulator.slot[1] = f"{accumulator.name} = {'None' if accumulator.kind == 'facts' else '[]'}"

    def facts(self) -> _Accumulator:
        return self._accumulator("facts", "f")

    def names(self) -> _Accumulator:
        return self._accumulator("list", "held")

    def unestablished(self) -> _Accumulator:
        return self._accumulator("list", "unest")

    def add_facts(self, accumulator: _Accumulator, value: _Value) -> None:
        self._use(accumulator)
        v, f = self._bind(value), accumulator.name
        self.line(f"{f} = {v}.facts if {f} is None else {f} | {v}.facts")

    def add_name(self, names: _Accumulator, name: str) -> None:
        self._use(names)
        self.line(f"{names.name}.append({_name_literal(name)})")

    def add_unestablished(self, items: _Accumulator, name: str, value: _Value) -> None:
        self._use(items)
        self.line(f"{items.name}.append(Unestablished({_name_literal(name)}, "
                  f"tuple(sorted({self._bind(value)}.facts))))")

    def finish(self, outcome: str, exceptions=None, missing=None, unestablished=None,
               returns_to=None) -> None:
        def read(accumulator, form: str) -> str:
            if accumulator is None or not accumulator.used:
                return "()"
            accumulator.read = True
            return form.format(accumulator.name)

        held = read(exceptions, "tuple({})")
        facts = read(missing, "tuple(sorted({}))")
        unest = read(unestablished, "tuple({})")
        to = returns_to.code if returns_to is not None else "None"
        assumed = "None" if outcome == "not_in_force" else "assumed"
        decision = (f"new(D, (cid, {self.name}, d, status, {outcome!r}, {to}, {held}, {facts}, "
                    f"{unest}, {assumed}, ()))")
        if self.into is None:
            self.line(f"return {decision}")
        else:
            self.line(f"{self.into}.append({decision})")
            self.line(f"return {self.into}")

    def close(self) -> None:
        """Drop the declarations of accumulators that were never used."""
        self.c.section.lines = [line for line in self.c.section.lines if line[1]]


class _NotFieldwise(Exception):
    """The program cannot be compiled as a field decider (compile_field_decider)."""


def _boundaries(dates, statuses) -> tuple[list, list]:
    """A timeline's status changes without the dates that change nothing (a `signed`
    after a `proposed` leaves it not yet in force): `statuses[i]` holds before
    `dates[i]`, `statuses[-1]` after the last date."""
    kept = [i for i in range(len(dates)) if statuses[i] != statuses[i + 1]]
    return [dates[i] for i in kept], [statuses[i] for i in kept] + [statuses[-1]]


def _size(expr) -> int:
    return 1 + sum(_size(child) for child in ir.children(expr))


def _hashable(value) -> bool:
    if isinstance(value, (ir.Rule, dict)):
        return False
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _section_text(section: _Section) -> str:
    return "".join("    " * indent + text + "\n" for indent, text, _ in section.lines)


# ---- runtime helpers the generated code calls ----------------------------------------------

def _if_unknown(c, a, b):
    return a if R.same_value(a, b) else R.unknown_of(c, a, b)


def _no_match():
    raise AssertionError("non-exhaustive match passed the checker")


_RUNTIME = {
    "U": R.Unknown, "unknown_of": R.unknown_of, "if_unknown": _if_unknown, "ordered": R.ordered,
    "quantify": R.quantify, "Duration": R.Duration, "default_logic": R.default_logic,
    "first_branch": R.first_branch, "holds_unless": R.holds_unless, "no_match": _no_match,
    "decision_value": decision_value, "make_record": R.make_record, "Unestablished": Unestablished,
    "bisect_right": bisect.bisect_right, "new": tuple.__new__, "D": Decision,
}


class CompiledProgram:
    """Decisions without traces, equal on every field to the interpreter's."""

    def __init__(self, program: ir.Program, source: str, namespace: dict, ids: dict) -> None:
        self.program = program
        self.source = source
        self._deciders = [(agreement, namespace[ids[agreement]]) for agreement in program.agreements]
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
        return [fn(record, when, assume, memo, case_id) for agreement, fn in self._deciders
                if agreement.name in agreements]


def compile_program(program: ir.Program) -> CompiledProgram:
    """Compile the root agreements of a lowered program."""
    compiler = _Compiler(program)
    for agreement in program.agreements:
        compiler.function_of(agreement, "decide")
    compiler.emit_pending()
    compiler.emit_decide_all()
    namespace = _load(compiler)
    return CompiledProgram(program, compiler.text(), namespace, compiler.ids)


def compile_field_decider(program: ir.Program, result_type=list, checks=None):
    """`decide_fields(as_of, assume, *values) -> result_type` of decisions: the root
    agreements decided on a record given as its fields' validated values, in the input
    type's order, each read from a parameter rather than from a dict, so that no record
    dict is built (one is only if a rule, function or deep expression takes the record
    whole). None if the program cannot be compiled so (an agreement reading another's
    decision).

    Given `checks(variables, known) -> (statements, globals)`, the statements that check a
    record `data`'s fields into those variables (records.validate.fused_checks, or None:
    then so is the answer), the function is `decide_record(data, as_of, assume)` instead:
    those statements, then the decision on the variables they filled — `Policy.evaluate_many`'s
    reader, which validates and decides a record with no call between the two. Where a
    single agreement reads leaner on a record with every field known, the checks are
    asked to set the variable `known` so, and such a record is decided by that reading
    (no tests for unknown values)."""
    compiler = _Compiler(program)
    params = {field: f"fld{i}" for i, field in enumerate(program.input_type.fields)}
    compiler.field_params = params
    known = None
    if checks is not None and len(program.agreements) == 1:
        known = with_fields_known(program.agreements[0])
        known = known if known is not program.agreements[0] else None
    prelude = checks(params, KNOWN if known is not None else None) if checks is not None else None
    if checks is not None and prelude is None:
        return None
    if len(program.agreements) != 1:
        for agreement in program.agreements:
            compiler.function_of(agreement, "decide")
    try:
        compiler.emit_pending()
        compiler.emit_decide_fields(prelude[0] if prelude else None, known)
    except _NotFieldwise:
        return None
    namespace = _load(compiler, prelude[1] if prelude else None)
    namespace["Result"] = result_type
    decide_fields = namespace["decide_record" if prelude else "decide_fields"]
    decide_fields.source = compiler.text()
    return decide_fields


def _load(compiler: _Compiler, extra: dict | None = None) -> dict:
    """The namespace of the compiler's generated functions, compiled and run, with the
    `extra` globals another generator's statements in them read (a name both give must
    be the same object)."""
    namespace = dict(_RUNTIME)
    namespace.update((f"k{i}", value) for i, value in enumerate(compiler.constants))
    for name, value in (extra or {}).items():
        if namespace.setdefault(name, value) is not value:
            raise RuntimeError(f"generated code: two meanings for the global `{name}`")
    for section in compiler.sections:
        exec(_compile_section(section), namespace)  # noqa: S102 — generated, no user text
    return namespace


def _compile_section(section: _Section):
    """One generated function, compiled under its rule file's name with the line
    numbers of the clauses it computes (and the rule text put where tracebacks look)."""
    tree = pyast.parse(_section_text(section))
    origins = [origin for _, _, origin in section.lines]
    for node in pyast.walk(tree):
        if hasattr(node, "lineno"):
            node.lineno = node.end_lineno = origins[min(node.lineno, len(origins)) - 1]
            node.col_offset, node.end_col_offset = 0, 0
    source = section.source
    filename = f"<rulelang {source.name}>" if source is not None else "<rulelang>"
    if source is not None:
        lines = source.text.splitlines(keepends=True)
        linecache.cache[filename] = (len(source.text), None, lines, filename)
    return compile(tree, filename, "exec")


__all__ = ["CompiledProgram", "compile_field_decider", "compile_program"]
