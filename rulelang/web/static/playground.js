// The author's playground: the text is checked as it is typed (POST /api/check),
// laid out (/api/format) and run (/api/run) on request.
"use strict";

const rules = document.getElementById("rules");
let pending = null;
let asked = 0;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

async function post(path, body) {
  try {
    const response = await fetch(path, { method: "POST", body: JSON.stringify(body),
                                         headers: { "Content-Type": "application/json" } });
    return [response.status, await response.json()];
  } catch (error) {
    return [0, { error: `The workbench did not answer (${error}).` }];
  }
}

// a diagnostic's span as [start, end) offsets of the editor's text
function range(span) {
  const lines = rules.value.split("\n");
  const offset = (line, column) => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
  return [offset(span.line, span.column), offset(span.end_line, span.end_column)];
}

function select(span) {
  rules.focus();
  rules.setSelectionRange(...range(span));
}

// a misspelt name's fix: the checker's "did you mean", put in its place
function applyFix(span, replacement) {
  const [start, end] = range(span);
  rules.value = rules.value.slice(0, start) + replacement + rules.value.slice(end);
  check();
}

function showDiagnostics(list) {
  const items = list.map((d) => {
    const where = d.span ? `${d.span.line}:${d.span.column}` : "";
    const item = el("li", { class: d.severity }, el("code", {}, d.code), " ",
      el("span", { class: "where" }, where), " ", d.message);
    if (d.help) item.append(el("div", { class: "help" }, `help: ${d.help}`));
    if (d.fix && d.span) {
      const fix = el("button", { type: "button", class: "fix" }, `use ${d.fix.replacement}`);
      fix.addEventListener("click", (event) => { event.stopPropagation(); applyFix(d.span, d.fix.replacement); });
      item.append(" ", fix);
    }
    if (d.span) {
      item.classList.add("go");
      item.addEventListener("click", () => select(d.span));
    }
    return item;
  });
  document.getElementById("diagnostics").replaceChildren(
    ...(items.length ? items : [el("li", { class: "ok" }, "no errors")]));
}

async function check() {
  const ask = ++asked;
  const [status, body] = await post("/api/check", { text: rules.value });
  if (ask !== asked) return;
  if (status !== 200) showDiagnostics([{ code: "", severity: "error", message: body.error }]);
  else showDiagnostics(body.diagnostics);
}

rules.addEventListener("input", () => { clearTimeout(pending); pending = setTimeout(check, 300); });

document.getElementById("layout").addEventListener("click", async () => {
  const [status, body] = await post("/api/format", { text: rules.value });
  if (status === 200) { rules.value = body.text; check(); }
  else showDiagnostics(body.diagnostics || [{ code: "", severity: "error", message: body.error }]);
});

document.getElementById("run").addEventListener("click", async () => {
  let record = null;
  try { record = JSON.parse(document.getElementById("record").value || "null"); } catch (error) {
    document.getElementById("run-output").replaceChildren(el("p", { class: "problem" }, `The record is not JSON: ${error.message}`));
    return;
  }
  const [status, body] = await post("/api/run", { text: rules.value, record });
  const tests = document.getElementById("tests");
  const output = document.getElementById("run-output");
  if (status === 422 && body.diagnostics) { showDiagnostics(body.diagnostics); output.replaceChildren(); return; }
  tests.replaceChildren(...(body.tests || []).map((t) => el("li", { class: t.passed ? "passed" : "failed" },
    t.passed ? "✓ " : "✗ ", t.name, ...t.failures.map((f) => el("div", { class: "failure" }, f)))));
  if (body.errors) {
    output.replaceChildren(el("p", { class: "problem" }, "The record is invalid: ",
      body.errors.map((e) => `${e.field}: ${e.message}`).join("; ")));
  } else if (body.error) {
    output.replaceChildren(el("p", { class: "problem" }, body.error));
  } else {
    output.replaceChildren(...(body.decisions || []).map((d) => el("article", { class: `decision ${d.outcome}` },
      el("header", {}, el("span", { class: "badge" }, d.label), " ", el("code", {}, d.agreement),
        d.returns_to ? ` → ${d.returns_to}` : ""),
      el("p", { class: "reason" }, d.reason),
      el("pre", { class: "json" }, JSON.stringify(d.trace, null, 1)))));
  }
});

check();
