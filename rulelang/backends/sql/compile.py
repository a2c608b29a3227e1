"""Compile the typed core to one SQL query: the columnar engine's program.

The query reads a relation with one row per case record (a column per field,
NULL for an unknown fact) and returns one row per (record, root agreement)
with exactly the decision fields of the interpreter. It is built as a
sqlglot expression tree through a Dialect (DuckDB, Spark), never by pasting
text: literals are quoted by sqlglot, names are generated or quoted.

How the language maps onto SQL (docs/engines.md has the table):

- **Unknown is NULL.** SQL's `AND`/`OR`/`NOT` are Kleene's; comparisons and
  arithmetic are strict. Where a SQL function is not strict (list_concat,
  list_contains on a NULL item), the compiler guards it.
- **Facts.** Every value that may be unknown carries a second expression, a
  list of text: the facts it hangs on, read only where the value IS NULL —
  `["age"]` for an absent field, `["relatives[1].age"]` for a field of a list
  item (the index comes from the lambda), `["rule \\`r\\` is not in force on
  ..."]` for a dated rule. A decision's `missing` is the sorted, distinct
  union of the facts the interpreter would report.
- **Rules** are columns, computed once per record in dependency order, each
  with its facts column; default logic, `first`, windows and the decision
  procedure are CASE expressions in the interpreter's order.
- **Suspect rows.** Where SQL could differ from the interpreter — a runtime
  error the interpreter raises (a conflict of exceptions, a division by
  zero, days compared with months, a date past year 9999), an integer past
  64 bits, decimal arithmetic, whose rounding differs — the row is marked
  `_suspect`, and the engine decides it again with the Python backend. So
  a row is either decided in SQL exactly as the interpreter would, or by it.
- What the compiler does not map (a record kept in a rule, records compared
  for equality) raises `Unsupported`; that agreement is then decided by the
  Python backend, record by record, and `unsupported` says why.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import attrs
from sqlglot import exp

from rulelang import runtime as R
from rulelang.core import decide as D
from rulelang.core import ir
from rulelang.semantics import types as T
from rulelang.semantics.program import STATE
from rulelang.backends.sql.columns import Columns, Shared, Step, costly
from rulelang.backends.sql.dialects import DIALECTS, Dialect

TRUE, FALSE, NULL = exp.true(), exp.false(), exp.null()
MAX_INT = R.MAX_INT


class Unsupported(Exception):
    """A construct this compiler does not map to SQL (the agreement runs in Python)."""


@attrs.frozen
class Record:
    """How to read a record value's fields: `fields` (built in the rules: a V per
    field) or `prefix` (from the input: fields are struct fields, and an unknown
    field's fact is prefix + name)."""
    type: T.RecordType
    fields: dict | None = None
    prefix: exp.Expression | None = None
    columns: bool = False      # the input itself: each field is a column


@attrs.frozen
class V:
    """A compiled value: its SQL, whether it may be NULL (unknown), the facts it
    hangs on where it is NULL, where a record's fields come from, the path of a
    list read from the input, and where computing it may differ from Python."""
    sql: exp.Expression
    nullable: bool = False
    facts: exp.Expression | None = None
    record: Record | None = None
    path: exp.Expression | None = None
    suspect: exp.Expression | None = None


def _or(*conditions):
    conditions = [c for c in conditions if c is not None]
    if not conditions:
        return None
    result = conditions[0]
    for c in conditions[1:]:
        result = exp.Or(this=_p(result), expression=_p(c))
    return exp.Paren(this=result)


def _and(*conditions):
    conditions = [c for c in conditions if c is not None]
    result = conditions[0]
    for c in conditions[1:]:
        result = exp.And(this=_p(result), expression=_p(c))
    return exp.Paren(this=result)


_ATOMS = (exp.Column, exp.Literal, exp.Paren, exp.Boolean, exp.Null, exp.Anonymous, exp.Func,
          exp.Case, exp.Cast, exp.Dot, exp.Array, exp.Struct)


def _p(e):
    """`e` as an operand: sqlglot writes the tree as built, so a compound operand gets
    parentheses here (`NOT a IS NULL` would read as `NOT (a IS NULL)`)."""
    return e if isinstance(e, _ATOMS) else exp.Paren(this=e)


def _is_null(e):
    return exp.Paren(this=exp.Is(this=_p(e), expression=NULL))


def _not_null(e):
    return exp.Paren(this=exp.Not(this=exp.Paren(this=exp.Is(this=_p(e), expression=NULL))))


def _is(e, value: bool):
    return exp.Paren(this=exp.Is(this=_p(e), expression=TRUE if value else FALSE))


def _op(cls, a, b):
    return exp.Paren(this=cls(this=_p(a), expression=_p(b)))


def _not(e):
    return exp.Paren(this=exp.Not(this=_p(e)))


def _case(*whens, default=None):
    # built directly: sqlglot's Case.when copies the whole CASE at every arm
    return exp.Case(ifs=[exp.If(this=cond, true=value) for cond, value in whens], default=default)


def _cast(e, to):
    """CAST(e AS to), the type parsed once per text (exp.cast parses and copies each time)."""
    return exp.Cast(this=e, to=_datatype(to))


_DATATYPES: dict = {}


def _datatype(to) -> exp.DataType:
    if isinstance(to, exp.DataType):
        return to.copy()
    if to not in _DATATYPES:
        _DATATYPES[to] = exp.DataType.build(to)
    return _DATATYPES[to].copy()


def _alias(e, name: str, quoted: bool | None = None):
    return exp.alias_(e, name, quoted=quoted, copy=False)


def _subquery(relation, name: str):
    return exp.Subquery(this=relation, alias=exp.TableAlias(this=exp.to_identifier(name)))


def _select(*columns, source):
    """SELECT columns FROM source, the trees taken as they are (sqlglot's builders copy
    their arguments: for a query of nested stages that copying is quadratic)."""
    return exp.select(*columns, copy=False).from_(source, copy=False)


def _text(s: str):
    return exp.Literal.string(s)


def _same(a, b):
    return _op(exp.NullSafeEQ, a, b)


class SqlCompiler:
    def __init__(self, program: ir.Program, dialect: Dialect) -> None:
        self.program = program
        self.d = dialect
        self.columns = Columns(lambda name: f"_{name}_g")
        self.done: dict[object, object] = {}       # Rule / Agreement -> what its columns hold
        self.failed: dict[object, str] = {}
        self.counter = 0
        self.as_of = exp.column("_d")
        self.sizes: dict = {}
        self.shapes: dict = {}    # facts column -> shape (see `shape`)
        self.context = None       # where the columns being made are read (columns.py)
        self._stages = None
        self.lambdas = 0          # inside a quantifier's lambda: no columns can be made there
        self.assume = exp.column("_assume")

    # ---- names ---------------------------------------------------------------------------

    def size(self, expr) -> int:
        """The number of core nodes in `expr` (memoized)."""
        if expr not in self.sizes:
            self.sizes[expr] = 1 + sum(self.size(child) for child in ir.children(expr))
        return self.sizes[expr]

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"_{prefix}{self.counter}"

    # ---- values ------------------------------------------------------------------------------

    def f(self, v: V):
        """The facts of a value that may be unknown (an empty list if it names none)."""
        return v.facts if v.facts is not None else self.d.empty_list("VARCHAR")

    def facts_if_null(self, v: V):
        """The facts of `v` where it is NULL, else NULL (an empty contribution)."""
        if not v.nullable:
            return None
        return _case((_is_null(v.sql), self.f(v)))

    def union(self, *vs: V):
        """The facts of a value that is unknown only when one of `vs` is: of the one
        that is. (With a single operand that may be unknown, its facts as they are.)"""
        unknown = [v for v in vs if v.nullable]
        if len(unknown) == 1:
            return self.f(unknown[0])
        return self.concat_facts(*[self.facts_if_null(v) for v in unknown])

    def lit_list(self, items):
        return self.d.make_list([_text(i) for i in items])

    def fact(self, prefix, name: str):
        """`prefix || name`, written out where the prefix is known."""
        if isinstance(prefix, exp.Literal) and prefix.is_string:
            return _text(prefix.this + name)
        return exp.DPipe(this=prefix, expression=_text(name), safe=True)

    def ex(self, expr, env: dict) -> V:
        v = _EX[type(expr)](self, expr, env)
        if v.nullable and v.record is None and not self.lambdas and self.size(expr) >= SHARE_NODES:
            # a large value that may be unknown: its facts repeat its SQL in their tests,
            # so it becomes a column of its own, read by name
            v = self.store(self.fresh("e")[1:], v)
        return v

    def _lit(self, expr, env):
        return self.literal(expr.value, expr.type)

    def literal(self, value, type_) -> V:
        if isinstance(value, R.Unknown):
            return V(_cast(NULL, self.d.sql_type(type_)), True, self.lit_list(sorted(value.facts)))
        if type(value) is bool:
            return V(TRUE if value else FALSE)
        if isinstance(value, int):
            return V(_cast(exp.Literal.number(value), "BIGINT"))
        if isinstance(value, Decimal):
            return V(_cast(_text(str(value)), self.d.decimal_type))
        if isinstance(value, str):
            return V(_text(value))
        if isinstance(value, _dt.date):
            return V(_cast(_text(value.isoformat()), "DATE"))
        if isinstance(value, R.Duration):
            return V(self.d.struct({"months": _cast(exp.Literal.number(value.months), "BIGINT"),
                                    "days": _cast(exp.Literal.number(value.days), "BIGINT")}))
        if isinstance(value, (frozenset, tuple)):
            elem = T.element_type(type_) if type_ is not None else None
            items = sorted(value, key=_sort_key) if isinstance(value, frozenset) else list(value)
            if isinstance(elem, T.RecordType):
                raise Unsupported("a list of records written in the rules")
            if not items:
                if elem is None or isinstance(elem, T.Nothing):   # `{}` with no type given: any list
                    return V(self.d.make_list([]))
                return V(self.d.empty_list(self.d.sql_type(elem)))
            return V(self.d.make_list([self.literal(i, elem).sql for i in items]))
        if isinstance(value, dict):
            record = T.strip(type_)
            fields = {name: self.literal(value[name], ftype) for name, ftype in record.fields.items()}
            return self.built_record(record, fields)
        raise Unsupported(f"a literal of type {type(value).__name__}")

    def built_record(self, record: T.RecordType, fields: dict) -> V:
        struct = self.d.struct({name: fields[name].sql for name in record.fields})
        return V(struct, record=Record(record, fields=fields),
                 suspect=_or(*[f.suspect for f in fields.values()]))

    def _local(self, expr, env):
        return env[expr.var]

    def _input(self, expr, env):
        return V(NULL, record=Record(expr.type, prefix=_text(""), columns=True))

    def _get_field(self, expr, env):
        obj = self.ex(expr.obj, env)
        if isinstance(expr.obj.type, T.DecisionType):
            return obj.record.fields[expr.name]
        return self.field(obj, expr.name, expr)

    def field(self, obj: V, name: str, expr) -> V:
        record = obj.record
        if record is None:
            raise Unsupported("a record whose origin the SQL compiler cannot follow")
        if record.fields is not None:
            return record.fields[name]
        field_type = record.type.fields[name]
        sql = exp.column(name, quoted=True) if record.columns else self.d.field(obj.sql, name)
        fact = self.fact(record.prefix, name)
        nullable = T.is_optional(field_type) or obj.nullable
        facts = None
        if nullable:
            facts = self.d.make_list([fact])
            if obj.nullable:
                facts = _case((_is_null(obj.sql), obj.facts), default=facts)
        base = T.strip(field_type)
        v = V(sql, nullable, facts, suspect=obj.suspect)
        if isinstance(base, T.RecordType):
            prefix = self.fact(fact, ".")
            return attrs.evolve(v, record=Record(base, prefix=prefix))
        if isinstance(base, (T.ListType, T.SetType)):
            return attrs.evolve(v, path=fact)
        return v

    def _rule_value(self, expr, env):
        return self.rule(expr.rule)

    def _const_value(self, expr, env):
        return self.ex(expr.const.value, {})

    def _decision_of(self, expr, env):
        return self.decision_value(expr.agreement)

    def _call(self, expr, env):
        key = _constant_call(expr)
        if key is not None and not _holds_records(expr.type):
            # the same function on the same constants: one value, however many readers
            return self.shared(key, "f", lambda: self.inline(expr, env))
        return self.inline(expr, env)

    def inline(self, call, env) -> V:
        args = [self.ex(a, env) for a in call.args]
        return self.ex(call.function.body, dict(zip(call.function.params, args)))

    # ---- operators ----------------------------------------------------------------------------

    def _prim(self, expr, env):
        if expr.op.name in _DAY_COMPARISONS and all(_in_days(a) for a in expr.args):
            return self.compare_days(expr, env)
        args = [self.ex(a, env) for a in expr.args]
        sql, suspect = _OPS[expr.op.name](self, expr, args)
        known = [_not_null(a.sql) for a in args if a.nullable]
        if known and expr.op.name in _NOT_STRICT_IN_SQL:   # an unknown operand gives unknown
            sql = _case((_and(*known), sql))
        if suspect is not None and known:
            suspect = _and(*known, suspect)   # only where the operator is reached
        nullable = any(a.nullable for a in args) or expr.nullable
        return V(sql, nullable, self.union(*args) if nullable else None,
                 suspect=_or(suspect, *[a.suspect for a in args]))

    def compare_days(self, expr, env) -> V:
        """Two durations counted in days (`date - date`, `N days`) compared as numbers."""
        counts = []
        for arg in expr.args:
            if isinstance(arg, ir.Lit):
                counts.append(V(exp.Literal.number(arg.value.days)))
                continue
            a, b = (self.ex(x, env) for x in arg.args)
            nullable = a.nullable or b.nullable
            counts.append(V(self.d.days_between(_p(a.sql), _p(b.sql)), nullable,
                            self.union(a, b) if nullable else None, suspect=_or(a.suspect, b.suspect)))
        x, y = counts
        nullable = x.nullable or y.nullable
        return V(_op(_DAY_COMPARISONS[expr.op.name], x.sql, y.sql), nullable,
                 self.union(x, y) if nullable else None, suspect=_or(x.suspect, y.suspect))

    def _and(self, expr, env):
        return self._kleene(expr, env, exp.And)

    def _or(self, expr, env):
        return self._kleene(expr, env, exp.Or)

    def _kleene(self, expr, env, op):
        a, b = self.ex(expr.left, env), self.ex(expr.right, env)
        sql = _op(op, a.sql, b.sql)
        nullable = a.nullable or b.nullable
        return V(sql, nullable, self.union(a, b) if nullable else None,
                 suspect=_or(a.suspect, b.suspect))

    def _default(self, expr, env):
        a, b = self.ex(expr.value, env), self.ex(expr.fallback, env)
        return V(exp.Coalesce(this=a.sql, expressions=[b.sql]), b.nullable, b.facts,
                 suspect=_or(a.suspect, b.suspect))

    def _known(self, expr, env):
        v = self.ex(expr.value, env)
        return V(_not_null(v.sql) if v.nullable else TRUE, suspect=v.suspect)

    def _if(self, expr, env):
        c, t, e = (self.ex(x, env) for x in (expr.cond, expr.then, expr.else_))
        if t.record is not None or e.record is not None:
            raise Unsupported("`if` choosing between records")
        suspect = _or(c.suspect, t.suspect, e.suspect)
        if not c.nullable:
            sql = _case((c.sql, t.sql), default=e.sql)
            facts = _case((c.sql, t.facts or NULL), default=e.facts or NULL) if expr.nullable else None
            return V(sql, expr.nullable, facts, suspect=suspect)
        sql = _case((_is(c.sql, True), t.sql), (_is(c.sql, False), e.sql),
                    (_same(t.sql, e.sql), t.sql), default=_cast(NULL, self.d.sql_type(expr.type)))
        both_unknown = _and(_is_null(t.sql), _is_null(e.sql)) if t.nullable and e.nullable else FALSE
        facts = _case((_is(c.sql, True), t.facts or NULL), (_is(c.sql, False), e.facts or NULL),
                      (both_unknown, t.facts or NULL), default=self.union(c, t, e))
        return V(sql, True, facts, suspect=suspect)

    def _let(self, expr, env):
        return self.ex(expr.body, {**env, expr.var: self.ex(expr.value, env)})

    def _quantify(self, expr, env):
        coll = self.ex(expr.collection, env)
        x, i = self.fresh("x"), self.fresh("i")
        item = self.item(coll, expr, x, i)
        self.lambdas += 1
        try:
            body = self.ex(expr.body, {**env, expr.var: item})
        finally:
            self.lambdas -= 1
        values = self.d.transform(coll.sql, [x, i], body.sql)
        has_unknown = None
        if body.nullable:
            v = self.fresh("v")
            has_unknown = exp.GT(this=self.d.length(self.d.filter(values, [v], _is_null(exp.column(v)))),
                                 expression=exp.Literal.number(0))
        if not body.nullable:
            # every item decided: a NULL collection gives NULL through the strict list functions
            v = self.fresh("v")
            sql = {"any": lambda: self.d.contains(values, TRUE),
                   "all": lambda: _not(self.d.contains(values, FALSE)),
                   "count": lambda: self.d.length(self.d.filter(values, [v], exp.column(v)))}[expr.kind]()
        else:
            if expr.kind == "any":
                sql = _case((self.d.contains(values, TRUE), TRUE), (has_unknown, NULL), default=FALSE)
            elif expr.kind == "all":
                sql = _case((self.d.contains(values, FALSE), FALSE), (has_unknown, NULL), default=TRUE)
            else:
                v = self.fresh("v")
                count = self.d.length(self.d.filter(values, [v], exp.column(v)))
                sql = _case((has_unknown, _cast(NULL, "BIGINT")), default=count)
            if coll.nullable:
                sql = _case((_is_null(coll.sql), _cast(NULL, self.d.sql_type(expr.type))), default=sql)
        facts = None
        if expr.nullable and not body.nullable:   # unknown only if the collection is
            facts = self.f(coll)
        elif expr.nullable:
            item_facts = self.d.flatten(self.d.transform(coll.sql, [x, i], self.facts_if_null(body)))
            facts = item_facts if not coll.nullable else _case(
                (_is_null(coll.sql), self.f(coll)), default=item_facts)
        suspect = coll.suspect
        if body.suspect is not None:
            suspect = _or(suspect, self.d.contains(self.d.transform(coll.sql, [x, i], body.suspect), TRUE))
        return V(sql, expr.nullable, facts, suspect=suspect)

    def item(self, coll: V, expr, x: str, i: str) -> V:
        """The quantifier's variable: an item of the collection."""
        elem = T.element_type(expr.collection.type)
        if not isinstance(elem, T.RecordType):
            return V(exp.column(x))
        if coll.path is None:
            raise Unsupported("a quantifier over records that do not come from the input")
        index = _op(exp.Sub, exp.column(i), exp.Literal.number(self.d.index_base)) \
            if self.d.index_base else exp.column(i)
        prefix = exp.DPipe(this=exp.DPipe(this=exp.DPipe(this=coll.path, expression=_text("["), safe=True),
                                          expression=self.d.int_text(index), safe=True),
                           expression=_text("]."), safe=True)
        return V(exp.column(x), record=Record(elem, prefix=prefix))

    def _match(self, expr, env):
        s = self.ex(expr.scrutinee, env)
        arms = [(arm.members, self.ex(arm.body, env)) for arm in expr.arms]
        otherwise = self.ex(expr.otherwise, env) if expr.otherwise is not None else None
        if any(v.record is not None for _, v in arms):
            raise Unsupported("`match` choosing between records")

        def test(members):
            return _or(*[_op(exp.EQ, s.sql, _text(m)) for m in members])

        null = _cast(NULL, self.d.sql_type(expr.type))
        sql = _case(*([(_is_null(s.sql), null)] if s.nullable else []),   # an unknown scrutinee: unknown
                    *[(test(m), v.sql) for m, v in arms], default=otherwise.sql if otherwise else null)
        facts = None
        if expr.nullable:
            facts = _case(*([(_is_null(s.sql), s.facts)] if s.nullable else []),
                          *[(test(m), v.facts or NULL) for m, v in arms],
                          default=(otherwise.facts or NULL) if otherwise else NULL)
        suspect = _or(s.suspect, *[v.suspect for _, v in arms], otherwise.suspect if otherwise else None)
        return V(sql, expr.nullable, facts, suspect=suspect)

    def _make_set(self, expr, env):
        items = [self.ex(i, env) for i in expr.items]
        if isinstance(expr.type.elem, T.RecordType):
            raise Unsupported("a set of records")
        return V(self.d.sort_distinct(self.d.make_list([i.sql for i in items])),
                 suspect=_or(*[i.suspect for i in items]))

    def _make_list(self, expr, env):
        if isinstance(expr.type.elem, T.RecordType):
            raise Unsupported("a list of records written in the rules")
        items = [self.ex(i, env) for i in expr.items]
        return V(self.d.make_list([i.sql for i in items]), suspect=_or(*[i.suspect for i in items]))

    def _make_record(self, expr, env):
        given = {name: self.ex(value, env) for name, value in expr.fields}
        fields = {name: given.get(name) or self.literal(R.Unknown(frozenset({name})), ftype)
                  for name, ftype in expr.record.fields.items()}
        return self.built_record(expr.record, fields)

    def _with(self, expr, env):
        base = self.ex(expr.base, env)
        if base.nullable or base.record is None:
            raise Unsupported("`with` on a record that may be unknown")
        updates = {name: self.ex(value, env) for name, value in expr.fields}
        fields = {name: updates[name] if name in updates else self.field(base, name, expr)
                  for name in expr.type.fields}
        return self.built_record(expr.type, fields)

    # ---- rules ------------------------------------------------------------------------------

    def rule(self, rule: ir.Rule) -> V:
        if _holds_records(rule.type):
            self.failed[rule] = f"rule `{rule.name}` holds records"
        return self.shared(rule, "r", lambda: self.rule_body(rule))

    def shared(self, key, prefix: str, body) -> V:
        """The value `body()` computes, made once as columns and read by every reader:
        a rule, or a call whose arguments are constants. Its columns are computed only
        where some reader reads them (columns.py settles where that is)."""
        name = self.columns.names.get(key) or self.fresh(prefix)[1:]
        self.columns.read(key, name, self.context)
        if key in self.failed:
            raise Unsupported(self.failed[key])
        if key not in self.done:
            saved = self.context, self.lambdas
            self.context, self.lambdas = Shared(key), 0   # the body reads no quantifier's item
            try:
                self.done[key] = self.store(name, body())
            except Unsupported as error:
                self.failed[key] = str(error)
                raise
            finally:
                self.context, self.lambdas = saved
        return self.done[key]

    def keep(self, name: str, expression, suspect: bool = False, guarded: bool = True) -> exp.Expression:
        """`expression` as a column, computed once per record where its context is read
        (columns.py); NULL elsewhere, where it is never read. (A value's facts, tested
        where the value is NULL, need no other guard: `guarded=False`.)"""
        if expression is None or isinstance(expression, (exp.Column, exp.Boolean, exp.Null, exp.Literal)):
            return expression
        return self.columns.define(f"_{name}", expression, self.context if guarded else None, suspect)

    def store(self, name: str, v: V) -> V:
        """`v` as columns (value, facts, suspect), computed once per record and read by
        name; the facts only where the value is NULL."""
        sql = self.keep(name, v.sql)
        facts = None
        if v.nullable:
            # facts written out, a column already, or small (read only where the value is
            # NULL: computing them as a column would test every record) are read as they are
            inline = _static(v.facts) is not None or isinstance(v.facts, exp.Column) or (
                not isinstance(self.context, Shared) and not costly(v.facts))
            facts = self.f(v) if inline else \
                self.keep(f"{name}_f", _case((_is_null(sql), self.f(v))), guarded=False)
            if isinstance(facts, exp.Column) and facts.name not in self.shapes:
                self.shapes[facts.name] = self.shape(v.facts)
        return V(sql, v.nullable, facts, path=v.path, suspect=self.keep(f"{name}_s", v.suspect, suspect=True))

    def no_value(self, rule: ir.Rule):
        reason = ("no branch of rule `{}` holds on " if rule.branches else
                  "rule `{}` is not in force on ").format(rule.name)
        return self.d.make_list([exp.DPipe(this=_text(reason), expression=self.d.date_text(self.as_of),
                                           safe=True)])

    def active(self, clause):
        w = clause.window
        tests = []
        if w.start is not None:
            tests.append(_op(exp.GTE, self.as_of, self.literal(w.start, T.DATE).sql))
        if w.end is not None:
            tests.append(_op(exp.LTE, self.as_of, self.literal(w.end, T.DATE).sql))
        return _and(*tests) if tests else None

    def rule_body(self, rule: ir.Rule) -> V:
        null = _cast(NULL, self.d.sql_type(rule.type))
        if rule.branches:
            whens, fact_whens, suspects = [], [], []
            for branch in rule.branches:
                active = self.active(branch.clause)
                value = self.ex(branch.value, {})
                suspects.append(value.suspect)
                if branch.cond is None:
                    test = active if active is not None else TRUE
                    whens.append((test, value.sql))
                    fact_whens.append((test, value.facts or NULL))
                    if active is None:
                        break
                    continue
                cond = self.ex(branch.cond, {})
                suspects.append(cond.suspect)
                holds = _and(*[t for t in (active, _is(cond.sql, True)) if t is not None])
                whens.append((holds, value.sql))
                fact_whens.append((holds, value.facts or NULL))
                if cond.nullable:
                    unsure = _and(*[t for t in (active, _is_null(cond.sql)) if t is not None])
                    whens.append((unsure, null))
                    fact_whens.append((unsure, cond.facts))
            return V(_case(*whens, default=null), rule.nullable,
                     _case(*fact_whens, default=self.no_value(rule)) if rule.nullable else None,
                     suspect=_or(*suspects))
        active = self.active(rule.default_clause)
        base = self.ex(rule.default, {})
        if active is not None:
            base = V(_case((active, base.sql), default=null), True,
                     _case((active, base.facts or NULL), default=self.no_value(rule)), suspect=base.suspect)
        if not rule.exceptions:
            return base
        return self.default_logic(rule.exceptions, base, rule.type)

    def default_logic(self, exceptions, base: V, type_) -> V:
        """runtime.default_logic in SQL: the exceptions that fire must agree (else the row
        is suspect: the interpreter reports a conflict); an unsure exception whose value
        would differ makes the value unknown."""
        compiled = []
        for exc in exceptions:
            active = self.active(exc.clause)
            cond = self.ex(exc.cond, {})
            own = self.ex(exc.value, {})
            value = self.default_logic(exc.children, own, type_) if exc.children else own
            fired = _and(*[t for t in (active, _is(cond.sql, True)) if t is not None])
            unsure = _and(*[t for t in (active, _is_null(cond.sql)) if t is not None]) if cond.nullable else None
            compiled.append((fired, unsure, cond, value))
        null = _cast(NULL, self.d.sql_type(type_))
        result = V(_case(*[(f, v.sql) for f, _, _, v in compiled], default=base.sql),
                   True, _case(*[(f, v.facts or NULL) for f, _, _, v in compiled], default=base.facts or NULL))
        conflicts = [_and(f1, f2, _not(_same(v1.sql, v2.sql)))
                     for n, (f1, _, _, v1) in enumerate(compiled) for f2, _, _, v2 in compiled[n + 1:]]
        suspect = _or(base.suspect, *conflicts, *[c.suspect for _, _, c, _ in compiled],
                      *[v.suspect for *_, v in compiled])
        differs = [(_and(u, _not(_same(v.sql, result.sql))), c, v)
                   for _, u, c, v in compiled if u is not None]
        if not differs:
            return V(result.sql, base.nullable or any(v.nullable for *_, v in compiled),
                     result.facts, suspect=suspect)
        sql = _case(*[(test, null) for test, _, _ in differs], default=result.sql)
        facts = _case(*[(test, self.d.concat(c.facts, self.facts_if_null(result))) for test, c, _ in differs],
                      default=result.facts)
        return V(sql, True, facts, suspect=suspect)

    # ---- agreements ------------------------------------------------------------------------

    def decision_value(self, agreement: ir.Agreement) -> V:
        """An agreement's decision as a value rules read (core.decide.decision_value)."""
        columns = self.decision_columns(agreement)
        outcome = columns["outcome"]
        returns_facts = _case((_op(exp.EQ, outcome, _text(D.UNDETERMINED)), columns["missing"]),
                              default=self.d.make_list([exp.DPipe(
                                  this=_text(f"`{agreement.name}` returns no one: its outcome is "),
                                  expression=outcome, safe=True)]))
        fields = {"status": V(columns["status"]), "outcome": V(outcome),
                  "returns_to": V(columns["returns_to"], True, returns_facts),
                  "exceptions": V(self.d.sort_distinct(self.d.coalesce_list(columns["exceptions"]))),
                  "missing": V(self.d.sort_distinct(self.d.coalesce_list(columns["missing"]))),
                  "unestablished": V(self.d.sort_distinct(self.d.coalesce_list(
                      self.d.transform(columns["unestablished"], ["u"], self.d.field(exp.column("u"), "exception")))))}
        return V(NULL, record=Record(None, fields=fields), suspect=columns["suspect"])

    def decision_columns(self, agreement: ir.Agreement) -> dict:
        saved, self.context = self.context, None
        try:
            return self._decision_columns(agreement)
        finally:
            self.context = saved

    def _decision_columns(self, agreement: ir.Agreement) -> dict:
        if agreement in self.failed:
            raise Unsupported(self.failed[agreement])
        if agreement not in self.done:
            name = f"a{len(self.done)}"
            try:
                parts = self.decision(agreement, name)
            except Unsupported as error:
                self.failed[agreement] = str(error)
                raise
            self.done[agreement] = parts
        return self.done[agreement]

    def decision(self, agreement: ir.Agreement, name: str) -> dict:
        """The decision procedure (core/decide.py) as SQL: the outcomes tested in the
        procedure's order; each part a column, computed once per record."""
        keep = lambda part, e: self.keep(f"{name}_{part}", e)  # noqa: E731
        status = keep("status", self.status(agreement.timeline))
        not_in_force = keep("nif", _and(_op(exp.NEQ, status, _text("in_force")), _not(self.assume)))
        suspects = []
        false_tests, unknown = [], []
        # as the interpreter: a condition is looked at only while the agreement is in force
        # and no earlier condition was false, and only on the dates it is law
        reached = _not(not_in_force)
        for n, conjunct in enumerate(agreement.scope):
            active = self.active(conjunct.clause)
            self.context = Step(name, n, _and(*[t for t in (reached, active) if t is not None]),
                                dated=active is not None)
            value = self.store(f"{name}_c{n}", self.ex(conjunct.expr, {}))
            self.context = None
            suspects.append(value.suspect)
            false_tests.append(_and(*[t for t in (active, _is(value.sql, False)) if t is not None]))
            reached = _and(reached, _not(false_tests[-1]))
            if value.nullable:
                unknown.append((_and(*[t for t in (active, _is_null(value.sql)) if t is not None]), value))
        not_applicable = keep("na", _or(*false_tests)) if false_tests else FALSE
        scope_unknown = keep("su", _or(*[t for t, _ in unknown])) if unknown else FALSE
        decided_early = _or(not_in_force, not_applicable)

        held, held_tests, unest, unknown_tests, state_tests, state_facts = [], [], [], [], [], []
        # exceptions: once the scope did not decide
        self.context = Step(name, len(agreement.scope), _not(decided_early))
        for n, exc in enumerate(agreement.exceptions):
            value, unest_of = self.holds(exc)
            value = self.store(f"{name}_x{n}", value)
            suspects.append(value.suspect)
            held_tests.append(_is(value.sql, True))
            held.append((held_tests[-1], _text(exc.name)))
            if unest_of:   # counter-exceptions record their own: no cheap guard
                unest.extend(unest_of)
                unknown_tests.append(TRUE)
            if value.nullable:
                unknown_tests.append(_is_null(value.sql))
                if exc.clause.burden == STATE:
                    state_tests.append(_is_null(value.sql))
                    state_facts.append(_case((_is_null(value.sql), self.f(value))))
                else:
                    unest.append((_is_null(value.sql), self.unestablished(exc.name, self.f(value))))
        any_held = keep("any", _or(*held_tests)) if held_tests else FALSE
        held_list = self.d.pick(held, "VARCHAR")
        unest_list = None
        if unest:  # built only where some exception is unknown (the list is empty elsewhere)
            unest_list = keep("unest", _case((_or(*unknown_tests), self.d.pick(unest, self.d.UNESTABLISHED)),
                                             default=self.d.empty_list(self.d.UNESTABLISHED)))
        state_unknown = keep("stu", _or(*state_tests)) if state_tests else FALSE

        returns_to = None
        if agreement.returns_to is not None:
            returns_to = self.store(f"{name}_to", self.ex(agreement.returns_to, {}))
            suspects.append(returns_to.suspect)
        self.context = None
        returns_unknown = _is_null(returns_to.sql) if returns_to is not None and returns_to.nullable else FALSE
        arms = [(not_in_force, D.NOT_IN_FORCE), (not_applicable, D.NOT_APPLICABLE),
                (scope_unknown, D.UNDETERMINED), (any_held, D.EXEMPT), (state_unknown, D.UNDETERMINED),
                (returns_unknown, D.UNDETERMINED)]
        outcome = keep("outcome", _case(*[(test, _text(result)) for test, result in arms if test is not FALSE],
                                        default=_text(D.APPLIES)))

        def when(result):
            return _op(exp.EQ, outcome, _text(result))

        scope_facts = [_case((t, self.f(v))) for t, v in unknown]
        no_facts, no_entries = self.d.empty_list("VARCHAR"), self.d.empty_list(self.d.UNESTABLISHED)
        missing = _case(
            *([(_and(when(D.UNDETERMINED), scope_unknown), self.sorted_facts(self.concat_facts(*scope_facts)))]
              if unknown else []),
            *([(_and(when(D.UNDETERMINED), state_unknown), self.sorted_facts(self.concat_facts(*state_facts)))]
              if state_facts else []),
            *([(when(D.UNDETERMINED), self.sorted_facts(self.f(returns_to)))]
              if returns_to is not None and returns_to.nullable else []), default=no_facts)
        exceptions = _case((_or(when(D.EXEMPT), _and(when(D.UNDETERMINED), scope_unknown)), held_list),
                           default=no_facts) if held else no_facts
        to = _case((when(D.APPLIES), returns_to.sql)) if returns_to is not None else _cast(NULL, "VARCHAR")
        assumed = _case((_and(self.assume, _op(exp.NEQ, status, _text("in_force"))), _text("in_force")))
        suspect = _or(*suspects)   # (NULL where a step was not reached: not suspect)
        suspect = keep("s", exp.Coalesce(this=_and(_not(not_in_force), suspect), expressions=[FALSE])) \
            if suspect is not None else FALSE
        decided = _not(_or(when(D.NOT_IN_FORCE), when(D.NOT_APPLICABLE)))
        # the lists are never NULL; they, returns_to and assumed are computed in the
        # query's last projection (read once: no column of their own)
        return {"status": status, "outcome": outcome, "returns_to": to, "exceptions": exceptions,
                "missing": missing if missing.args.get("ifs") else no_facts,
                "unestablished": _case((decided, unest_list), default=no_entries)
                if unest_list is not None else no_entries,
                "assumed": assumed, "suspect": suspect}

    def unestablished(self, name: str, facts):
        return self.d.struct({"exception": _text(name), "facts": self.sorted_facts(facts)})

    def sorted_facts(self, facts):
        """A list of facts sorted and without repeats: at compile time where the facts are
        known, as they are where every list they can be is already so, else in SQL."""
        known = _static(facts)
        if known is not None:
            return self.lit_list(sorted(set(known))) if known else self.d.empty_list("VARCHAR")
        can_hold, ordered = self.shape(facts)
        if ordered:
            return self.d.coalesce_list(facts)
        if can_hold and self.d.facts_by_tests:
            # the facts it can hold, in order, each kept where the list has it: no sort and
            # no lambda per record
            return self.d.pick([(self.holds_fact(facts, fact), _text(fact)) for fact in sorted(can_hold)])
        if can_hold:
            # the facts it can hold, in order, kept where the list has them: no sort per record
            v = self.fresh("f")
            return self.d.filter(self.lit_list(sorted(can_hold)), [v], self.d.contains(facts, exp.column(v)))
        return self.d.sort_distinct(self.d.coalesce_list(facts))

    def holds_fact(self, facts, fact: str):
        """A condition true where the list `facts` (of a form `shape` knows the facts of)
        holds `fact`, and FALSE or NULL elsewhere: read from the parts of the list that
        can hold it, never by building the list."""
        known = _static(facts)
        if known is not None:
            return TRUE if fact in known else FALSE
        if isinstance(facts, exp.Column):
            return self.d.contains(facts, _text(fact)) if fact in self.shape(facts)[0] else FALSE
        if isinstance(facts, exp.Coalesce):
            return self.holds_fact(facts.this, fact)
        if isinstance(facts, exp.Case):
            arms = [(i.args["this"], self.holds_fact(i.args["true"], fact)) for i in facts.args["ifs"]]
            default = facts.args.get("default")
            otherwise = FALSE if default is None else self.holds_fact(default, fact)
            while arms and arms[-1][1] == otherwise:     # arms that give what ELSE gives
                arms.pop()
            if not arms:
                return otherwise
            if len(arms) == 1 and otherwise == FALSE:
                test, holds = arms[0]
                return test if holds == TRUE else _and(test, holds)
            return _case(*arms, default=otherwise)
        if isinstance(facts, exp.Null):
            return FALSE
        # a concatenation (`shape` knows no other form with facts)
        parts = [self.holds_fact(p, fact) for p in facts.expressions]
        return _or(*[p for p in parts if p != FALSE]) or FALSE

    def shape(self, facts) -> tuple[frozenset | None, bool]:
        """(every fact the list can hold, or None if unknown at compile time; whether the
        list is always sorted and without repeats)."""
        known = _static(facts)
        if known is not None:
            return frozenset(known), list(known) == sorted(set(known))
        if isinstance(facts, exp.Column):
            return self.shapes.get(facts.name, (None, False))
        if isinstance(facts, exp.Coalesce):
            return self.shape(facts.this) if _static(facts.expressions[0]) == () else (None, False)
        if isinstance(facts, exp.Case):
            branches = [self.shape(i.args["true"]) for i in facts.args["ifs"]]
            if facts.args.get("default") is not None:
                branches.append(self.shape(facts.args["default"]))
            items = [b[0] for b in branches]
            if any(i is None for i in items):
                return None, False
            return frozenset().union(*items), all(b[1] for b in branches)
        if isinstance(facts, exp.Null):
            return frozenset(), True
        if self.d.is_concat(facts):
            parts = [self.shape(p) for p in facts.expressions]
            if any(p[0] is None for p in parts):
                return None, False
            ordered = all(p[1] for p in parts)
            nonempty = [p[0] for p in parts if p[0]]
            ordered = ordered and all(max(a) < min(b) for a, b in zip(nonempty, nonempty[1:]))
            return frozenset().union(*[p[0] for p in parts]), ordered
        return None, False

    def concat_facts(self, *parts):
        """Facts lists joined, in the order of the facts they can hold where that is
        known (so the result is already sorted when their ranges do not overlap)."""
        parts = [p for p in parts if p is not None]
        shapes = [self.shape(p)[0] for p in parts]
        if all(s is not None for s in shapes):
            parts = [p for _, p in sorted(zip(shapes, parts), key=lambda sp: min(sp[0], default=""))]
        return self.d.concat(*parts)

    def holds(self, exc: ir.AgreementException):
        """(value, unestablished entries) of an exception and its counter-exceptions, as
        runtime.holds_unless computes them: the children are looked at in order while
        none has stopped it; one that holds defeats it, one the state must rule out and
        cannot leaves it unknown, one the claimant cannot establish is recorded."""
        active = self.active(exc.clause)
        cond = self.ex(exc.cond, {})
        own = V(_case((active, cond.sql), default=FALSE) if active is not None else cond.sql,
                cond.nullable, cond.facts, suspect=cond.suspect)
        if not exc.children:
            return own, []
        reached = _not(_is(own.sql, False))
        arms, fact_arms, unest, suspects = [(_is(own.sql, False), FALSE)], [], [], [own.suspect]
        for child in exc.children:
            value, child_unest = self.holds(child)
            if value.suspect is not None:
                suspects.append(_and(reached, value.suspect))
            unest.extend((_and(reached, test), entry) for test, entry in child_unest)
            arms.append((_is(value.sql, True), FALSE))
            stops = _is(value.sql, True)
            if value.nullable:
                if child.clause.burden == STATE:
                    arms.append((_is_null(value.sql), _cast(NULL, "BOOLEAN")))
                    fact_arms.append((_is_null(value.sql), self.d.concat(self.facts_if_null(own), self.f(value))))
                    stops = _or(stops, _is_null(value.sql))
                else:
                    unest.append((_and(reached, _is_null(value.sql)), self.unestablished(child.name, self.f(value))))
            reached = _and(reached, _not(stops))
        # CASE tests its arms in order: an arm is only reached when no earlier child stopped
        sql = _case(*arms, default=own.sql)
        nullable = own.nullable or bool(fact_arms)
        facts = None
        if nullable:
            facts = _case(*fact_arms, default=own.facts or NULL) if fact_arms else own.facts
        return V(sql, nullable, facts, suspect=_or(*suspects)), unest

    def status(self, timeline: ir.Timeline):
        dates, statuses = timeline.changes
        whens = []   # (before this day, the status): one arm per change of status
        for day, before, after in zip(dates, statuses, statuses[1:]):
            if before != after:
                whens.append((_op(exp.LT, self.as_of, self.literal(day, T.DATE).sql), _text(before)))
        return _case(*whens, default=_text(statuses[-1])) if whens else _text(statuses[-1])

    # ---- the query -----------------------------------------------------------------------------

    def stages(self) -> list:
        """The columns by stage, settled once every agreement is compiled (and again
        only if more columns were made since)."""
        if self._stages is None or self._stages[0] != len(self.columns.defined):
            self._stages = (len(self.columns.defined), self.columns.stages())
        return self._stages[1]

    def query(self, source: exp.Expression, agreements: list[ir.Agreement]) -> exp.Select:
        """SELECT, for every row of `source` (the input fields as columns, and `_row`,
        `_d` (the as-of date), `_assume` (bool)) and every agreement, in order, one row:
        `_row`, `_suspect` (the record must be decided in Python), and the decision
        fields (DECISION_COLUMNS)."""
        decided = [(a, self.decision_columns(a)) for a in agreements]
        id_type = self.program.input_type.fields.get("id") if self.program.input_type else None
        case_id = _cast(NULL, "VARCHAR") if id_type is None else exp.column("id", quoted=True)
        suspect = _alias(_or(*[c["suspect"] for _, c in decided]) or FALSE, "_suspect")

        def fields(agreement, c) -> dict:
            return {"case": case_id, "agreement": _text(agreement.name), "as_of": self.as_of,
                    "status": c["status"], "outcome": c["outcome"], "returns_to": c["returns_to"],
                    "exceptions": c["exceptions"], "missing": c["missing"],
                    "unestablished": c["unestablished"],
                    "assumed": c["assumed"]}

        if len(decided) == 1:
            columns = [exp.column("_row"), suspect,
                       *[_alias(value, name, quoted=True) for name, value in fields(*decided[0]).items()]]
            return _select(*columns, source=_subquery(self.relation(source), "_final"))
        structs = self.d.make_list([self.d.struct(fields(a, c)) for a, c in decided])
        columns = [exp.column("_row"), suspect, _alias(structs, "_decisions")]
        rows = _select(*columns, source=_subquery(self.relation(source), "_final"))
        return self.d.unnest_decisions(rows, DECISION_COLUMNS)

    def relation(self, source: exp.Expression) -> exp.Expression:
        """`source` with the computed columns added, one nested SELECT per stage."""
        for level, stage in enumerate(self.stages(), 1):
            source = _select(exp.Star(), *[_alias(e, name) for name, e in stage],
                             source=_subquery(source, f"_s{level}"))
        return source


DECISION_COLUMNS = ("case", "agreement", "as_of", "status", "outcome", "returns_to", "exceptions",
                    "missing", "unestablished", "assumed")


@attrs.frozen
class SqlProgram:
    """The root agreements compiled to one query, and those that could not be."""
    compiler: SqlCompiler
    agreements: tuple          # compiled, in program order
    unsupported: dict          # agreement name -> why it is decided in Python

    def select(self, source: exp.Expression) -> exp.Select:
        return self.compiler.query(source, list(self.agreements))

    def sql(self, source: exp.Expression, pretty: bool = True) -> str:
        return self.select(source).sql(self.compiler.d.name, pretty=pretty)


def compile_sql(program: ir.Program, dialect: str = "duckdb") -> SqlProgram:
    """Compile the root agreements of a lowered program to SQL."""
    compiler = SqlCompiler(program, DIALECTS[dialect])
    compiled, unsupported = [], {}
    for agreement in program.agreements:
        try:
            compiler.decision_columns(agreement)
            compiled.append(agreement)
        except Unsupported as error:
            unsupported[agreement.name] = str(error)
    return SqlProgram(compiler, tuple(compiled), unsupported)


SHARE_NODES = 6


def _static(facts) -> tuple | None:
    """The facts of a list written out in the query (`['age']`), else None."""
    if isinstance(facts, exp.Cast):
        facts = facts.this
    if isinstance(facts, exp.Array) and all(isinstance(i, exp.Literal) and i.is_string
                                            for i in facts.expressions):
        return tuple(i.this for i in facts.expressions)
    return None


def _holds_records(type_) -> bool:
    type_ = T.strip(type_)
    return isinstance(getattr(type_, "elem", type_), (T.RecordType, T.DecisionType))


def _constant_call(call: ir.Call):
    """A key for a call whose arguments are all constants (`f()`, `f(GTM, {a, b})`),
    equal for equal calls; else None."""
    args = []
    for arg in call.args:
        if isinstance(arg, ir.Lit):
            args.append(("lit", str(arg.type), _sort_key(arg.value)))
        elif isinstance(arg, ir.ConstValue):
            args.append(("const", id(arg.const)))
        else:
            return None
    return ("call", id(call.function), tuple(args))


def _sort_key(value):
    return (str(type(value)), repr(value))


# ---- operators: the backend's one mapping (semantics/operators.py names) ----------------------

def _binary(op):
    return lambda c, e, a: (_op(op, a[0].sql, a[1].sql), None)


def _checked_int(op):
    """Integer arithmetic: NULL where 64 bits overflow (the row is then suspect: Python's
    integers do not overflow)."""
    def compile(c, e, a):
        sql = c.d.try_(op(this=_p(a[0].sql), expression=_p(a[1].sql)))
        return sql, _is_null(sql)
    return compile


def _decimal(op):
    """Decimal arithmetic rounds differently in SQL (the interpreter keeps 28 significant
    digits): the row is marked suspect and decided in Python, so the SQL value only has to
    exist — a double, which cannot overflow."""
    def compile(c, e, a):
        return _op(op, _cast(a[0].sql, "DOUBLE"), _cast(a[1].sql, "DOUBLE")), TRUE
    return compile


def _date_shift(sign: int, date_first: bool = True):
    def compile(c, e, a):
        date, duration = (a[0].sql, a[1].sql) if date_first else (a[1].sql, a[0].sql)
        months, days = c.d.field(duration, "months"), c.d.field(duration, "days")
        if sign < 0:
            months, days = exp.Neg(this=_p(months)), exp.Neg(this=_p(days))
        shifted = c.d.add_days(c.d.add_months(date, months), days)
        year = c.d.year(shifted)
        # past years 1..9999, or moved by a count the dialect clamps (the interpreter
        # takes the months first, then the days: only where the date ends must be a date)
        out_of_range = _or(_op(exp.GT, year, exp.Literal.number(9999)),
                           _op(exp.LT, year, exp.Literal.number(1)),
                           _op(exp.GT, exp.Abs(this=months), exp.Literal.number(c.d.MAX_MONTHS)),
                           _op(exp.GT, exp.Abs(this=days), exp.Literal.number(c.d.MAX_DAYS)))
        return shifted, out_of_range
    return compile


def _duration(c, months, days):
    return c.d.struct({"months": months, "days": days})


def _duration_compare(op):
    def compile(c, e, a):
        x, y = a[0].sql, a[1].sql
        if all(_in_days(arg) for arg in e.args):
            return _op(op, c.d.field(x, "days"), c.d.field(y, "days")), None
        xm, xd, ym, yd = (c.d.field(x, "months"), c.d.field(x, "days"), c.d.field(y, "months"),
                          c.d.field(y, "days"))
        zero = exp.Literal.number(0)
        by_days = _and(_op(exp.EQ, xm, zero), _op(exp.EQ, ym, zero))
        by_months = _and(_op(exp.EQ, xd, zero), _op(exp.EQ, yd, zero))
        sql = _case((by_days, _op(op, xd, yd)), (by_months, _op(op, xm, ym)))
        return sql, _not(_or(by_days, by_months))   # the interpreter reports RL0309
    return compile


def _in_days(arg) -> bool:
    """A duration counted in days whatever the record: `date - date`, or `N days`."""
    if isinstance(arg, ir.Lit):
        return isinstance(arg.value, R.Duration) and arg.value.months == 0
    return isinstance(arg, ir.Prim) and arg.op.name == "date_diff"


def _equality(negate: bool):
    def compile(c, e, a):
        if any(isinstance(T.strip(x.type), T.RecordType) for x in e.args):
            raise Unsupported("records compared for equality")
        op = exp.NEQ if negate else exp.EQ
        return _op(op, a[0].sql, a[1].sql), None
    return compile


def _member(negate: bool):
    def compile(c, e, a):
        if isinstance(T.strip(e.args[0].type), T.RecordType):
            raise Unsupported("a record looked up in a collection")
        test = c.d.contains(a[1].sql, a[0].sql)
        return (_not(test) if negate else test), None
    return compile


def _set_op(kind: str):
    def compile(c, e, a):
        x, y = a[0].sql, a[1].sql
        if kind == "union":
            return c.d.sort_distinct(c.d.concat(x, y)), None
        v = c.fresh("m")
        inside = c.d.contains(y, exp.column(v))
        keep = inside if kind == "intersect" else _not(inside)
        return c.d.filter(x, [v], keep), None
    return compile


def _len(c, e, a):
    if T.strip(e.args[0].type) == T.TEXT:
        return c.d.text_length(a[0].sql), None
    return c.d.length(a[0].sql), None


_DAY_COMPARISONS = {"eq": exp.EQ, "ne": exp.NEQ, "lt": exp.LT, "le": exp.LTE, "gt": exp.GT, "ge": exp.GTE,
                    "duration_lt": exp.LT, "duration_le": exp.LTE, "duration_gt": exp.GT,
                    "duration_ge": exp.GTE}

# operators whose SQL form gives a value (a struct, a list) even where an operand is NULL
_NOT_STRICT_IN_SQL = {"in", "not_in", "union", "intersect", "minus", "date_diff", "duration_add", "duration_sub",
                      "duration_mul", "int_mul_duration", "duration_neg"}

_OPS = {
    "eq": _equality(False), "ne": _equality(True),
    "lt": _binary(exp.LT), "le": _binary(exp.LTE), "gt": _binary(exp.GT), "ge": _binary(exp.GTE),
    "duration_lt": _duration_compare(exp.LT), "duration_le": _duration_compare(exp.LTE),
    "duration_gt": _duration_compare(exp.GT), "duration_ge": _duration_compare(exp.GTE),
    "in": _member(False), "not_in": _member(True),
    "int_add": _checked_int(exp.Add), "int_sub": _checked_int(exp.Sub), "int_mul": _checked_int(exp.Mul),
    "decimal_add": _decimal(exp.Add), "decimal_sub": _decimal(exp.Sub), "decimal_mul": _decimal(exp.Mul),
    "divide": _decimal(exp.Div),
    "text_concat": lambda c, e, a: (exp.Paren(this=exp.DPipe(this=_p(a[0].sql), expression=_p(a[1].sql),
                                                              safe=True)), None),
    "date_add": _date_shift(1), "duration_add_date": _date_shift(1, date_first=False),
    "date_sub": _date_shift(-1),
    "date_diff": lambda c, e, a: (_duration(c, _cast(exp.Literal.number(0), "BIGINT"),
                                            _cast(c.d.days_between(a[0].sql, a[1].sql), "BIGINT")), None),
    "duration_add": lambda c, e, a: (_duration(c, exp.Add(this=c.d.field(a[0].sql, "months"),
                                                          expression=c.d.field(a[1].sql, "months")),
                                               exp.Add(this=c.d.field(a[0].sql, "days"),
                                                       expression=c.d.field(a[1].sql, "days"))), None),
    "duration_sub": lambda c, e, a: (_duration(c, exp.Sub(this=c.d.field(a[0].sql, "months"),
                                                          expression=c.d.field(a[1].sql, "months")),
                                               exp.Sub(this=c.d.field(a[0].sql, "days"),
                                                       expression=c.d.field(a[1].sql, "days"))), None),
    "duration_mul": lambda c, e, a: (_duration(c, _op(exp.Mul, c.d.field(a[0].sql, "months"), a[1].sql),
                                               _op(exp.Mul, c.d.field(a[0].sql, "days"), a[1].sql)), None),
    "int_mul_duration": lambda c, e, a: (_duration(c, exp.Mul(this=c.d.field(a[1].sql, "months"),
                                                              expression=a[0].sql),
                                                   exp.Mul(this=c.d.field(a[1].sql, "days"),
                                                           expression=a[0].sql)), None),
    "union": _set_op("union"), "intersect": _set_op("intersect"), "minus": _set_op("minus"),
    "not": lambda c, e, a: (_not(a[0].sql), None),
    "neg": lambda c, e, a: (exp.Paren(this=exp.Neg(this=_p(a[0].sql))), None),
    "duration_neg": lambda c, e, a: (_duration(c, exp.Neg(this=_p(c.d.field(a[0].sql, "months"))),
                                               exp.Neg(this=_p(c.d.field(a[0].sql, "days")))), None),
    "len": _len,
}

_EX = ir.visitor_table(SqlCompiler)
