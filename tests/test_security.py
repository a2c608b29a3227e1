"""Hostile rule files and records: what a rule file may read, what names can reach,
limits, and determinism (docs/security.md points at each test here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rulelang
from rulelang.backends.python import compile_program
from rulelang.records import validate_dict
from rulelang.syntax.parse import MAX_DECLARATIONS, MAX_SOURCE_CHARS

ROOT = Path(__file__).resolve().parent.parent


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics if d.is_error]


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/hosts", "/etc/hostname.rules",
                                    "../../outside.rules"])
def test_rule_text_cannot_import_files_outside_the_allowed_folders(target):
    diagnostics = rulelang.check(f'import "{target}"\n')
    assert codes(diagnostics) == ["RL0103"]
    assert "outside the folders" in diagnostics[0].message


def test_a_rule_file_cannot_import_a_non_rules_file_beside_it(tmp_path):
    (tmp_path / "secret.txt").write_text("password: hunter2\n")
    (tmp_path / "policy.rules").write_text('import "secret.txt"\n')
    diagnostics = rulelang.check(tmp_path / "policy.rules")
    assert codes(diagnostics) == ["RL0103"]
    assert all("hunter2" not in (d.span.source.text if d.span else "") for d in diagnostics)


def test_a_rule_file_imports_its_siblings_and_declared_roots(tmp_path):
    (tmp_path / "shared.rules").write_text("const limit: int = 18\n")
    (tmp_path / "policy.rules").write_text('import shared\nconst adult_age: int = limit\n')
    assert codes(rulelang.check(tmp_path / "policy.rules")) == []
    text = 'import "shared.rules"\nconst adult_age: int = limit\n'
    assert codes(rulelang.check(text)) == ["RL0103"]  # text gets no folder unless given one
    assert codes(rulelang.check(text.replace('"shared.rules"', f'"{tmp_path}/shared.rules"'),
                                import_roots=[tmp_path])) == []


DUNDER_POLICY = """
enum Kind { __class__, __init__ }
record Case {
  id: text
  claim_date: date
  __class__: text?
  __globals__: Kind?
}
input case: Case as_of claim_date
def __subclasses__(x: text?): bool? = x == "ok"
agreement __dict__ "dunder names are plain names" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "s.1" }
  applies when {
    __subclasses__(case.__class__) cite "s.2"
  }
  exception __import__ when case.__globals__ == __init__ cite "s.3"
}
"""


@pytest.mark.parametrize("backend", ["interpreter", "compiled"])
def test_python_internals_are_not_reachable_through_names(backend):
    policy = rulelang.load(DUNDER_POLICY)
    record = {"id": "x", "claim_date": "2020-01-01", "__class__": "ok", "__globals__": "__init__"}
    if backend == "interpreter":
        decision = policy.evaluate(record, trace=True)[0]
    else:
        value = validate_dict(record, policy.program.input_type).value
        decision = compile_program(policy.program).decide(value)[0]
    assert (decision.outcome, decision.exceptions) == ("exempt", ("__import__",))
    other = dict(record, __class__="<class 'dict'>")
    assert policy.evaluate(other)[0].outcome == "not_applicable"


def test_a_huge_rule_file_is_refused_with_a_diagnostic():
    text = "# " + "x" * MAX_SOURCE_CHARS + "\n"
    diagnostics = rulelang.check(text)
    assert codes(diagnostics) == ["RL0004"]


def test_too_many_declarations_are_refused():
    text = "".join(f"const c{i}: int = {i}\n" for i in range(MAX_DECLARATIONS + 1))
    assert codes(rulelang.check(text)) == ["RL0004"]


def test_deep_nesting_is_a_diagnostic_not_a_recursion_error():
    for text in ["const x: int = " + "-" * 5000 + "1\n",
                 "const x: bool = " + "not " * 5000 + "true\n",
                 "const x: int = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
                 "const x: set<int> = " + "{" * 3000 + "}" * 3000 + "\n"]:
        diagnostics = rulelang.check(text)
        assert all(d.code.startswith("RL0") for d in diagnostics)


@pytest.mark.parametrize("record", [
    {"id": "n", "claim_date": "2020-01-01", "__class__": "x" * 200_000},
    {"id": "n", "claim_date": "9999-99-99"},
    {"id": "n", "claim_date": "2020-01-01", "__globals__": ["a"] * 20_000},
])
def test_oversized_or_bad_records_are_record_errors(record):
    policy = rulelang.load(DUNDER_POLICY)
    with pytest.raises(rulelang.RecordError):
        policy.evaluate(record)


def _run(seed: str, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:all",
                           str(ROOT / "examples" / "cases" / "sample.jsonl"), "--format", "jsonl",
                           *extra], capture_output=True, env=env, timeout=180)


def test_output_is_byte_identical_across_hash_seeds_and_backends():
    first, second = _run("0"), _run("12345")
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    # the interpreter (used for --explain) gives the same decisions as the compiled default
    explained = _run("99", "--explain")
    stripped = [json.dumps({k: v for k, v in json.loads(line).items() if k != "trace"},
                           ensure_ascii=False) for line in explained.stdout.decode().splitlines()]
    assert "\n".join(stripped) + "\n" == first.stdout.decode()


@pytest.mark.parametrize("suffix, body", [
    (".csv", b'id,nationalities,claim_country,claim_date\nc1,"[""HND""]",USA,2024-01-01\n'
             b'c2,"[""HND""]",USA,2024-01-0\xff\nc3,"[""HND""]",USA,2024-01-03\n'),
    (".json", b'[{"id": "c1", "nationalities": ["HND"], "claim_country": "USA", "claim_date": "2024-01-01"},'
              b' {"id": "c2", "nationalities": ["H\xffD"], "claim_country": "USA", "claim_date": "2024-01-01"},'
              b' {"id": "c3", "nationalities": ["HND"], "claim_country": "USA", "claim_date": "2024-01-03"}]'),
])
def test_a_bad_byte_spoils_one_record_in_every_format(tmp_path, suffix, body):
    path = tmp_path / ("cases" + suffix)
    path.write_bytes(body)
    done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:stca_us", str(path),
                           "--format", "jsonl"], capture_output=True, timeout=120)
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [line["case"] for line in lines] == ["c1", "c2", "c3"]
    assert "error" in lines[1] and "UTF-8" in lines[1]["error"]["message"]
    assert "error" not in lines[0] and "error" not in lines[2]
    assert done.returncode == 1


def test_bad_csv_quoting_spoils_one_row(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text('id,nationalities,claim_country,claim_date\n'
                    'c1,"[""HND""]",USA,2024-01-01\n'
                    'c2,"[""HND""]"x,USA,2024-01-01\n'
                    'c3,"[""HND""]",USA,2024-01-03\n'
                    'c4,"unterminated,USA,2024-01-03\n')
    done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:stca_us", str(path),
                           "--format", "jsonl"], capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["case"] for line in lines] == ["c1", "row 3", "c3", "row 5"]
    assert [("error" in line) for line in lines] == [False, True, False, True]
    assert "record row 3: bad CSV" in done.stderr
    assert done.returncode == 1


def test_a_path_the_os_refuses_is_a_diagnostic():
    # found by the long fuzz run: the folder of such a root could not be resolved
    for target in ["\x00/\x00", "\x00/x.rules", "a" * 5000 + "/x.rules"]:
        assert codes(rulelang.check(target)) == ["RL0004"]
