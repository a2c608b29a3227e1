"""rulelang: the rules of migration agreements as code.

    import rulelang
    policy = rulelang.load("stdlib:stca_us")
    for decision in policy.evaluate(case_dict):
        print(decision.agreement, decision.outcome)

docs/api.md is the reference of every name below.
"""

from rulelang.api import Decisions, Policy, check, format_text, load
from rulelang.decision import Decision, Outcome, Status, Step, Unestablished
from rulelang.diagnostics import Diagnostic, Severity, render
from rulelang.errors import (ArgumentError, ConflictError, RecordError, RuleEvaluationError,
                             RulelangError, RuleSourceError, RuleSyntaxError, RuleTypeError,
                             UnknownNameError)
from rulelang.interpret import TestFailure, TestResult
from rulelang.records import InvalidRecord
from rulelang.runtime import Duration, Unknown

__all__ = ["load", "check", "format_text", "Policy", "Decisions", "Decision", "Outcome", "Status", "Step",
           "Unestablished", "InvalidRecord", "Unknown", "Duration", "TestResult", "TestFailure",
           "Diagnostic", "Severity", "render", "RulelangError", "RuleSyntaxError", "RuleTypeError",
           "RuleSourceError", "ArgumentError", "UnknownNameError", "RecordError", "ConflictError",
           "RuleEvaluationError"]
__version__ = "0.1.0"
