// The analyst's page: screen one vessel, screen a CSV file, read a match's details and port calls.
// Plain script, no framework, no build step, nothing loaded from elsewhere. Every piece of data is
// put on the page as text (textContent), never as markup.
"use strict";

(function () {
  const KEY_STORAGE = "vessel-screen-api-key";
  const RESULTS_FILE = "screening-results.csv";
  const PREVIEW_ROWS = 100;

  const RISK_LABELS = {
    sanctioned_jurisdiction: "sanctioned jurisdiction",
    sanctions_risk_port: "port named in sanctions actions",
    record_gap: "gap in the record",
    flag_change: "flag change",
    owner_listed: "owner listed",
    manager_listed: "manager listed",
    operator_listed: "operator listed",
  };
  const DECISION_TEXT = { match: "Match", review: "Review", clear: "Clear" };

  const $ = (id) => document.getElementById(id);

  // --- Building the page from data, as text only ------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    node.replaceChildren();
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function riskLabel(code) {
    return RISK_LABELS[code] || String(code).replace(/_/g, " ");
  }

  function decisionBadge(decision) {
    const text = DECISION_TEXT[decision] || String(decision || "—");
    return el("span", { class: `badge decision-${decision}` }, text);
  }

  let regionNames = null;
  try {
    regionNames = new Intl.DisplayNames(["en"], { type: "region" });
  } catch (_err) {
    regionNames = null;
  }

  function country(code) {
    if (!code) return "";
    let name = null;
    try {
      name = regionNames ? regionNames.of(code) : null;
    } catch (_err) {
      name = null;
    }
    return name && name !== code ? `${name} (${code})` : code;
  }

  function formatDate(iso) {
    if (!iso) return null;
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return String(iso);
    const text = when.toISOString();
    const day = text.slice(0, 10);
    const time = text.slice(11, 16);
    return time === "00:00" ? day : `${day} ${time} UTC`;
  }

  function score(value) {
    return typeof value === "number" ? value.toFixed(2) : "";
  }

  function orDash(value) {
    if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
    return value === null || value === undefined || value === "" ? "—" : String(value);
  }

  // --- Talking to the service -------------------------------------------------------------------

  function apiKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || "";
    } catch (_err) {
      return "";
    }
  }

  class ApiError extends Error {
    constructor(problem) {
      super(problem.title || "Error");
      this.problem = problem;
    }
  }

  let retryAfterKey = null;

  // fetch with the API key; a 401 opens the key panel and remembers how to try again.
  async function api(path, options, retry) {
    const init = Object.assign({}, options || {});
    const headers = new Headers(init.headers || {});
    const key = apiKey();
    if (key) headers.set("Authorization", `Bearer ${key}`);
    init.headers = headers;
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError({
        title: "The service did not answer",
        detail: `${err && err.message ? err.message : err}. Check that it is running and reachable.`,
      });
    }
    if (response.ok) return response;
    const problem = await readProblem(response);
    if (response.status === 401) {
      retryAfterKey = retry || null;
      askForKey(key ? "The service refused this API key." : "This service asks for an API key.");
    }
    throw new ApiError(problem);
  }

  async function readProblem(response) {
    const problem = { status: response.status, title: response.statusText || "Error" };
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      try {
        Object.assign(problem, await response.json());
      } catch (_err) {
        // not JSON after all: the status says enough
      }
    }
    if (!problem.detail) problem.detail = `The service answered ${response.status}.`;
    const retryAfter = response.headers.get("Retry-After");
    if (retryAfter) problem.retryAfter = retryAfter;
    return problem;
  }

  // Field errors may nest (rows -> 3 -> reason): each becomes "path: message".
  function flattenErrors(errors, prefix, out) {
    if (Array.isArray(errors)) {
      for (const item of errors) {
        if (item !== null && typeof item === "object") flattenErrors(item, prefix, out);
        else out.push([prefix, String(item)]);
      }
    } else if (errors !== null && typeof errors === "object") {
      for (const [key, value] of Object.entries(errors)) {
        const label = key === "_schema" ? prefix : prefix ? `${prefix} › ${key}` : key;
        flattenErrors(value, label, out);
      }
    } else if (errors !== undefined && errors !== null) {
      out.push([prefix, String(errors)]);
    }
    return out;
  }

  function problemBox(problem) {
    const heading = [problem.status, problem.title].filter(Boolean).join(" ");
    const box = el(
      "div",
      { class: "problem", role: "alert" },
      el("p", { class: "problem-title" }, heading || "Error"),
      problem.detail ? el("p", { class: "problem-detail" }, problem.detail) : null,
    );
    const fields = flattenErrors(problem.errors, "", []);
    if (fields.length) {
      box.append(
        el(
          "ul",
          { class: "problem-fields" },
          fields.map(([field, message]) =>
            el("li", {}, field ? el("strong", {}, `${field}: `) : null, message),
          ),
        ),
      );
    }
    if (problem.retryAfter) {
      box.append(el("p", {}, `Try again in ${problem.retryAfter} s.`));
    }
    if (problem.request_id) {
      box.append(el("p", { class: "hint" }, `Request id: ${problem.request_id}`));
    }
    return box;
  }

  function problemOf(err) {
    if (err instanceof ApiError) return err.problem;
    return { title: "Something went wrong in the page", detail: String(err && err.message) };
  }

  // --- API key ----------------------------------------------------------------------------------

  function askForKey(message) {
    const panel = $("apikey-panel");
    $("apikey-message").textContent =
      `${message} Paste a key: it is kept in this browser tab only (session storage) and sent ` +
      "as Authorization: Bearer.";
    show(panel, true);
    $("apikey").focus();
  }

  function setUpKeyPanel() {
    if (apiKey()) {
      show($("apikey-panel"), true);
      $("apikey-status").textContent = "An API key is in use in this tab.";
    }
    $("apikey-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("apikey").value.trim();
      if (!value) return;
      try {
        sessionStorage.setItem(KEY_STORAGE, value);
      } catch (_err) {
        $("apikey-status").textContent = "This browser does not keep the key (storage is off).";
        return;
      }
      $("apikey").value = "";
      $("apikey-status").textContent = "Key saved for this tab.";
      const retry = retryAfterKey;
      retryAfterKey = null;
      if (retry) retry();
      loadLists();
    });
    $("apikey-forget").addEventListener("click", () => {
      try {
        sessionStorage.removeItem(KEY_STORAGE);
      } catch (_err) {
        // nothing kept, nothing to forget
      }
      $("apikey-status").textContent = "Key forgotten.";
    });
  }

  // --- The loaded lists -------------------------------------------------------------------------

  async function loadLists() {
    const info = $("lists-info");
    try {
      const body = await (await api("/v1/lists")).json();
      const lists = body.lists || [];
      const parts = lists
        .filter((list) => list.status !== "retired")
        .map(
          (list) =>
            `${list.title || list.id} (${list.id}: ${list.entries} vessels, version ${list.version})`,
        );
      const retired = lists.filter((list) => list.status === "retired").map((list) => list.id);
      info.textContent =
        (parts.length ? `Screening against: ${parts.join("; ")}` : "") +
        (retired.length ? `. Retired, not screened against: ${retired.join(", ")}` : "");
    } catch (_err) {
      info.textContent = ""; // the screening itself will say what is wrong
    }
  }

  // --- One vessel -------------------------------------------------------------------------------

  let lastMatches = [];
  let screenController = null;

  function screenBody(form) {
    const body = {};
    for (const field of ["name", "imo", "mmsi", "call_sign", "flag", "owner"]) {
      const value = form.elements[field].value.trim();
      if (value) body[field] = value;
    }
    const windowText = form.elements.port_call_window_days.value.trim();
    if (windowText) body.port_call_window_days = Number(windowText);
    return body;
  }

  async function screenOne() {
    const form = $("screen-form");
    const status = $("result-status");
    const resultBody = $("result-body");
    const body = screenBody(form);
    if (!body.name && !body.imo && !body.mmsi) {
      clear(status).append(
        problemBox({
          title: "Nothing to screen",
          detail: "Give at least a name, an IMO number or an MMSI.",
        }),
      );
      clear(resultBody);
      $("f-name").focus();
      return;
    }
    if (screenController) screenController.abort();
    screenController = new AbortController();
    const button = $("screen-submit");
    button.disabled = true;
    clear(status).append(el("p", { class: "hint" }, "Screening…"));
    try {
      const response = await api(
        "/v1/screen",
        {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
          signal: screenController.signal,
        },
        screenOne,
      );
      renderScreening(await response.json());
    } catch (err) {
      if (err && err.name === "AbortError") return;
      clear(resultBody);
      clear(status).append(problemBox(problemOf(err)));
      show($("detail"), false);
    } finally {
      button.disabled = false;
    }
  }

  function renderScreening(answer) {
    const status = clear($("result-status"));
    const resultBody = clear($("result-body"));
    show($("detail"), false);
    lastMatches = answer.matches || [];
    const decision = answer.decision;
    const who = answer.query && answer.query.name ? answer.query.name : "the vessel";
    const count = lastMatches.length;
    const candidates = `${count} listed ship${count === 1 ? "" : "s"} returned`;
    status.append(
      el(
        "p",
        { class: `decision-banner decision-${decision}` },
        el("span", { class: "decision-word" }, `Decision: ${DECISION_TEXT[decision] || decision}`),
        ` — ${who}: ${candidates}.`,
      ),
    );

    if (answer.decision_reason) {
      status.append(el("p", { class: "decision-reason" }, answer.decision_reason));
    }

    const warnings = answer.warnings || [];
    if (warnings.length) {
      resultBody.append(
        el(
          "div",
          { class: "warnings" },
          el("p", { class: "warnings-title" }, "Warnings: part of the query was not understood"),
          el("ul", {}, warnings.map((text) => el("li", {}, text))),
        ),
      );
    }
    resultBody.append(queryEcho(answer.query || {}));
    if ((answer.risk_flags || []).length) {
      resultBody.append(
        el(
          "p",
          { class: "risk-line" },
          "Risk flags of the query: ",
          answer.risk_flags.map((code) => riskBadge(code)),
        ),
      );
    }
    if (count) {
      resultBody.append(matchesTable(lastMatches));
      resultBody.append(
        el("p", { class: "hint" }, "Select a row to see the ship's details and port calls."),
      );
    } else {
      resultBody.append(el("p", {}, "No listed ship scored high enough to be returned."));
    }
    if ((answer.party_matches || []).length) resultBody.append(partyTable(answer.party_matches));
    const lists = (answer.lists || []).map((list) => `${list.id} ${list.version}`).join(", ");
    resultBody.append(
      el(
        "p",
        { class: "hint meta" },
        `Screening ${answer.screening_id} at ${formatDate(answer.screened_at)}; lists: ${lists}.`,
      ),
    );
  }

  function queryEcho(query) {
    const parts = [];
    if (query.name_normalized) parts.push(`name ${query.name_normalized}`);
    if (query.imo) parts.push(`IMO ${query.imo}${query.imo_valid === false ? " (check digit fails)" : ""}`);
    if (query.mmsi) parts.push(`MMSI ${query.mmsi}${query.mmsi_flag ? ` (${query.mmsi_flag})` : ""}`);
    if (query.call_sign) parts.push(`call sign ${query.call_sign}`);
    if (query.flag) parts.push(`flag ${country(query.flag)}`);
    return el("p", { class: "hint echo" }, `Understood as: ${parts.join(", ") || "—"}.`);
  }

  function riskBadge(code) {
    return el("span", { class: "badge risk" }, riskLabel(code));
  }

  function matchesTable(matches) {
    const headers = ["Score", "Decision", "Name", "Matched name", "IMO", "Flag", "Lists", "Risk flags"];
    const table = el(
      "table",
      { class: "matches", id: "matches-table" },
      el("caption", {}, "Listed ships this vessel may be, strongest first"),
      el("thead", {}, el("tr", {}, headers.map((text) => el("th", { scope: "col" }, text)))),
    );
    const tbody = el("tbody");
    matches.forEach((match, position) => {
      const vessel = match.vessel || {};
      const button = el(
        "button",
        {
          type: "button",
          class: "row-button",
          "aria-controls": "detail",
          "aria-label": `Details of ${vessel.name || match.matched_name}`,
          "data-index": position,
        },
        vessel.name || match.matched_name,
      );
      const row = el(
        "tr",
        { class: `decision-row-${match.decision}`, "data-index": position },
        el("td", { class: "num" }, score(match.score)),
        el("td", {}, decisionBadge(match.decision)),
        el("th", { scope: "row" }, button),
        el("td", {}, match.matched_name),
        el("td", {}, orDash(vessel.imo)),
        el("td", {}, orDash(vessel.flags)),
        el("td", {}, orDash(match.lists && match.lists.length ? match.lists : [match.list])),
        el(
          "td",
          {},
          (match.risk_flags || []).length
            ? match.risk_flags.map((code) => riskBadge(code))
            : "none",
        ),
      );
      tbody.append(row);
    });
    table.append(tbody);
    // A click anywhere on a row selects it; the name in each row is a button for keyboards.
    tbody.addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-index]");
      if (!row) return;
      selectMatch(Number(row.dataset.index));
    });
    return el("div", { class: "table-wrap" }, table);
  }

  function partyTable(parties) {
    return el(
      "table",
      { class: "matches parties" },
      el("caption", {}, "Listed companies the owner may be"),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ["Score", "Decision", "Role", "Given", "Listed as", "List", "Programs"].map((text) =>
            el("th", { scope: "col" }, text),
          ),
        ),
      ),
      el(
        "tbody",
        {},
        parties.map((party) =>
          el(
            "tr",
            { class: `decision-row-${party.decision}` },
            el("td", { class: "num" }, score(party.score)),
            el("td", {}, decisionBadge(party.decision)),
            el("td", {}, party.role),
            el("th", { scope: "row" }, party.query_name),
            el("td", {}, party.matched_name),
            el("td", {}, party.list),
            el("td", {}, orDash(party.programs)),
          ),
        ),
      ),
    );
  }

  // --- One match in detail ----------------------------------------------------------------------

  let detailRequest = 0;

  function selectMatch(position) {
    const match = lastMatches[position];
    if (!match) return;
    document.querySelectorAll("#matches-table tbody tr").forEach((row) => {
      const selected = Number(row.dataset.index) === position;
      row.classList.toggle("selected", selected);
      const button = row.querySelector(".row-button");
      if (button) button.setAttribute("aria-expanded", selected ? "true" : "false");
    });
    const detail = $("detail");
    const body = clear($("detail-body"));
    const vessel = match.vessel || {};
    $("detail-heading").textContent = `Details: ${vessel.name || match.matched_name}`;
    body.append(
      el(
        "p",
        { class: `decision-banner decision-${match.decision}` },
        el("span", { class: "decision-word" }, DECISION_TEXT[match.decision] || match.decision),
        ` — score ${score(match.score)}, matched on “${match.matched_name}”`,
        match.explanation && match.explanation.matched_name_kind
          ? ` (${nameKind(match.explanation.matched_name_kind)})`
          : "",
        ".",
      ),
    );
    const columns = el("div", { class: "detail-columns" });
    columns.append(
      el("div", {}, el("h3", {}, "Vessel"), vesselFields(match, null)),
      el("div", {}, el("h3", {}, "Why it matched"), explanation(match.explanation || {})),
    );
    body.append(columns);
    body.append(el("h3", {}, "Risk"), riskDetails(match.risk_details || []));
    const history = el("div", { id: "history", "aria-live": "polite" });
    history.append(
      el("h3", {}, "Port calls"),
      el("p", { class: "hint" }, "Loading the whole history…"),
      timeline(match.port_calls || []),
    );
    body.append(history);
    show(detail, true);
    detail.focus(); // keyboard users land on what they asked for; the page scrolls to it
    loadVessel(match, columns, history);
  }

  function nameKind(kind) {
    return (
      { primary: "current name", aka: "alias", fka: "former name", nka: "new name" }[kind] || kind
    );
  }

  function fieldList(pairs) {
    return el(
      "dl",
      { class: "fields" },
      pairs.map(([term, value]) => [el("dt", {}, term), el("dd", {}, orDash(value))]),
    );
  }

  function vesselFields(match, full) {
    const vessel = full || match.vessel || {};
    const flags = (vessel.flags || []).map(country);
    const former = (vessel.former_flags || []).map(country);
    const names = full && full.names
      ? full.names.filter((n) => n.kind !== "primary").map((n) => `${n.name} (${nameKind(n.kind)})`)
      : [...(vessel.aliases || []), ...(vessel.former_names || []).map((n) => `${n} (former name)`)];
    const pairs = [
      ["Name", vessel.name],
      ["Other names", names],
      ["IMO", vessel.imo],
      ["MMSI", vessel.mmsi],
      ["Call sign", vessel.call_sign],
      ["Flag", flags],
      ["Former flags", former],
      ["Type", vessel.vessel_type],
      ["Built", vessel.build_year],
      ["Tonnage", vessel.tonnage],
      ["Gross registered tonnage", vessel.gross_registered_tonnage],
      ["Owner", vessel.owner],
      ["Programs", vessel.programs],
      ["Listed on", vessel.listed_on],
      ["Entity id", match.entity_id],
      ["Lists", match.lists && match.lists.length ? match.lists : [match.list]],
    ];
    if (full) {
      if (full.list) pairs.push(["List version", `${full.list.id} ${full.list.version}`]);
      if (full.remarks) pairs.push(["Remarks", full.remarks]);
    }
    return fieldList(pairs);
  }

  function explanation(exp) {
    const wrap = el("div");
    wrap.append(
      fieldList([
        ["Name similarity", typeof exp.name === "number" ? exp.name.toFixed(2) : exp.name],
        ["IMO", exp.imo],
        ["MMSI", exp.mmsi],
        ["Call sign", exp.call_sign],
        ["Flag", exp.flag],
      ]),
    );
    const notes = exp.notes || [];
    wrap.append(
      notes.length
        ? el("ul", { class: "notes" }, notes.map((note) => el("li", {}, note)))
        : el("p", { class: "hint" }, "No notes."),
    );
    return wrap;
  }

  function riskDetails(details) {
    if (!details.length) return el("p", {}, "No risk flags raised.");
    return el(
      "ul",
      { class: "risk-details" },
      details.map((item) => el("li", {}, riskBadge(item.code), " ", item.reason)),
    );
  }

  function timeline(calls, before) {
    const sorted = [...calls].sort((a, b) =>
      String(b.arrived_at).localeCompare(String(a.arrived_at)),
    );
    const wrap = el("div", { class: "timeline-wrap" });
    if (!sorted.length) {
      wrap.append(el("p", {}, "No port calls on record for this ship."));
    } else {
      wrap.append(
        el(
          "ol",
          { class: "timeline", "aria-label": "Port calls, newest first" },
          sorted.map((call) => timelineItem(call)),
        ),
      );
    }
    if (before) {
      wrap.append(el("p", { class: "hint" }, `${before} older call(s) on record, not shown.`));
    }
    return wrap;
  }

  function timelineItem(call) {
    const risks = call.risk || [];
    const arrived = formatDate(call.arrived_at);
    const departed = formatDate(call.departed_at);
    const when = departed ? `${arrived} → ${departed}` : `${arrived} (departure not known)`;
    const item = el(
      "li",
      { class: risks.length ? "call risky" : "call", "data-locode": call.locode || "" },
      el("p", { class: "call-when" }, el("time", { datetime: call.arrived_at }, when)),
      el(
        "p",
        { class: "call-port" },
        el("strong", {}, call.port),
        call.locode ? el("span", { class: "locode" }, ` ${call.locode}`) : null,
        call.country ? ` — ${country(call.country)}` : "",
      ),
    );
    if (risks.length) {
      item.append(
        el(
          "p",
          { class: "call-risk" },
          el("span", { class: "visually-hidden" }, "Risky call: "),
          risks.map((code) => el("span", { class: "badge risk" }, `⚠ ${riskLabel(code)}`)),
        ),
      );
    }
    if (call.note) item.append(el("p", { class: "call-note" }, call.note));
    const confidence =
      typeof call.confidence === "number" ? `; confidence ${Math.round(call.confidence * 100)}%` : "";
    item.append(el("p", { class: "call-source hint" }, `Source: ${call.source}${confidence}`));
    return item;
  }

  async function loadVessel(match, columns, history) {
    const ticket = ++detailRequest;
    try {
      const response = await api(`/v1/vessels/${encodeURIComponent(match.entity_id)}`, {
        headers: { Accept: "application/json" },
      });
      const full = await response.json();
      if (ticket !== detailRequest) return;
      columns.firstChild.replaceChildren(el("h3", {}, "Vessel"), vesselFields(match, full));
      const windowed = (match.port_calls || []).length;
      history.replaceChildren(
        el("h3", {}, "Port calls"),
        el(
          "p",
          { class: "hint" },
          `The whole history on record: ${full.port_calls.length} call(s), newest first ` +
            `(${windowed} in the screening's window). Calls at risky ports are marked ⚠.`,
        ),
        timeline(full.port_calls || [], full.port_calls_before_window),
      );
    } catch (err) {
      if (ticket !== detailRequest) return;
      history.replaceChildren(
        el("h3", {}, "Port calls"),
        el(
          "p",
          { class: "hint" },
          "The whole history could not be read; these are the calls in the screening's window.",
        ),
        problemBox(problemOf(err)),
        timeline(match.port_calls || [], match.port_calls_before_window),
      );
    }
  }

  // --- A CSV file -------------------------------------------------------------------------------

  // Counts CSV records in bytes as they come: a line break ends a record unless it is inside
  // quotes. Only the ASCII bytes matter, so any ASCII-compatible encoding counts right.
  class RecordCounter {
    constructor() {
      this.records = 0;
      this.quoted = false;
      this.content = false;
    }

    feed(bytes) {
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (b === 0x22) {
          this.quoted = !this.quoted;
          this.content = true;
        } else if (b === 0x0a && !this.quoted) {
          if (this.content) this.records++;
          this.content = false;
        } else if (b !== 0x0d && b !== 0x20 && b !== 0x09) {
          this.content = true;
        }
      }
    }

    finish() {
      if (this.content) this.records++;
      this.content = false;
      return this.records;
    }
  }

  let csvController = null;
  let downloadUrl = null;

  function parseCsv(text) {
    const rows = [];
    let row = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i++;
          } else quoted = false;
        } else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") {
        row.push(cell);
        cell = "";
      } else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(cell);
        rows.push(row);
        row = [];
        cell = "";
      } else cell += c;
    }
    if (cell !== "" || row.length) {
      row.push(cell);
      rows.push(row);
    }
    return rows;
  }

  function setProgress(text, value, max) {
    const bar = $("csv-progress");
    show(bar, true);
    if (max) {
      bar.max = max;
      bar.value = Math.min(value, max);
    } else {
      bar.removeAttribute("value"); // indeterminate
    }
    $("csv-progress-text").textContent = text;
  }

  async function uploadCsv() {
    const input = $("csv-file");
    const file = input.files && input.files[0];
    const errorBox = clear($("csv-error"));
    clear($("csv-summary"));
    show($("csv-download-wrap"), false);
    if (!file) {
      errorBox.append(problemBox({ title: "No file", detail: "Choose a CSV file to upload." }));
      input.focus();
      return;
    }
    const inputCounter = new RecordCounter();
    inputCounter.feed(new Uint8Array(await file.arrayBuffer()));
    const expected = Math.max(inputCounter.finish() - 1, 0);

    if (csvController) csvController.abort();
    const controller = new AbortController();
    csvController = controller;
    const submit = $("csv-submit");
    const cancel = $("csv-cancel");
    submit.disabled = true;
    show(cancel, true);
    setProgress(`Uploading ${file.name} (${formatBytes(file.size)})…`, 0, 0);
    try {
      const form = new FormData();
      form.append("file", file, file.name);
      const response = await api(
        "/v1/screen/csv",
        { method: "POST", body: form, headers: { Accept: "text/csv" }, signal: controller.signal },
        uploadCsv,
      );
      const reader = response.body.getReader();
      const counter = new RecordCounter();
      const chunks = [];
      let received = 0;
      setProgress(`Uploaded; screening ${expected} row(s)…`, 0, expected);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        counter.feed(value);
        const rows = Math.max(counter.records - 1, 0);
        setProgress(
          `Screened ${rows} of ${expected} row(s) (${formatBytes(received)} received)…`,
          rows,
          expected,
        );
      }
      const rows = Math.max(counter.finish() - 1, 0);
      setProgress(`Done: ${rows} row(s) screened.`, 1, 1);
      const blob = new Blob(chunks, { type: "text/csv" });
      if (downloadUrl) URL.revokeObjectURL(downloadUrl);
      downloadUrl = URL.createObjectURL(blob);
      const link = $("csv-download");
      link.href = downloadUrl;
      link.setAttribute("download", RESULTS_FILE);
      show($("csv-download-wrap"), true);
      renderCsvSummary(await blob.text());
    } catch (err) {
      if (err && err.name === "AbortError") {
        setProgress("Cancelled.", 0, 1);
        return;
      }
      show($("csv-progress"), false);
      $("csv-progress-text").textContent = "The file was not screened.";
      errorBox.append(problemBox(problemOf(err)));
    } finally {
      if (csvController === controller) csvController = null;
      submit.disabled = false;
      show(cancel, false);
    }
  }

  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  function renderCsvSummary(text) {
    const rows = parseCsv(text.replace(/^\ufeff/, ""));
    const summary = clear($("csv-summary"));
    if (rows.length < 1) return;
    const header = rows[0];
    const data = rows.slice(1).filter((row) => row.some((cell) => cell !== ""));
    const col = (name) => header.indexOf(name);
    const decisionAt = col("decision");
    const errorAt = col("error");
    const counts = { match: 0, review: 0, clear: 0, error: 0 };
    for (const row of data) {
      if (errorAt >= 0 && row[errorAt]) counts.error++;
      else if (row[decisionAt] in counts) counts[row[decisionAt]]++;
    }
    summary.append(
      el(
        "p",
        { class: "csv-counts" },
        decisionBadge("match"), ` ${counts.match}  `,
        decisionBadge("review"), ` ${counts.review}  `,
        decisionBadge("clear"), ` ${counts.clear}`,
        counts.error ? ` — ${counts.error} row(s) with an error` : "",
      ),
    );
    // Row, the first input column, the decision, then the answer's columns that say something.
    const columns = [
      ["Row", 0],
      [header[1] || "Input", 1],
      ["Decision", decisionAt],
      ["Best match", col("match_name")],
      ["IMO", col("match_imo")],
      ["Score", col("match_score")],
      ["Risk flags", col("risk_flags")],
      ["Error", errorAt],
    ].filter(([, at], i) => i < 3 || (at >= 0 && data.some((row) => row[at])));
    const labels = columns.map(([label]) => label);
    const indexes = columns.map(([, at]) => at);
    const table = el(
      "table",
      { class: "matches csv-preview", id: "csv-preview" },
      el(
        "caption",
        {},
        data.length > PREVIEW_ROWS
          ? `The first ${PREVIEW_ROWS} of ${data.length} rows (the download has them all)`
          : "The screened rows",
      ),
      el("thead", {}, el("tr", {}, labels.map((label) => el("th", { scope: "col" }, label)))),
      el(
        "tbody",
        {},
        data.slice(0, PREVIEW_ROWS).map((row) =>
          el(
            "tr",
            { class: `decision-row-${row[decisionAt] || "error"}` },
            indexes.map((at, i) => {
              const value = at >= 0 ? row[at] || "" : "";
              if (i === 2) return el("td", {}, value ? decisionBadge(value) : "—");
              if (i === 1) return el("th", { scope: "row" }, value);
              return el("td", {}, value);
            }),
          ),
        ),
      ),
    );
    summary.append(el("div", { class: "table-wrap" }, table));
  }

  // --- Wiring -----------------------------------------------------------------------------------

  function start() {
    setUpKeyPanel();
    $("screen-form").addEventListener("submit", (event) => {
      event.preventDefault();
      screenOne();
    });
    $("csv-form").addEventListener("submit", (event) => {
      event.preventDefault();
      uploadCsv();
    });
    $("csv-cancel").addEventListener("click", () => {
      if (csvController) csvController.abort();
    });
    loadLists();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
