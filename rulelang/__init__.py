"""rulelang: the rules of migration agreements as code.

    import rulelang
    policy = rulelang.load("stdlib:stca_us")
    for decision in policy.evaluate(case_dict):
        print(decision.agreement, decision.outcome)
"""

from rulelang.api import Policy, check, load
from rulelang.decision import Decision
from rulelang.diagnostics import Diagnostic, Severity
from rulelang.errors import (ConflictError, RecordError, RuleEvaluationError, RulelangError,
                             RuleSyntaxError, RuleTypeError)

__all__ = ["load", "check", "Policy", "Decision", "Diagnostic", "Severity", "RulelangError",
           "RuleSyntaxError", "RuleTypeError", "RecordError", "ConflictError",
           "RuleEvaluationError"]
__version__ = "0.1.0"
