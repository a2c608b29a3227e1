"""What a case worker reads (issue 12): the person view, the table, `explain`,
`list`, `schema` and the field reference, and trace locations that exist.
Each test is one friction point of the issue.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import rulelang
from rulelang import resources
from rulelang.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "cases" / "sample.jsonl"
POLICY = rulelang.load("stdlib:all")
AGREEMENTS = POLICY.agreements


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def sample(case_id: str) -> dict:
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] == case_id:
            return record
    raise KeyError(case_id)


@pytest.fixture
def one_person(tmp_path) -> str:
    path = tmp_path / "person.json"
    path.write_text(json.dumps(sample("sb-001")), encoding="utf-8")
    return str(path)


def console(width: int):
    from rich.console import Console

    buffer = io.StringIO()
    return Console(file=buffer, width=width, color_system=None, force_terminal=False), buffer


def _known() -> set[str]:
    from rulelang.views.schema import describe_input

    doc = describe_input(POLICY.program)
    return (set(AGREEMENTS) | set(POLICY.program.input_type.fields)
            | {e.name for a in POLICY.program.agreements for e in a.all_exceptions}
            | {m for enum in doc.enums for m in enum.members})


KNOWN = _known()


def _words_whole(text: str) -> None:
    """No name is cut across two lines: a line that ends in a piece of a name
    (`aca_el_salvador_20`) ends in a word that is not a name but begins one."""
    for line in text.splitlines():
        last = re.findall(r"[A-Za-z0-9_]+", line)
        if last and "_" in last[-1] and last[-1] not in KNOWN:
            cut = [name for name in KNOWN if name.startswith(last[-1]) and name != last[-1]]
            assert not cut, f"{line!r} ends in a piece of {cut}"


@pytest.mark.parametrize("width", [80, 100])
def test_the_person_view_fits_the_terminal_and_folds_what_is_not_in_force(one_person, width):
    from rulelang.views.person import person_view

    record = rulelang.records.validate_dict(sample("sb-001"), POLICY.program.input_type)
    decisions = POLICY.evaluate(sample("sb-001"), trace=True)
    text = person_view("sb-001", record.value, decisions, width, "claim_date")
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), [l for l in lines if len(l) > width]
    _words_whole(text)
    assert text.count("sb-001") == 1                     # the case is named once
    # what matters first: applies, exempt, undetermined before not applicable / not in force
    order = [line.split()[0] for line in lines if line.startswith("  ") and line[2] != " "
             and line.split()[0] in ("applies", "exempt", "undetermined", "not")]
    assert order.index("undetermined") < order.index("not")
    folded = [line for line in lines if line.startswith("  not in force")]
    assert len(folded) == 1                              # 14 agreements, one line (wrapped)
    assert "14 on 2025-02-03" in folded[0]
    # the facts to collect: the missing one first, then those that could establish an exception
    facts = lines[lines.index("facts to collect") + 1:]
    assert facts[0].split()[0] == "transfer_accepted_by" and "decides mpp" in facts[0]
    assert any("could establish" in line for line in facts)


def test_run_on_one_record_shows_the_person_view(one_person):
    result = invoke("run", "stdlib:all", one_person, "--format", "person")
    assert result.exit_code == 0
    assert result.stdout.startswith("case sb-001 · as of 2025-02-03")
    assert "→" in result.stdout or "applies" in result.stdout


def test_the_terminal_chooses_the_person_view_for_one_record_and_the_table_for_more(tmp_path):
    from rulelang.batch import Options, run
    from rulelang.records import open_records
    from rulelang.views.table import TerminalView

    for count, expected in ((1, "facts to collect"), (3, "why / facts")):
        shown, buffer = console(100)
        lines = SAMPLE.read_text(encoding="utf-8").splitlines()[50:50 + count]
        path = tmp_path / f"{count}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with open_records(str(path), None, POLICY.program.input_type) as source:
            run(POLICY, source, TerminalView(shown, as_of_field="claim_date"), Options())
        assert expected in buffer.getvalue(), buffer.getvalue()


def test_the_table_names_each_case_once_and_folds_rows():
    result = invoke("run", "stdlib:all", str(SAMPLE), "--format", "table")
    text = result.stdout
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines)
    _words_whole(text)
    case_cells = [line.split()[0] for line in lines if re.match(r"^\S+-\d{3}\s", line)]
    assert len(case_cells) == len(set(case_cells))       # each case once, not on every row
    assert "agreements  " in text and "not in force" in text
    assert len(lines) < 115 * 21 / 2                      # far fewer rows than decisions


def test_explain_summary_first_then_trees_that_fit(one_person):
    result = invoke("explain", "stdlib:all", one_person)
    assert result.exit_code == 0
    text = result.stdout
    first = text.split("\n\n")[0]
    assert first.startswith("case sb-001") and "not in force" in first
    for name in AGREEMENTS:
        assert name in first                             # every agreement in the summary
    assert all(len(line) <= 100 for line in text.splitlines())
    _words_whole(text)
    # agreements not in force have no tree of their own
    assert "\naca_belize_2025: NOT_IN_FORCE" not in text
    assert "\nmpp: UNDETERMINED" in text
    assert len(text.splitlines()) < 320


def test_explain_folds_exceptions_not_in_force_on_the_date():
    from rulelang.views.explain import format_trace

    [mpp] = POLICY.evaluate(sample("c-051"), agreements=["mpp"], trace=True)
    text = format_trace(mpp)
    inactive = [s for s in mpp.trace if s.inactive is not None and s.kind == "exception"]
    assert len(inactive) >= 2
    assert f"{len(inactive)} exceptions not in force on" in text
    assert sum(line.lstrip(" │├└─").startswith("– exception") for line in text.splitlines()) == 0


def test_explain_status_line_names_the_event_that_set_the_status():
    """MPP as of 4 Dec 2021: suspended since the 13 Aug 2021 order; the later
    `amended` event (2 Dec 2021) did not set the status and is not quoted."""
    from rulelang.views.explain import format_trace

    [mpp] = POLICY.evaluate(sample("c-051"), as_of="2021-12-04", agreements=["mpp"], trace=True)
    status = format_trace(mpp).splitlines()[1]
    assert "status suspended since 2021-08-13 (suspended)" in status
    assert "2021-12-02" not in status
    [early] = POLICY.evaluate(sample("c-051"), as_of="2018-01-01", agreements=["mpp"], trace=True)
    assert "before its first event (2018-12-20 proposed)" in " ".join(format_trace(early).split())


def test_explain_warns_of_unknown_fields(tmp_path):
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({**sample("c-001"), "arived_from": "CAN"}), encoding="utf-8")
    result = invoke("explain", "stdlib:stca_us", str(path))
    assert result.exit_code == 0
    assert "warning[RL0702]" in result.stderr and "arived_from" in result.stderr


def test_explain_by_case_id_of_many():
    result = invoke("explain", "stdlib:all", str(SAMPLE), "--case", "sb-002")
    assert result.exit_code == 0 and result.stdout.startswith("case sb-002")
    assert invoke("explain", "stdlib:all", str(SAMPLE), "--case", "zz-404").exit_code == 2


def test_run_case_picks_one_record_of_many():
    result = invoke("run", "stdlib:all", str(SAMPLE), "--case", "c-017", "--format", "person")
    assert result.exit_code == 0 and result.stdout.startswith("case c-017")
    result = invoke("run", "stdlib:all", str(SAMPLE), "--case", "zz-404", "--format", "jsonl")
    assert result.exit_code == 2 and "zz-404" in result.stderr


def test_list_is_one_line_per_agreement_at_100_columns():
    result = invoke("list", "--on", "2025-06-01")
    lines = [l for l in result.stdout.splitlines() if l.strip()]
    assert len(lines) <= len(AGREEMENTS) + 4
    assert all(len(line) <= 100 for line in lines)
    for name in AGREEMENTS:
        assert any(line.lstrip().startswith(name + " ") for line in lines), name


def test_trace_locations_name_files_that_exist(one_person):
    """`stdlib/mpp.rules:58:5` named no file; views say `stdlib:mpp.rules:58:5`, which
    is the shipped file under `rulelang`'s stdlib folder."""
    text = invoke("explain", "stdlib:all", one_person).stdout
    locations = re.findall(r"at (\S+):(\d+):(\d+)", text)
    assert locations
    for name, line, _ in locations:
        assert name.startswith("stdlib:"), name
        path = resources.stdlib_dir() / name[len("stdlib:"):]
        assert path.is_file()
        assert int(line) <= len(path.read_text(encoding="utf-8").splitlines())
    assert "stdlib/" not in text
    for page in (ROOT / "docs" / "agreements").glob("*.md"):
        assert "`stdlib/" not in page.read_text(encoding="utf-8"), page


