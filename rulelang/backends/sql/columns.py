"""The computed columns of the compiled query: where each is read, and its stage.

The compiler (compile.py) names every value it computes once per record — a rule,
a shared call, a step of a decision, a large subexpression — as a column, defined
in the *context* where it is read:

- `None`: every record (a decision's status and outcome);
- a `Step` of an agreement's decision: records that reach that step (the
  interpreter looks at a scope condition only while no earlier one was false, at
  the exceptions only once the scope has not decided);
- `Shared(key)`: the body of a rule or of a call shared by its readers, read
  wherever one of its readers is.

`stages()` settles the contexts once every column is known: a shared body is
computed only where some reader reads it (the OR of its readers' steps), a
costly column only where its context holds (NULL elsewhere, where it is never
read), and each column lands in the first stage that has every column it reads.
A cheap column is computed everywhere: testing the guard would cost more than
the column. A suspect column is always guarded: a record is suspect only where
the interpreter reaches what makes it so.
"""

from __future__ import annotations

import attrs
from sqlglot import exp


@attrs.frozen(eq=False)
class Step:
    """A step of agreement `owner`'s decision, read where `guard` holds. A later step
    (higher `index`) of the same decision is reached only where an earlier one is;
    but a `dated` step (a clause in force only between dates) is read only on those
    dates, so it does not cover the steps after it."""
    owner: str
    index: int
    guard: exp.Expression
    dated: bool = False


@attrs.frozen
class Shared:
    """The body of a rule or shared call: read where one of its readers is."""
    key: object


@attrs.define
class Column:
    expression: exp.Expression
    context: object
    suspect: bool
    reads: frozenset


COSTLY_NODES = 24


def costly(expression: exp.Expression) -> bool:
    """Worth skipping where not read: a function over a list's items, or a large
    expression (a guard is a column read and a test)."""
    for count, node in enumerate(expression.walk()):
        if count >= COSTLY_NODES or isinstance(node, exp.Lambda):
            return True
    return False


def reads(expression: exp.Expression, names) -> frozenset[str]:
    return frozenset(c.name for c in expression.find_all(exp.Column) if c.name in names)


class Columns:
    def __init__(self, guard_name) -> None:
        self.defined: dict[str, Column] = {}
        self.readers: dict[object, list] = {}     # shared key -> the contexts that read it
        self.names: dict[object, str] = {}        # shared key -> a name for its guard column
        self.guard_name = guard_name

    def define(self, name: str, expression: exp.Expression, context, suspect: bool = False) -> exp.Column:
        # the columns it reads are defined before it (the compiler reads a value once made)
        self.defined[name] = Column(expression, context, suspect, reads(expression, self.defined))
        return exp.column(name)

    def read(self, key, name: str, context) -> None:
        """`context` reads the shared body `key` (named `name` in the query)."""
        self.readers.setdefault(key, []).append(context)
        self.names.setdefault(key, name)

    # ---- settling ------------------------------------------------------------------------

    def stages(self) -> list[list[tuple[str, exp.Expression]]]:
        """The columns, guarded where they should be, grouped by stage in order."""
        everywhere: set = set()
        while True:
            columns, guards = self._guarded(everywhere)
            cycle = _cycle(columns)
            if cycle is None:
                return _by_stage(columns)
            # a shared body read by a step that depends on the body itself: computed everywhere
            looping = {key for key, name in guards.items() if name in cycle}
            if not looping - everywhere:
                raise AssertionError(f"columns read each other: {sorted(cycle)}")
            everywhere |= looping

    def _guarded(self, everywhere: set):
        """({name: (expression, the columns it reads)}, {shared key: its guard column})."""
        steps = {key: self._steps(key, everywhere, frozenset()) for key in self.readers}
        out: dict = {}
        guards: dict = {}
        step_columns: dict = {}

        def guard_of(context):
            if isinstance(context, Step):
                if context not in step_columns:
                    name = step_columns[context] = f"_{context.owner}_g{context.index}"
                    out[name] = (context.guard, reads(context.guard, self.defined))
                return step_columns[context]
            found = steps.get(context.key)
            if not found:
                return None
            if context.key not in guards:
                name = guards[context.key] = self.guard_name(self.names[context.key])
                tests = [exp.column(guard_of(step)) for step in found]
                out[name] = (tests[0] if len(tests) == 1 else exp.Paren(this=_any(tests)),
                             frozenset(t.name for t in tests))
            return guards[context.key]

        for name, column in self.defined.items():
            expression, deps = column.expression, column.reads
            if column.context is not None and (column.suspect or costly(expression)):
                guard = guard_of(column.context)
                if guard is not None:
                    expression = exp.Case(ifs=[exp.If(this=exp.column(guard), true=expression)])
                    deps = deps | {guard}
            out[name] = (expression, deps)
        return out, guards

    def _steps(self, key, everywhere: set, seen: frozenset) -> list | None:
        """The steps that read `key`, directly or through other shared bodies, less
        those an earlier undated step of the same decision covers; None where some
        reader reads it on every record."""
        if key in everywhere or key in seen:
            return None
        steps: dict[tuple, Step] = {}
        for context in self.readers.get(key, ()):
            if context is None:
                return None
            found = [context] if isinstance(context, Step) else \
                self._steps(context.key, everywhere, seen | {key})
            if found is None:
                return None
            steps.update(((step.owner, step.index), step) for step in found)
        kept, covered = [], set()
        for (owner, _), step in sorted(steps.items(), key=lambda item: item[0]):
            if owner not in covered:
                kept.append(step)
                if not step.dated:
                    covered.add(owner)
        return kept or None


def _any(tests):
    result = tests[0]
    for t in tests[1:]:
        result = exp.Or(this=result, expression=t)
    return result


def _cycle(columns: dict) -> set[str] | None:
    """The names on one cycle of reads among `columns`, or None if there is none."""
    deps = {name: reads_ for name, (_, reads_) in columns.items()}
    state: dict[str, int] = {}      # 1: on the path, 2: done
    for root in columns:
        if root in state:
            continue
        path, stack = [root], [iter(deps[root])]
        state[root] = 1
        while stack:
            for dep in stack[-1]:
                if state.get(dep) == 1:
                    return set(path[path.index(dep):])
                if dep not in state:
                    state[dep] = 1
                    path.append(dep)
                    stack.append(iter(deps[dep]))
                    break
            else:
                state[path.pop()] = 2
                stack.pop()
    return None


def _by_stage(columns: dict) -> list[list[tuple[str, exp.Expression]]]:
    deps = {name: reads_ for name, (_, reads_) in columns.items()}
    level: dict[str, int] = {}

    def level_of(name: str) -> int:
        if name not in level:
            level[name] = 1 + max((level_of(d) for d in deps[name]), default=0)
        return level[name]

    stages: dict[int, list] = {}
    for name in columns:
        stages.setdefault(level_of(name), []).append((name, columns[name][0]))
    return [stages[n] for n in sorted(stages)]
