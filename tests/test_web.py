"""The workbench: its pages and JSON API through Starlette's test client, then
the pages in a real browser (Debian's chromium, driven by Selenium) against the
app served on loopback."""

from __future__ import annotations

import datetime as _dt
import json
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

import rulelang
from rulelang.cli import cli
from rulelang.web.app import create_app
from rulelang.web.form import form_of

ROOT = Path(__file__).resolve().parent.parent
TODAY = _dt.date(2026, 12, 3)
SAMPLE = [json.loads(line) for line in (ROOT / "examples/cases/sample.jsonl").read_text().splitlines()
          if line.strip()]


@pytest.fixture(scope="module")
def policy():
    return rulelang.load("stdlib:all")


@pytest.fixture(scope="module")
def client(policy):
    return TestClient(create_app(policy, "stdlib:all", today=TODAY))


# ---- the form ------------------------------------------------------------------------------

def test_the_form_has_an_input_for_every_field_of_the_record(policy, client):
    page = client.get("/").text
    for name in policy.program.input_type.fields:
        assert f'id="field-{name}"' in page, name
    form = form_of(policy.program)
    assert sum(len(widgets) for _, widgets in form.sections) == len(policy.program.input_type.fields)
    assert [title for title, _ in form.sections][:2] == [
        "The case", "additions beyond case-record.md (all optional; absent = unknown)"]


def test_each_field_gets_the_input_its_type_asks_for(policy):
    widgets = {w.name: w for _, ws in form_of(policy.program).sections for w in ws}
    assert widgets["age"].kind == "int" and not widgets["age"].required
    assert widgets["claim_date"].kind == "date" and widgets["claim_date"].required
    assert widgets["entry_type"].kind == "enum" and "between_ports" in widgets["entry_type"].options
    assert widgets["nationalities"].kind == "list" and widgets["nationalities"].item.kind == "country"
    relatives = widgets["relatives"]
    assert relatives.kind == "records" and {"relation", "location", "status"} <= {
        f.name for f in relatives.fields}
    assert "stca_us" in widgets["has_spouse"].readers


# ---- deciding ------------------------------------------------------------------------------

@pytest.mark.parametrize("index", [0, 1, 5, 17])
def test_the_form_decides_as_the_api_does(policy, client, index):
    record = SAMPLE[index]
    answer = client.post("/api/decide", json={"record": record})
    assert answer.status_code == 200
    body = answer.json()
    expected = {d.agreement: d.to_json(trace=False) for d in policy.evaluate(record)}
    assert {d["agreement"]: {k: d[k] for k in expected[d["agreement"]]} for d in body["decisions"]} \
        == expected
    outcomes = [d["outcome"] for d in body["decisions"]]
    order = ["applies", "exempt", "undetermined", "not_applicable", "not_in_force"]
    assert outcomes == sorted(outcomes, key=order.index)  # what matters first
    assert all(d["reason"] and d["trace"] for d in body["decisions"])


def test_an_undetermined_case_says_which_facts_to_collect(client):
    record = {k: v for k, v in SAMPLE[0].items() if k not in ("entry_type", "in_transit_removal")}
    body = client.post("/api/decide", json={"record": record}).json()
    facts = [f["fact"] for f in body["facts"]]
    assert "entry_type" in facts
    undetermined = [d for d in body["decisions"] if d["outcome"] == "undetermined"]
    assert undetermined and all(d["missing"] for d in undetermined)


def test_as_of_and_assume_reach_the_decision(client):
    body = client.post("/api/decide", json={"record": SAMPLE[0], "as_of": "2001-01-01",
                                            "assume": "in_force"}).json()
    stca = next(d for d in body["decisions"] if d["agreement"] == "stca_us")
    assert stca["as_of"] == "2001-01-01" and stca["assumed"] == "in_force"


def test_a_bad_record_gets_its_errors_field_by_field(client):
    record = {**SAMPLE[0], "age": "thirty", "claim_country": "XXX"}
    answer = client.post("/api/decide", json={"record": record})
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"age", "claim_country"}


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400), (b'{"record": 3}', 400), (b"[]", 400),
    (json.dumps({"record": {}, "as_of": "2024-02-30"}).encode(), 400),
    (b'{"record": {}, "text": "' + b"x" * 4_100_000 + b'"}', 413)])
def test_a_bad_request_is_refused_with_a_reason(client, body, status):
    answer = client.post("/api/decide", content=body)
    assert answer.status_code == status
    assert answer.json()["error"]


def test_a_body_past_the_limit_is_refused_as_it_arrives(client):
    def endless():  # no length given: read until it passes the limit, then no further
        for _ in range(100):
            yield b" " * 1_000_000
    answer = client.post("/api/decide", content=endless())
    assert answer.status_code == 413


