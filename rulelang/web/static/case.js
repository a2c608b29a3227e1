// The case worker's form: the record is read from the form as it is typed,
// decided by the server (POST /api/decide), and the decisions shown beside it.
// A blank field is left out of the record: unknown, not false.
"use strict";

const form = document.getElementById("case");
const touched = new Set();
let pending = null;
let asked = 0;

function scalar(input, kind) {
  const raw = input.value.trim();
  if (raw === "") return undefined;
  switch (kind) {
    case "bool": return raw === "true";
    case "int": return /^-?\d+$/.test(raw) ? Number(raw) : raw;  // the server names a bad number
    case "country": return raw.toUpperCase();
    default: return raw;  // text, decimal (exact, as text), date, enum, duration
  }
}

function listItem(text, kind) {
  if (kind === "int") return /^-?\d+$/.test(text) ? Number(text) : text;
  if (kind === "bool") return text === "yes" || text === "true";
  if (kind === "country") return text.toUpperCase();
  return text;
}

// the fields directly inside `scope`: the form's own, or those of one row of a list of records
function fieldsOf(scope) {
  return [...scope.querySelectorAll(scope.matches("fieldset.row")
    ? ":scope > label.sub > [data-field]" : ".field > [data-field]")];
}

function readScope(scope) {
  const record = {};
  for (const el of fieldsOf(scope)) {
    const value = readField(el);
    if (value !== undefined) record[el.dataset.field] = value;
  }
  return record;
}

function readField(el) {
  const kind = el.dataset.kind;
  if (kind !== "list" && kind !== "records") return scalar(el, kind);
  const known = el.querySelector(".known").value;
  if (known === "unknown") return undefined;
  if (known === "none") return [];
  if (kind === "list") {
    const items = el.querySelector(".items");
    return items.value.split(items.tagName === "TEXTAREA" ? "\n" : ",").map((s) => s.trim())
      .filter((s) => s).map((s) => listItem(s, el.dataset.item));
  }
  return [...el.querySelector(".rows").children].map(readScope);
}

function readRecord() { return readScope(form); }

function addRow(records, values) {
  const row = records.querySelector("template").content.firstElementChild.cloneNode(true);
  const index = records.querySelector(".rows").children.length;
  for (const el of row.querySelectorAll("[id]")) el.id = `${el.id}-${index}`;
  row.querySelector(".remove").addEventListener("click", () => { row.remove(); changed(); });
  records.querySelector(".rows").append(row);
  records.querySelector(".known").value = "listed";
  if (values) fillScope(row, values);
  return row;
}

function fillScope(scope, record) {
  for (const el of fieldsOf(scope)) fillField(el, record[el.dataset.field]);
}

function fillField(el, value) {
  const kind = el.dataset.kind;
  if (kind === "list" || kind === "records") {
    const known = el.querySelector(".known");
    known.value = value === undefined || value === null ? "unknown" : value.length ? "listed" : "none";
    if (kind === "list") {
      const items = el.querySelector(".items");
      items.value = Array.isArray(value) ? value.join(items.tagName === "TEXTAREA" ? "\n" : ", ") : "";
    } else {
      el.querySelector(".rows").replaceChildren();
      for (const item of Array.isArray(value) ? value : []) addRow(el, item);
      known.value = value === undefined || value === null ? "unknown" : value.length ? "listed" : "none";
    }
    return;
  }
  el.value = value === undefined || value === null ? "" : String(value);
}

function fieldElement(name) { return document.getElementById(`field-${name}`); }

