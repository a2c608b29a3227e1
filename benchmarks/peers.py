"""The peer engines of benchmarks/run.py, each at its best: the whole of
simplified_stca.rules written once in the engine's own language, compiled once,
and evaluated in one call per record — the way each engine's documentation
recommends (a compiled program or expression reused across records, one policy
set for Cedar).

Each encoding answers the whole decision: the agreement's status from its
timeline, the four scope conditions, the four exceptions, the outcome, the
exceptions that hold, and `returns_to`. The only Python around a call turns the
engine's answer into the benchmark's `(outcome, exceptions, returns_to)` tuple
(for Cedar, whose answer is the set of policies that hold, reads that set).

None of these engines has rulelang's unknown facts; they are given the records
with every fact known (a missing fact would be an error or a null that reads as
false), and checked against rulelang on those records.
"""

from __future__ import annotations

import datetime as _dt
import json

from rulelang.runtime import Unknown

EPOCH = _dt.date(1970, 1, 1)
IN_FORCE_DAY = (_dt.date(2004, 12, 29) - EPOCH).days
PROTOCOL_DAY = (_dt.date(2023, 3, 25) - EPOCH).days
FAMILY = sorted({"spouse", "child", "parent", "legal_guardian", "sibling", "grandparent"})
LAWFUL = sorted({"citizen", "permanent_resident", "asylee", "refugee"})
EXCEPTIONS = ("family_in_us", "unaccompanied_minor", "valid_visa", "public_interest")


def peer_context(c: dict) -> dict:
    """A validated simplified_stca record as plain JSON-like data (dates as day numbers),
    built before timing as validation is for rulelang."""
    ctx = {}
    for name, value in c.items():
        if type(value) is Unknown or name == "id":
            continue
        if name == "claim_date":
            ctx["claim_day"] = (value - EPOCH).days
        elif name == "entry_date":
            ctx["entry_day"] = (value - EPOCH).days
        elif name == "nationalities":
            ctx[name] = list(value)
        elif name == "relatives":
            ctx[name] = [dict(r) for r in value]
        else:
            ctx[name] = value
    return ctx


def _answer(result) -> tuple:
    outcome, held, returns_to = result
    return outcome, tuple(held), returns_to


def whole_policy(conditions: dict, *, held_of, nonempty) -> str:
    """The decision as one expression in an engine whose language has `test ? then :
    else`, list literals and a filter (`held_of(items)`: the non-empty ones):
    `conditions` holds the engine's text of each condition (`in_force`, `scope`,
    and one per exception). Without a `let` in these languages the exceptions list
    is written twice; it is only computed twice for an exempt person."""
    def if_(test: str, then: str, else_: str) -> str:
        return f"(({test}) ? {then} : {else_})"

    def answer(outcome: str, held: str = "[]", returns_to: str = "null") -> str:
        return f'["{outcome}", {held}, {returns_to}]'
    held = held_of([if_(conditions[name], f'"{name}"', '""') for name in EXCEPTIONS])
    in_scope = if_(nonempty(held), answer("exempt", held), answer("applies", returns_to='"CAN"'))
    return if_(conditions["in_force"], if_(conditions["scope"], in_scope, answer("not_applicable")),
               answer("not_in_force"))


# ---- CEL: one expression, c.FIELD (cel-python and the Rust common-expression-language) ----

_CEL = {
    "in_force": f"c.claim_day >= {IN_FORCE_DAY}",
    "scope": ('c.claim_country == "USA" && c.arrived_from == "CAN" && '
              '!("USA" in c.nationalities || "CAN" in c.nationalities) && '
              '(c.entry_type == "land_port_of_entry" || (c.entry_type == "between_ports" && '
              f'c.entry_day >= {PROTOCOL_DAY} && c.claim_day - c.entry_day <= 14))'),
    "family_in_us": (f'c.relatives.exists(r, r.relation in {json.dumps(FAMILY)} && '
                     f'r.location == "USA" && r.status in {json.dumps(LAWFUL)})'),
    "unaccompanied_minor": "c.age < 18 && !c.accompanied",
    "valid_visa": "c.valid_us_visa",
    "public_interest": "c.public_interest_waiver",
}
CEL = whole_policy(_CEL, held_of=lambda items: f"[{', '.join(items)}].filter(n, n != \"\")",
                   nonempty=lambda h: f"size({h}) > 0")

