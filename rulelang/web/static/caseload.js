// A caseload decided on the workbench: the file is sent as it is (POST /api/caseload,
// its name and the options in the query) and the report shown in a frame.
"use strict";

const status = document.getElementById("caseload-status");

document.getElementById("caseload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = document.getElementById("file").files[0];
  if (!file) return;
  const query = new URLSearchParams({ name: file.name });
  const asOf = document.getElementById("as-of").value;
  if (asOf) query.set("as_of", asOf);
  if (document.getElementById("assume").checked) query.set("assume", "in_force");
  const groupBy = document.getElementById("group-by");
  if (groupBy && groupBy.value) query.set("group_by", groupBy.value);
  status.textContent = `Deciding ${file.name}…`;
  status.className = "hint";
  document.getElementById("decide").disabled = true;
  let body;
  try {
    const response = await fetch(`/api/caseload?${query}`, { method: "POST", body: file });
    body = await response.json();
  } catch (error) {
    body = { error: `The workbench did not answer (${error}).` };
  }
  document.getElementById("decide").disabled = false;
  const invalid = document.getElementById("invalid");
  invalid.replaceChildren();
  const frame = document.getElementById("report");
  if (body.error) {
    status.textContent = body.error;
    status.className = "hint problem";
    frame.hidden = true;
    return;
  }
  status.textContent = `${body.records.toLocaleString()} records decided, `
    + `${body.invalid.toLocaleString()} invalid${body.invalid > body.first_invalid.length ? " (the first below)" : ""}.`;
  for (const line of body.first_invalid) {
    const item = document.createElement("li");
    item.textContent = line;
    invalid.append(item);
  }
  frame.srcdoc = body.report;
  frame.hidden = false;
});