def test_schema_lists_each_field_with_type_requirement_meaning_and_readers():
    result = invoke("schema")
    text = result.stdout
    assert result.exit_code == 0
    assert "claim_date: date, required" in text
    assert "age: int, optional" in text and "whole years, on the claim date" in text
    assert all(len(line) <= 100 for line in text.splitlines())
    block = " ".join(text.split("\n  arrived_from:")[1].split("\n  entry_type:")[0].split())
    assert "read by: lawful_pathways_2023, mpp," in block and "stca_us" in block
    data = json.loads(invoke("schema", "stdlib:stca_us", "--format", "json").stdout)
    fields = {f["name"]: f for f in data["record"]["fields"]}
    assert fields["has_spouse"]["read_by"] == ["stca_us"]
    assert fields["claim_date"]["required"] and not fields["age"]["required"]
    assert {"Relative", "Document", "Screening"} <= {p["name"] for p in data["parts"]}


def test_the_field_reference_is_generated_and_current(tmp_path):
    """docs/case-record.md is what `rulelang doc stdlib:common` writes (it wrote nothing)."""
    result = invoke("doc", "stdlib:common", "--out", str(tmp_path))
    assert result.exit_code == 0
    written = (tmp_path / "case-record.md").read_text(encoding="utf-8")
    assert written == (ROOT / "docs" / "case-record.md").read_text(encoding="utf-8"), \
        "docs/case-record.md is out of date: run `rulelang doc stdlib:common --out docs`"
    assert invoke("schema", "--format", "markdown").stdout == written
    for field in POLICY.program.input_type.fields:
        assert f"### `{field}`" in written
    # common.rules points to it
    assert "docs/case-record.md" in (resources.stdlib_dir() / "common.rules").read_text(encoding="utf-8")