# ---- zen-engine (GoRules): one expression over the record's fields ----------------------

# zen's expression language and rule-engine's read alike (`and`, `not`, bare field names)
_WORDS = {
    "in_force": f"claim_day >= {IN_FORCE_DAY}",
    "scope": ('claim_country == "USA" and arrived_from == "CAN" and '
              'not ("USA" in nationalities or "CAN" in nationalities) and '
              '(entry_type == "land_port_of_entry" or (entry_type == "between_ports" and '
              f'entry_day >= {PROTOCOL_DAY} and claim_day - entry_day <= 14))'),
    "unaccompanied_minor": "age < 18 and not accompanied",
}
_ZEN = {
    **_WORDS,
    "family_in_us": (f'some(relatives, #.relation in {json.dumps(FAMILY)} and #.location == "USA" '
                     f'and #.status in {json.dumps(LAWFUL)})'),
    "valid_visa": "valid_us_visa == true",
    "public_interest": "public_interest_waiver == true",
}
ZEN = whole_policy(_ZEN, held_of=lambda items: f"filter([{', '.join(items)}], # != \"\")",
                   nonempty=lambda h: f"len({h}) > 0")


def zen_graph() -> dict:
    """The same policy as a zen decision graph (JDM): one expression node computes the
    conditions once, the next the answer from them (the graph is zen's `let`)."""
    conditions = [{"id": f"c{i}", "key": name, "value": text} for i, (name, text) in enumerate(_ZEN.items())]
    items = ", ".join(f'{name} ? "{name}" : ""' for name in EXCEPTIONS)
    answer = ('in_force ? (scope ? (len(held) > 0 ? ["exempt", held, null] : ["applies", [], "CAN"]) '
              ': ["not_applicable", [], null]) : ["not_in_force", [], null]')

    def node(key: str, kind: str, expressions=None) -> dict:
        out = {"id": key, "type": kind, "name": key, "position": {"x": 0, "y": 0}}
        if expressions is not None:
            out["content"] = {"expressions": expressions}
        return out
    nodes = [node("request", "inputNode"), node("conditions", "expressionNode", conditions),
             node("held", "expressionNode", [
                 {"id": "h", "key": "held", "value": f'filter([{items}], # != "")'},
                 {"id": "s", "key": "scope", "value": "scope"},
                 {"id": "f", "key": "in_force", "value": "in_force"}]),
             node("answer", "expressionNode", [{"id": "a", "key": "answer", "value": answer}]),
             node("response", "outputNode")]
    order = ["request", "conditions", "held", "answer", "response"]
    edges = [{"id": f"e{i}", "sourceId": a, "targetId": b, "type": "edge"}
             for i, (a, b) in enumerate(zip(order, order[1:]))]
    return {"nodes": nodes, "edges": edges}


# ---- rule-engine: one rule whose value is the answer ----------------------------------

_RULE_ENGINE = {
    **_WORDS,
    "family_in_us": (f'[r for r in relatives if r["relation"] in {json.dumps(FAMILY)} and '
                     f'r["location"] == "USA" and r["status"] in {json.dumps(LAWFUL)}].length > 0'),
    "valid_visa": "valid_us_visa",
    "public_interest": "public_interest_waiver",
}
RULE_ENGINE = whole_policy(_RULE_ENGINE,
                           held_of=lambda items: f"[n for n in [{', '.join(items)}] if n != \"\"]",
                           nonempty=lambda h: f"{h}.length > 0")


