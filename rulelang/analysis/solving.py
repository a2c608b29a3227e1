"""Asking z3, with a time limit: every question is `sat`, `unsat` or (timed out) `unknown`,
and `unknown` is never a finding."""

from __future__ import annotations

import attrs
import z3

from rulelang.analysis.encode import Encoder

TIMEOUT_MS = 2000


@attrs.frozen
class Answer:
    result: z3.CheckSatResult
    model: z3.ModelRef | None = None
    core: tuple = ()          # the assumptions an unsat answer needed

    @property
    def sat(self) -> bool:
        return self.result == z3.sat

    @property
    def unsat(self) -> bool:
        return self.result == z3.unsat


class Solver:
    """One z3 solver over one Encoder: what every record satisfies is asserted as the
    encoding makes it, each question is asked inside push/pop."""

    def __init__(self, encoder: Encoder, timeout_ms: int = TIMEOUT_MS) -> None:
        self.encoder = encoder
        self.z3 = z3.Solver()
        self.z3.set("timeout", timeout_ms)
        self._asserted = 0

    def ask(self, *facts: z3.BoolRef, assumptions=()) -> Answer:
        background = self.encoder.background
        self.z3.add(*background[self._asserted:])
        self._asserted = len(background)
        self.z3.push()
        try:
            self.z3.add(*facts)
            result = self.z3.check(*assumptions)
            if result == z3.sat:
                return Answer(result, model=self.z3.model())
            if result == z3.unsat:
                return Answer(result, core=tuple(self.z3.unsat_core()))
            return Answer(result)
        finally:
            self.z3.pop()

    def smallest_core(self, facts, assumptions) -> tuple | None:
        """A minimal set of the assumptions that, with `facts`, cannot all hold (deletion:
        drop each one in turn while the rest stay unsat), or None if they can."""
        answer = self.ask(*facts, assumptions=assumptions)
        if not answer.unsat:
            return None
        core = [a for a in assumptions if any(a.eq(c) for c in answer.core)]
        for candidate in list(core):
            rest = [a for a in core if not a.eq(candidate)]
            if self.ask(*facts, assumptions=rest).unsat:
                core = rest
        return tuple(core)