def test_json_nested_past_reason_is_a_400_not_a_crash(client):
    answer = client.post("/api/decide", content=b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400 and "RecursionError" in answer.json()["error"]


def test_a_post_from_another_site_or_host_is_refused(client):
    record = {"record": SAMPLE[0]}
    assert client.post("/api/decide", json=record,
                       headers={"Origin": "http://elsewhere.example"}).status_code == 403
    assert client.post("/api/check", json={"text": RULES},
                       headers={"Origin": "null"}).status_code == 403
    assert client.post("/api/decide", json=record,
                       headers={"Origin": "http://testserver"}).status_code == 200
    assert client.post("/api/caseload?name=c.jsonl", content=b"{}",
                       headers={"Origin": "http://elsewhere.example"}).status_code == 403
    assert client.get("/", headers={"Host": "rebound.example"}).status_code == 400


# ---- the agreements ------------------------------------------------------------------------

def test_the_agreements_page_charts_every_timeline(policy, client):
    page = client.get("/agreements").text
    figure = json.loads(page.split('<script type="application/json" id="figure">')[1].split("</script>")[0])
    rows = {y for trace in figure["data"] for y in trace["y"]}
    assert rows == {a.name for a in policy.program.agreements}
    assert "/static/plotly.min.js" in page


def test_an_agreements_page_shows_its_timeline_scope_and_exceptions(policy, client):
    page = client.get("/agreements/stca_us").text
    stca = next(a for a in policy.program.agreements if a.name == "stca_us")
    for event in stca.timeline.events:
        assert event.date.isoformat() in page
    for exception in stca.all_exceptions:
        assert f"<code>{exception.name}</code>" in page
    assert "8 CFR 208.30(e)(6)" in page          # citations beside the clauses
    assert "in force" in page                    # its status on TODAY


def test_an_unknown_agreement_is_a_404_that_lists_the_known_ones(client):
    answer = client.get("/agreements/nothing_here")
    assert answer.status_code == 404 and "/agreements/stca_us" in answer.text


def test_plotly_is_served_from_the_package_not_a_cdn(client):
    answer = client.get("/static/plotly.min.js")
    assert answer.status_code == 200 and len(answer.text) > 1_000_000
    for path in ("/", "/agreements", "/playground"):
        assert "https://" not in client.get(path).text.split("<footer>")[0]


# ---- the playground ------------------------------------------------------------------------

RULES = """\
record C { id: text, age: int?, d: date }
input c: C as_of d
rule adult: bool? = c.age >= 18
test "an adult" {
  given c = { id: "a", age: 30, d: 2024-01-01 }
  expect adult
}
"""


def test_the_playground_checks_rule_text(client):
    assert client.post("/api/check", json={"text": RULES}).json() == {"diagnostics": [], "errors": 0}
    bad = client.post("/api/check", json={"text": RULES.replace(">= 18", ">= true")}).json()
    assert bad["errors"] == 1 and bad["diagnostics"][0]["code"] == "RL0307"
    assert bad["diagnostics"][0]["span"]["line"] == 3
    typo = client.post("/api/check", json={"text": RULES.replace("c.age >=", "c.aeg >=")}).json()
    assert typo["diagnostics"][0]["fix"] == {"replacement": "age"}


def test_the_playground_text_is_never_taken_for_a_file_name(client):
    answer = client.post("/api/check", json={"text": str(ROOT / "README.md")}).json()
    assert answer["errors"] and answer["diagnostics"][0]["code"] != "RL0004"
    assert all("README" not in d["message"] for d in answer["diagnostics"])


def test_the_playground_lays_out_and_runs(client):
    laid = client.post("/api/format", json={"text": RULES.replace("rule adult", "rule    adult")})
    assert laid.json()["text"] == RULES
    assert client.post("/api/format", json={"text": "rule {"}).status_code == 422
    ran = client.post("/api/run", json={"text": RULES, "record": {"id": "b", "age": 3, "d": "2024-01-01"}})
    assert ran.json()["tests"] == [{"name": "an adult", "passed": True, "failures": []}]
    failing = client.post("/api/run", json={"text": RULES.replace("age: 30", "age: 3")}).json()
    assert failing["tests"][0]["passed"] is False and "is false" in failing["tests"][0]["failures"][0]
    broken = client.post("/api/run", json={"text": RULES.replace(">= 18", ">= true")})
    assert broken.status_code == 422 and broken.json()["diagnostics"][0]["code"] == "RL0307"


def test_without_the_web_extra_the_command_says_which_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = CliRunner().invoke(cli, ["web"])
    assert result.exit_code == 2 and "pip install 'rulelang[web]'" in result.output


# ---- in a browser --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(policy):
    """The workbench served by uvicorn on a free loopback port, in a thread."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(policy, "stdlib:all", today=TODAY),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, through its chromedriver (no driver is downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _wait(condition, timeout=20.0):
    """The condition's value once it is true; an element replaced or not there yet
    while it is asked (the pages redraw as answers come) is asked again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = condition()
        except (NoSuchElementException, StaleElementReferenceException):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("the page never got there")


def _script_errors(browser) -> list:
    return [entry for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE" and "/api/decide" not in entry["message"]]


def test_in_a_browser_a_pasted_record_is_decided_and_a_missing_fact_found(policy, served, browser):
    from selenium.webdriver.common.by import By

    record = {k: v for k, v in SAMPLE[1].items() if k != "entry_type"}
    browser.get(served + "/")
    browser.find_element(By.ID, "import").click()
    browser.find_element(By.ID, "import-text").send_keys(json.dumps(record))
    browser.find_element(By.ID, "import-ok").click()

    def shown():  # read in one script: the cards are replaced as answers come
        return dict(browser.execute_script(
            "return [...document.querySelectorAll('article.decision')]"
            ".map((card) => [card.dataset.agreement, card.classList[1]])"))
    expected = {d.agreement: str(d.outcome) for d in policy.evaluate(record)}
    assert _wait(lambda: shown() == expected)
    assert "undetermined" in expected.values()
    browser.execute_script("[...document.querySelectorAll('#facts button.fact')]"
                           ".find((button) => button.textContent === 'entry_type').click()")
    assert _wait(lambda: browser.switch_to.active_element.get_attribute("id") == "entry_type")
    # the worker answers the question: the decisions follow
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.ID, "entry_type")).select_by_value("land_port_of_entry")
    expected = {d.agreement: str(d.outcome) for d in
                policy.evaluate({**record, "entry_type": "land_port_of_entry"})}
    assert _wait(lambda: shown() == expected)
    assert _script_errors(browser) == []


