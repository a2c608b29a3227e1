"""The checker reports every mistake of a file, once each, without cascades."""

from __future__ import annotations

import rulelang

SCHEMA = """
enum Entry { port_of_entry, between_ports }
record Case {
  id: text
  age: int?
  entry: Entry?
  claim_date: date
}
input case: Case as_of claim_date
"""


def errors(text: str) -> list[tuple[str, str]]:
    return [(d.code, d.span.text if d.span else "") for d in rulelang.check(text) if d.is_error]


def test_three_independent_mistakes_are_three_errors():
    text = SCHEMA + """
rule a: bool? = case.agee > 18 cite "s.1"
rule b: bool? = case.entry == port_of_entri cite "s.2"
const c: date = 2023-02-30
"""
    assert errors(text) == [("RL0107", "agee"), ("RL0204", "port_of_entri"), ("RL0201", "2023-02-30")]


def test_an_unknown_field_does_not_cascade_through_the_expression():
    text = SCHEMA + """
rule a: bool? = (case.entree == port_of_entry or case.entree == between_ports)
  and case.entree != port_of_entry cite "s.1"
"""
    found = errors(text)
    assert found == [("RL0107", "entree")] * 3  # one per mistaken use, nothing about the enum members


def test_a_wrong_type_is_reported_once_up_the_tree():
    text = SCHEMA + """
rule a: bool? = ((case.age + "x") > 3 and true) or false cite "s.1"
"""
    assert [code for code, _ in errors(text)] == ["RL0307"]


def test_syntax_errors_in_several_declarations_are_all_reported():
    text = SCHEMA + """
rule a: bool = = true
const ok: int = 1
rule b: bool = true and and false
const also_ok: int = 2
def f(x int): int = x
"""
    found = [d for d in rulelang.check(text) if d.is_error]
    assert [d.code for d in found] == ["RL0001", "RL0001", "RL0001"]
    assert [d.span.line for d in found] == [11, 13, 15]


def test_operator_mistakes_point_at_the_operator():
    text = SCHEMA + """
rule a: bool? = case.age > 3 and case.id cite "s.1"
rule b: bool? = case.age or true cite "s.2"
rule c: int = case.age ?? "none" cite "s.3"
rule d: bool? = case.age in {"x"} cite "s.4"
rule e: bool? = case.age not in {"x"} cite "s.5"
"""
    assert errors(text) == [("RL0307", "and"), ("RL0307", "or"), ("RL0307", "??"), ("RL0301", "in"),
                            ("RL0301", "not in")]


def test_a_test_needs_a_date_when_the_input_names_no_as_of_field():
    undated = SCHEMA.replace(" as_of claim_date", "")
    test = 'test "t" {\n  given case = { id: "a", claim_date: 2024-01-01 }\n  expect true\n}\n'
    assert errors(undated + test) == [("RL0501", test.rstrip("\n"))]
    dated = test.replace("  expect true", "  as_of 2024-01-01\n  expect true")
    assert errors(undated + dated) == []
    assert errors(SCHEMA + test) == []
    assert errors('test "t" {\n  expect true\n}\n') == [("RL0501", 'test "t" {\n  expect true\n}')]