def test_each_agreement_page_lists_the_facts_it_reads():
    from rulelang.core.facts import FieldsRead

    reads = FieldsRead(POLICY.program)
    for info in POLICY.program.agreements:
        page = (ROOT / "docs" / "agreements" / f"{info.name}.md").read_text(encoding="utf-8")
        section = page.split("## Facts it reads")[1]
        for field in reads.agreement(info):
            assert f"[`{field}`](../case-record.md#{field})" in section, (info.name, field)


def test_fields_read_follow_rules_functions_and_other_decisions():
    from rulelang.core.facts import readers

    program = rulelang.load("""
record R {
  id: text
  d: date
  a: int?
  b: bool?
  c: bool?
  unused: bool?
}
input case: R as_of d
def older(n: int): bool? = case.a >= n
rule flag: bool? = case.b or older(18)
agreement one "One" {
  parties USA, CAN
  returns_to CAN
  timeline {
    2000-01-01 in_force
  }
  applies when {
    flag
  }
}
agreement two "Two" {
  parties USA, MEX
  returns_to MEX
  timeline {
    2000-01-01 in_force
  }
  applies when {
    one.outcome == applies and case.c
  }
}
""").program
    read = readers(program)
    assert read["a"] == ["one", "two"] and read["b"] == ["one", "two"]
    assert read["c"] == ["two"] and read["unused"] == [] and read["id"] == []


def test_doc_to_an_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["doc", "stdlib:stca_us", "--out", str(blocker / "sub")])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot write" in result.output


def test_the_readme_tour_shows_each_view_and_its_commands_run(tmp_path, monkeypatch):
    import shlex
    import shutil

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for shown in ("--case c-051", "facts to collect", "rulelang schema", "--format csv", "--group-by",
                  "rulelang report"):
        assert shown in readme, shown
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    lines = [line for block in re.findall(r"```sh\n(.*?)```", readme, re.S)
             for line in block.replace("\\\n", " ").splitlines()]
    ran = 0
    for line in lines:
        for command in line.split(" && "):
            command = command.split("#")[0].strip()
            if not command.startswith("rulelang ") or " pip " in command:
                continue
            args = shlex.split(command)[1:]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, (command, result.output)
            ran += 1
    assert ran >= 4
    assert (tmp_path / "decisions.csv").exists() and (tmp_path / "report.html").exists()