def test_in_a_browser_a_bad_field_is_marked_where_it_is(served, browser):
    from selenium.webdriver.common.by import By

    browser.get(served + "/")
    browser.find_element(By.ID, "import").click()
    browser.find_element(By.ID, "import-text").send_keys(json.dumps({**SAMPLE[0], "age": -4000000000000000000000}))
    browser.find_element(By.ID, "import-ok").click()
    message = _wait(lambda: browser.find_element(By.CSS_SELECTOR, "#field-age .error").text)
    assert "age" in message or "range" in message or "number" in message
    assert browser.find_element(By.ID, "age").get_attribute("aria-invalid") == "true"


def _paste(browser, served, record):
    from selenium.webdriver.common.by import By

    browser.get(served + "/")
    browser.find_element(By.ID, "import").click()
    browser.find_element(By.ID, "import-text").send_keys(json.dumps(record))
    browser.find_element(By.ID, "import-ok").click()


def test_in_a_browser_a_pasted_record_the_form_cannot_hold_is_said(served, browser):
    from selenium.webdriver.common.by import By

    kept = {**SAMPLE[0], "gang_affiliations": ["MS-13, clique Sur", "Barrio 18"]}
    _paste(browser, served, kept)
    assert browser.execute_script("return readRecord()") == kept  # a comma inside an item
    assert not browser.find_element(By.ID, "paste-warning").is_displayed()
    _paste(browser, served, {**SAMPLE[0], "entry_type": "airpot", "extra_field": 1})
    warning = _wait(lambda: browser.find_element(By.ID, "paste-warning").text)
    assert "entry_type" in warning and "extra_field" in warning


def test_in_a_browser_errors_in_rows_say_which_row_and_field(served, browser):
    from selenium.webdriver.common.by import By

    _paste(browser, served, {**SAMPLE[0], "relatives": [{"relation": "sibling"}]})
    message = _wait(lambda: browser.find_element(By.CSS_SELECTOR, "#field-relatives .error").text)
    assert "row 1, location" in message and "row 1, status" in message