function showErrors(errors) {
  for (const p of form.querySelectorAll(".field > .error")) p.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const hidden = [];
  const shown = new Map();  // field box -> its messages (a row's, each with its place)
  for (const { field, message } of errors) {
    const top = (field || "").split(/[.[]/)[0];
    const box = fieldElement(top);
    if (box && touched.has(top)) {
      const place = where(field, top);
      shown.set(box, [...(shown.get(box) || []), place ? `${place}: ${message}` : message]);
      box.querySelector("[data-field]").setAttribute("aria-invalid", "true");
    } else {
      hidden.push(field ? `${field}: ${message}` : message);
    }
  }
  for (const [box, messages] of shown) box.querySelector(".error").textContent = messages.join("; ");
  return hidden;
}

// where in a field an error is: "" for the field itself, "row 2, location" in a list of records
function where(field, top) {
  const rest = field.slice(top.length);
  const row = rest.match(/^\[(\d+)\]\.?(.*)$/);
  if (!row) return rest.replace(/^\./, "");
  return `row ${Number(row[1]) + 1}` + (row[2] ? `, ${row[2]}` : "");
}

// JSON with the keys of objects in order, to compare two records
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

// what of a pasted record the form could not hold as it was (a value it has no
// input for, a value changed on its way in): said, not hidden
function pasteDifferences(pasted) {
  const read = readRecord();
  const fields = new Set([...Object.keys(pasted), ...Object.keys(read)]);
  return [...fields].filter((f) => canonical(pasted[f]) !== canonical(read[f]))
    .map((f) => `${f}: ${JSON.stringify(pasted[f]) ?? "(none)"} became ${JSON.stringify(read[f]) ?? "unknown"}`);
}

function goTo(fact) {
  const top = fact.split(/[.[]/)[0];
  const box = fieldElement(top);
  if (!box) return;
  box.scrollIntoView({ behavior: "smooth", block: "center" });
  const input = box.querySelector("input, select");
  if (input) input.focus({ preventScroll: true });
  box.classList.add("flash");
  setTimeout(() => box.classList.remove("flash"), 1500);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function factButton(fact) {
  const button = el("button", { type: "button", class: "fact" }, fact);
  button.addEventListener("click", () => goTo(fact));
  return button;
}

function showDecision(d) {
  const card = el("article", { class: `decision ${d.outcome}`, "data-agreement": d.agreement });
  const head = el("header", {}, el("span", { class: "badge" }, d.label), " ",
    el("a", { href: `/agreements/${encodeURIComponent(d.agreement)}` }, d.agreement));
  if (d.returns_to) head.append(" → ", el("strong", {}, d.returns_to));
  card.append(head, el("p", { class: "title" }, d.title), el("p", { class: "reason" }, d.reason));
  for (const e of d.exceptions.filter((name) => d.exception_titles[name])) {
    card.append(el("p", { class: "title" }, `${e}: ${d.exception_titles[e]}`));
  }
  if (d.missing.length) card.append(el("p", {}, "hangs on: ", ...d.missing.map(factButton)));
  for (const u of d.unestablished) {
    card.append(el("p", { class: "unestablished" }, `${u.exception} could hold if shown: `,
      ...u.facts.map(factButton)));
  }
  if (d.trace && d.trace.length) {
    const list = el("ol", { class: "trace" });
    for (const step of d.trace) {
      const value = step.value === null ? "unknown" : JSON.stringify(step.value);
      const item = el("li", {}, el("span", { class: "step" }, step.step), " = ",
        el("code", {}, value));
      if (step.text) item.append(" ", el("code", { class: "clause" }, step.text));
      if (step.cite) item.append(el("span", { class: "cite" }, step.cite));
      if (step.note) item.append(el("span", { class: "note" }, step.note));
      list.append(item);
    }
    card.append(el("details", {}, el("summary", {}, "why"), list));
  }
  return card;
}

function showResults(status, body) {
  const decisions = document.getElementById("decisions");
  const facts = document.getElementById("facts");
  const note = document.getElementById("status");
  if (status === 422) {
    const hidden = showErrors(body.errors);
    note.textContent = hidden.length
      ? `The record is not complete yet: ${hidden.join("; ")}`
      : "The record has mistakes: see the fields marked.";
    note.className = "hint problem";
    return;
  }
  showErrors([]);
  if (status !== 200 || body.error) {
    note.textContent = body.error || `The server answered ${status}.`;
    note.className = "hint problem";
    return;
  }
  note.className = "hint";
  note.textContent = body.decisions.length
    ? `Decided as of ${body.decisions[0].as_of}.` : "No agreement to decide.";
  decisions.replaceChildren(...body.decisions.map(showDecision));
  facts.replaceChildren();
  if (body.facts.length) {
    facts.append(el("h3", {}, "Facts to collect"));
    const list = el("ul", { class: "facts" });
    for (const { fact, uses } of body.facts) list.append(el("li", {}, factButton(fact), " ", uses.join("; ")));
    facts.append(list);
  }
}

async function decide() {
  const ask = ++asked;
  const asOf = document.getElementById("as-of").value;
  const request = { record: readRecord(), as_of: asOf || null,
                    assume: document.getElementById("assume").checked ? "in_force" : null };
  let status, body;
  try {
    const response = await fetch("/api/decide", { method: "POST", body: JSON.stringify(request),
                                                  headers: { "Content-Type": "application/json" } });
    status = response.status;
    body = await response.json();
  } catch (error) {
    status = 0;
    body = { error: `The workbench did not answer (${error}).` };
  }
  if (ask === asked) showResults(status, body);  // an older answer arriving late is dropped
}

function changed(event) {
  const box = event && event.target.closest(".field");
  if (box) touched.add(box.id.replace(/^field-/, ""));
  clearTimeout(pending);
  pending = setTimeout(decide, 250);
}

if (form) {
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  for (const records of form.querySelectorAll("[data-kind=records]")) {
    records.querySelector(".add").addEventListener("click", () => { addRow(records); changed(); });
  }
  document.getElementById("export").addEventListener("click", async () => {
    const text = JSON.stringify(readRecord());
    try { await navigator.clipboard.writeText(text); } catch (error) { /* no clipboard: shown below */ }
    document.getElementById("status").textContent = `The record: ${text}`;
  });
  const dialog = document.getElementById("import-dialog");
  document.getElementById("import").addEventListener("click", () => dialog.showModal());
  document.getElementById("import-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("import-ok").addEventListener("click", () => {
    let record;
    try {
      record = JSON.parse(document.getElementById("import-text").value);
      if (record === null || typeof record !== "object" || Array.isArray(record)) throw new Error("not an object");
    } catch (error) {
      document.getElementById("import-error").textContent = `Not a JSON record: ${error.message}`;
      return;
    }
    fillScope(form, record);
    for (const box of form.querySelectorAll(".field")) touched.add(box.id.replace(/^field-/, ""));
    const warning = document.getElementById("paste-warning");
    const changed = pasteDifferences(record);
    warning.hidden = changed.length === 0;
    warning.textContent = changed.length
      ? `The form could not hold the pasted record as it was; what is decided is the form's: ${changed.join("; ")}` : "";
    dialog.close();
    decide();
  });
  document.getElementById("clear").addEventListener("click", () => {
    fillScope(form, {});
    touched.clear();
    document.getElementById("paste-warning").hidden = true;
    decide();
  });
  decide();
}