# ---- JsonLogic: one rule (a JSON tree) --------------------------------------------------

def _v(name):
    return {"var": name}


_JSON_LOGIC = {
    "in_force": {">=": [_v("claim_day"), IN_FORCE_DAY]},
    "scope": {"and": [
        {"==": [_v("claim_country"), "USA"]}, {"==": [_v("arrived_from"), "CAN"]},
        {"!": {"or": [{"in": ["USA", _v("nationalities")]}, {"in": ["CAN", _v("nationalities")]}]}},
        {"or": [{"==": [_v("entry_type"), "land_port_of_entry"]},
                {"and": [{"==": [_v("entry_type"), "between_ports"]},
                         {">=": [_v("entry_day"), PROTOCOL_DAY]},
                         {"<=": [{"-": [_v("claim_day"), _v("entry_day")]}, 14]}]}]}]},
    "family_in_us": {"some": [_v("relatives"), {"and": [{"in": [_v("relation"), FAMILY]},
                                                        {"==": [_v("location"), "USA"]},
                                                        {"in": [_v("status"), LAWFUL]}]}]},
    "unaccompanied_minor": {"and": [{"<": [_v("age"), 18]}, {"!": _v("accompanied")}]},
    "valid_visa": {"==": [_v("valid_us_visa"), True]},
    "public_interest": {"==": [_v("public_interest_waiver"), True]},
}


def _json_logic_rule() -> dict:
    def if_(test, then, else_):
        return {"if": [test, then, else_]}

    def answer(outcome, held, returns_to):
        return [outcome, held, returns_to]
    # a rule that is a list evaluates each item: the answer is a list of three
    held = {"filter": [[if_(_JSON_LOGIC[name], name, "") for name in EXCEPTIONS], _v("")]}
    in_scope = if_({"!!": [held]}, answer("exempt", held, None), answer("applies", [], "CAN"))
    return if_(_JSON_LOGIC["in_force"],
               if_(_JSON_LOGIC["scope"], in_scope, answer("not_applicable", [], None)),
               answer("not_in_force", [], None))


JSON_LOGIC = _json_logic_rule()


# ---- Cedar: one policy set; the answer is the set of policies that hold ------------------

def cedar_policies() -> tuple[str, list[str]]:
    """Cedar answers allow/deny and the policies that determined it (its `reasons`):
    one policy per condition — in force, in scope, each exception — so each is
    evaluated once, and the reasons are read as the answer. (One policy per outcome
    was tried: it repeats the scope in every policy and runs 3× slower.)
    Returns the policy text and the name of each policy, in order (policy0, ...)."""
    family = ", ".join(f'{{relation: "{r}", location: "USA", status: "{s}"}}'
                       for r in FAMILY for s in LAWFUL)
    policies = {
        "in_force": f"context.claim_day >= {IN_FORCE_DAY}",
        "scope": ('context.claim_country == "USA" && context.arrived_from == "CAN" && '
                  '!(context.nationalities.contains("USA") || context.nationalities.contains("CAN")) && '
                  '(context.entry_type == "land_port_of_entry" || (context.entry_type == "between_ports" '
                  f'&& context.entry_day >= {PROTOCOL_DAY} && context.claim_day - context.entry_day <= 14))'),
        "family_in_us": f"context.relatives.containsAny([{family}])",
        "unaccompanied_minor": "context.age < 18 && !context.accompanied",
        "valid_visa": "context.valid_us_visa",
        "public_interest": "context.public_interest_waiver",
    }
    text = "\n".join(f"permit(principal, action, resource) when {{ {cond} }};" for cond in policies.values())
    return text, list(policies)


class Peer:
    """One peer engine: `prepare` (untimed) turns a validated record into the engine's
    input; `decide` makes one call and gives (outcome, exceptions, returns_to)."""
    label = ""
    module = ""

    def setup(self) -> None: ...

    def prepare(self, c: dict):
        return peer_context(c)

    def decide(self, ctx) -> tuple:
        raise NotImplementedError