def test_in_a_browser_rows_and_lists_become_the_records_lists(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(served + "/")
    record = browser.execute_script("return readRecord()")
    assert record == {}  # nothing given is nothing said: not an empty list, not false
    relatives = browser.find_element(By.ID, "field-relatives")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", relatives)
    relatives.find_element(By.CSS_SELECTOR, "button.add").click()
    row = relatives.find_element(By.CSS_SELECTOR, ".rows fieldset.row")
    Select(row.find_element(By.CSS_SELECTOR, "[data-field=relation]")).select_by_value("sibling")
    row.find_element(By.CSS_SELECTOR, "[data-field=location]").send_keys("usa")
    Select(browser.find_element(By.CSS_SELECTOR, "#field-documents .known")).select_by_value("none")
    nationalities = browser.find_element(By.ID, "field-nationalities")
    Select(nationalities.find_element(By.CSS_SELECTOR, ".known")).select_by_value("listed")
    nationalities.find_element(By.CSS_SELECTOR, ".items").send_keys("hnd, GTM")
    assert browser.execute_script("return readRecord()") == {
        "relatives": [{"relation": "sibling", "location": "USA"}], "documents": [],
        "nationalities": ["HND", "GTM"]}
    row.find_element(By.CSS_SELECTOR, "button.remove").click()
    assert browser.execute_script("return readRecord()")["relatives"] == []


def test_in_a_browser_the_playground_shows_a_mistake_and_runs_the_tests(served, browser):
    from selenium.webdriver.common.by import By

    browser.get(served + "/playground")
    assert _wait(lambda: browser.find_element(By.CSS_SELECTOR, "#diagnostics li.ok"))
    editor = browser.find_element(By.ID, "rules")
    editor.send_keys("\nrule broken: bool = 1\n")
    item = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#diagnostics li.error"))
    assert "RL0301" in item[0].text
    # a misspelt name: its fix is a click away
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                           editor, RULES.replace("c.age >= 18", "c.aeg >= 18"))
    fix = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#diagnostics button.fix"))
    assert fix[0].text == "use age"
    fix[0].click()
    assert _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#diagnostics li.ok"))
    assert browser.find_element(By.ID, "rules").get_attribute("value") == RULES
    editor.clear()
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                           editor, RULES)
    browser.find_element(By.ID, "record").clear()
    browser.find_element(By.ID, "record").send_keys('{"id": "b", "age": 3, "d": "2024-01-01"}')
    browser.find_element(By.ID, "run").click()
    assert _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#tests li.passed"))
    assert _script_errors(browser) == []


def test_in_a_browser_the_timeline_chart_is_drawn(served, browser):
    from selenium.webdriver.common.by import By

    browser.get(served + "/agreements/stca_us")
    assert _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#timeline svg.main-svg"))
    assert _script_errors(browser) == []


# ---- a caseload ----------------------------------------------------------------------------

def test_a_caseload_is_decided_and_reported(policy, client):
    data = (ROOT / "examples/cases/sample.jsonl").read_bytes() + b'{"id": "bad", "age": "x"}\n'
    answer = client.post("/api/caseload?name=sample.jsonl&group_by=claim_country", content=data)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["records"], body["invalid"]) == (len(SAMPLE) + 1, 1)
    assert body["first_invalid"][0].startswith("record bad") and "age" in body["first_invalid"][0]
    report = body["report"]
    assert report.startswith("<!doctype html>") or report.lower().startswith("<!doctype html>")
    for agreement in policy.agreements:
        assert agreement in report
    applies = sum(1 for record in SAMPLE for d in policy.evaluate(record)
                  if d.agreement == "stca_us" and d.outcome == "applies")
    assert f"{applies:,}" in report


def test_the_report_runs_cut_off_from_the_workbench(client):
    page = client.get("/caseload").text
    frame = page.split('<iframe id="report"')[1].split(">")[0]
    assert 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame


def test_a_caseload_error_names_the_upload_not_the_temporary_file(client):
    body = client.post("/api/caseload?name=mine.parquet", content=b"not parquet").json()
    assert "mine.parquet" in body["error"] and "rulelang-caseload" not in body["error"]


@pytest.mark.parametrize("query, data, status", [
    ("name=cases.txt", b"{}", 415), ("name=c.jsonl&group_by=nothing", b"{}", 400),
    ("name=c.jsonl&as_of=2024-13-01", b"{}", 400), ("name=c.parquet", b"not parquet", 422),
    ("name=c.jsonl&assume=maybe", b"{}", 400)])
def test_a_bad_caseload_request_says_why(client, query, data, status):
    answer = client.post(f"/api/caseload?{query}", content=data)
    assert answer.status_code == status and answer.json()["error"]


def test_in_a_browser_a_caseload_file_is_decided(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    cases = tmp_path / "cases.jsonl"
    cases.write_bytes((ROOT / "examples/cases/sample.jsonl").read_bytes())
    browser.get(served + "/caseload")
    browser.find_element(By.ID, "file").send_keys(str(cases))
    browser.find_element(By.ID, "decide").click()
    status = _wait(lambda: "records decided" in browser.find_element(By.ID, "caseload-status").text
                   and browser.find_element(By.ID, "caseload-status").text)
    assert f"{len(SAMPLE)} records decided, 0 invalid" in status
    assert browser.find_element(By.ID, "report").is_displayed()
    assert _script_errors(browser) == []