class CelPython(Peer):
    label, module = "cel-python (celpy), one program", "celpy"

    def setup(self) -> None:
        import logging

        import celpy

        logging.getLogger("celpy").setLevel(logging.ERROR)
        env = celpy.Environment()
        self._json_to_cel = celpy.json_to_cel
        self._program = env.program(env.compile(CEL))

    def prepare(self, c):
        return {"c": self._json_to_cel(peer_context(c))}

    def decide(self, activation):
        outcome, held, returns_to = self._program.evaluate(activation)
        return str(outcome), tuple(str(h) for h in held), None if returns_to is None else str(returns_to)


class CelRust(Peer):
    label, module = "CEL, Rust (common-expression-language)", "cel"

    def setup(self) -> None:
        import cel

        self._execute = cel.compile(CEL).execute

    def prepare(self, c):
        return {"c": peer_context(c)}

    def decide(self, ctx):
        return _answer(self._execute(ctx))


class CelRustContext(CelRust):
    label = "CEL, Rust, Context built before"

    def prepare(self, c):
        # the Python-to-CEL conversion is most of CelRust's time; done here, untimed, as
        # validation is for compiled rulelang (the first execute converts and caches it)
        import cel

        context = cel.Context({"c": peer_context(c)})
        self._execute(context)
        return context


class RuleEngine(Peer):
    label, module = "rule-engine, one rule", "rule_engine"

    def setup(self) -> None:
        import rule_engine

        self._evaluate = rule_engine.Rule(RULE_ENGINE, context=rule_engine.Context()).evaluate

    def decide(self, ctx):
        return _answer(self._evaluate(ctx))


class JsonLogic(Peer):
    label, module = "json-logic-qubit, one rule", "json_logic"

    def setup(self) -> None:
        from json_logic import jsonLogic

        self._run = jsonLogic

    def decide(self, ctx):
        return _answer(self._run(JSON_LOGIC, ctx))


class ZenExpression(Peer):
    label, module = "zen-engine, one expression", "zen"

    def setup(self) -> None:
        import zen

        self._evaluate = zen.compile_expression(ZEN).evaluate

    def decide(self, ctx):
        return _answer(self._evaluate(ctx))


class ZenGraph(Peer):
    label, module = "zen-engine, decision graph", "zen"

    def setup(self) -> None:
        import zen

        self._evaluate = zen.ZenEngine().create_decision(json.dumps(zen_graph())).evaluate

    def decide(self, ctx):
        return _answer(self._evaluate(ctx)["result"]["answer"])


class Cedar(Peer):
    label, module = "cedarpy, one policy set", "cedarpy"

    def setup(self) -> None:
        import cedarpy

        text, names = cedar_policies()
        self._is_authorized = cedarpy.is_authorized
        self._policies = cedarpy.PolicySet.from_str(text)
        self._entities = cedarpy.Entities.from_json_str("[]")
        self._names = {f"policy{i}": name for i, name in enumerate(names)}

    def prepare(self, c):
        return {"principal": 'Officer::"a"', "action": 'Action::"decide"', "resource": 'Case::"c"',
                "context": peer_context(c)}

    def decide(self, request):
        reasons = self._is_authorized(request, self._policies, self._entities).diagnostics.reasons
        holds = {self._names[p] for p in reasons}
        if "in_force" not in holds:
            return "not_in_force", (), None
        if "scope" not in holds:
            return "not_applicable", (), None
        held = tuple(name for name in EXCEPTIONS if name in holds)
        return ("exempt", held, None) if held else ("applies", (), "CAN")


PEERS = [ZenExpression, ZenGraph, CelRust, CelRustContext, CelPython, Cedar, JsonLogic, RuleEngine]
