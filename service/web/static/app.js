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
    ais_gap: "dark at sea",
    ship_to_ship: "meeting at sea",
    identity_change: "identity change",
    position_jump: "position jump",
    mmsi_flag_mismatch: "MMSI names another flag",
  };
  const DECISION_TEXT = { match: "Match", review: "Review", clear: "Clear" };

  const $ = (id) => document.getElementById(id);

  // --- Building the page from data, as text only ------------------------------------------------

  function fill(node, attrs, children) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function el(tag, attrs, ...children) {
    return fill(document.createElement(tag), attrs, children);
  }

  // The SVG namespace as the HTML parser gives it to <svg>: the page's files may hold nothing
  // that looks like an address (tests/web/test_ui.py), and the namespace name is one.
  const SVG_NS = new DOMParser().parseFromString("<svg></svg>", "text/html").body
    .firstElementChild.namespaceURI;

  function svg(tag, attrs, ...children) {
    return fill(document.createElementNS(SVG_NS, tag), attrs, children);
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
        el("p", { class: "hint" }, "Select a row to see the ship's details, AIS track and port calls."),
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
    const track = el(
      "div",
      { id: "track", class: "track", "aria-busy": "true" },
      trackHeading(),
      el("p", { class: "hint" }, "Loading…"),
    );
    body.append(track);
    const history = el("div", { id: "history", "aria-live": "polite" });
    history.append(
      el("h3", {}, "Port calls"),
      el("p", { class: "hint" }, "Loading the whole history…"),
      timeline(match.port_calls || []),
    );
    body.append(history);
    show(detail, true);
    detail.focus(); // keyboard users land on what they asked for; the page scrolls to it
    loadVessel(match, columns, history, track);
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

  async function loadVessel(match, columns, history, track) {
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
      loadTrack(match, full, track, ticket);
    } catch (err) {
      if (ticket !== detailRequest) return;
      track.removeAttribute("aria-busy");
      track.replaceChildren(
        trackHeading(),
        el("p", { class: "hint" }, "Not shown: the ship's record could not be read."),
      );
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

  // --- A match's AIS track ----------------------------------------------------------------------

  // Enough points to show the route at the map's size; the service thins a longer track evenly.
  const TRACK_LIMIT = 2000;
  // Reports further apart than this are not joined by a line: the ship was not seen in between.
  const TRACK_BREAK_HOURS = 6;
  // The service's default sanctioned countries (service/data/sanctioned_ports.json), used only
  // for an AIS port call at a port the service has given no judgement of its own.
  const SANCTIONED_COUNTRIES = new Set(["KP", "IR", "SY", "CU"]);
  const MAP_WIDTH = 720;
  const MAP_MIN_HEIGHT = 300;
  const MAP_MAX_HEIGHT = 560;
  const MAP_PAD = 28;
  const GRID_STEPS = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60];
  const EVENT_KINDS = {
    port_call: "Port call",
    ais_gap: "Dark gap",
    ship_to_ship: "Meeting at sea",
    identity_change: "Identity change",
    position_jump: "Position jump",
  };
  const IDENTITY_FIELDS = { name: "name", imo: "IMO", call_sign: "call sign" };

  function trackHeading() {
    return el("h3", {}, "AIS track");
  }

  async function loadTrack(match, full, section, ticket) {
    const summary = full.track;
    const events = sortedEvents(full.events || []);
    const risks = historyRisks(full.port_calls || []);
    if (!summary || !(summary.points > 0)) {
      section.removeAttribute("aria-busy");
      section.replaceChildren(
        trackHeading(),
        el(
          "p",
          { id: "track-none", class: "track-none" },
          "No AIS positions on record for this ship.",
        ),
        events.length ? eventList(events, risks, false) : null,
      );
      return;
    }
    const query = new URLSearchParams({ limit: String(TRACK_LIMIT) });
    if (summary.first) query.set("from", summary.first);
    if (summary.last) query.set("to", summary.last);
    try {
      const response = await api(
        `/v1/vessels/${encodeURIComponent(match.entity_id)}/track?${query}`,
        { headers: { Accept: "application/json" } },
      );
      const answer = await response.json();
      if (ticket !== detailRequest) return;
      const all = mergeEvents(events, answer.events || []);
      const name = full.name || (match.vessel || {}).name || match.matched_name || "the ship";
      section.replaceChildren(
        trackHeading(),
        trackSummary(answer, summary),
        trackLayout(name, answer, all, risks),
      );
    } catch (err) {
      if (ticket !== detailRequest) return;
      section.replaceChildren(
        trackHeading(),
        el("p", { class: "hint" }, "The track could not be read; the ship's AIS events follow."),
        problemBox(problemOf(err)),
        events.length ? eventList(events, risks, false) : null,
      );
    } finally {
      if (ticket === detailRequest) section.removeAttribute("aria-busy");
    }
  }

  function moment(iso) {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? Infinity : ms;
  }

  function sortedEvents(events) {
    return [...events].sort(
      (a, b) =>
        moment(a.start) - moment(b.start) ||
        moment(a.end) - moment(b.end) ||
        String(a.kind).localeCompare(String(b.kind)),
    );
  }

  // The vessel's events and the track answer's (those within its range) are the same objects;
  // either may lack some, so both are kept once each.
  function mergeEvents(...lists) {
    const seen = new Map();
    for (const event of lists.flat()) {
      const key = `${event.kind}|${event.mmsi}|${moment(event.start)}|${moment(event.end)}`;
      if (!seen.has(key)) seen.set(key, event);
    }
    return sortedEvents([...seen.values()]);
  }

  // The risk codes the service gave its own port calls, by LOCODE: its policy, not the page's.
  function historyRisks(calls) {
    const byLocode = new Map();
    for (const call of calls) {
      if (call.locode && (call.risk || []).length) {
        byLocode.set(String(call.locode).toUpperCase(), call.risk);
      }
    }
    return byLocode;
  }

  function callRisks(event, risks) {
    const evidence = event.evidence || {};
    const own = event.risk || evidence.risk;
    if (Array.isArray(own)) return own;
    const locode = portLocode(event);
    if (locode && risks.has(locode)) return risks.get(locode);
    const where = String(evidence.country || (locode ? locode.slice(0, 2) : "")).toUpperCase();
    return SANCTIONED_COUNTRIES.has(where) ? ["sanctioned_jurisdiction"] : [];
  }

  // --- What an event's evidence says, each field optional --------------------------------------

  function isNumber(value) {
    return typeof value === "number" && Number.isFinite(value);
  }

  function place(thing) {
    if (!thing || !isNumber(thing.lat) || !isNumber(thing.lon)) return null;
    return { lat: thing.lat, lon: thing.lon, at: thing.at || null };
  }

  function portLocode(event) {
    const locode = (event.evidence || {}).locode;
    return locode ? String(locode).toUpperCase() : null;
  }

  function portName(event) {
    const evidence = event.evidence || {};
    return evidence.port || evidence.port_name || evidence.name || null;
  }

  function portLabel(event) {
    const name = portName(event);
    const locode = portLocode(event);
    if (name && locode) return `${name} (${locode})`;
    return name || locode || "an unnamed port";
  }

  function gapEnds(event) {
    const evidence = event.evidence || {};
    return [
      place(evidence.from) || place(evidence.vanished) || place(event),
      place(evidence.to) || place(evidence.reappeared),
    ];
  }

  function otherShip(event) {
    const evidence = event.evidence || {};
    const other = evidence.other || {};
    return {
      name: other.name || evidence.other_name || null,
      mmsi: other.mmsi || evidence.other_mmsi || null,
      imo: other.imo || evidence.other_imo || null,
    };
  }

  function otherShort(other) {
    if (other.name) return other.name;
    if (other.mmsi) return `MMSI ${other.mmsi}`;
    if (other.imo) return `IMO ${other.imo}`;
    return "another ship";
  }

  function otherLong(other) {
    const ids = [other.mmsi ? `MMSI ${other.mmsi}` : null, other.imo ? `IMO ${other.imo}` : null];
    const known = ids.filter(Boolean);
    if (!other.name) return known.length ? `a ship (${known.join(", ")})` : "another ship";
    return known.length ? `${other.name} (${known.join(", ")})` : other.name;
  }

  function hoursOf(event) {
    if (isNumber(event.hours)) return event.hours;
    const start = Date.parse(event.start);
    const end = Date.parse(event.end);
    return Number.isFinite(start) && Number.isFinite(end) ? (end - start) / 3.6e6 : null;
  }

  function duration(hours) {
    if (!isNumber(hours)) return null;
    if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
    if (hours < 10) return `${Math.round(hours * 10) / 10} h`;
    if (hours < 72) return `${Math.round(hours)} h`;
    return `${Math.round(hours)} h (${Math.round(hours / 2.4) / 10} days)`;
  }

  function miles(nm) {
    if (!isNumber(nm)) return null;
    return `${nm < 10 ? Math.round(nm * 10) / 10 : Math.round(nm).toLocaleString("en")} nm`;
  }

  function seconds(value) {
    if (!isNumber(value)) return null;
    if (value < 120) return `${Math.round(value)} s`;
    return duration(value / 3600);
  }

  function portOfReach(port) {
    if (typeof port === "string") return port;
    if (!port || typeof port !== "object") return null;
    const name = port.name || port.port_name || port.port;
    if (name && port.locode) return `${name} (${port.locode})`;
    return name || port.locode || null;
  }

  // One event in plain words; times are UTC, as everywhere on the page.
  function eventSentence(event) {
    const evidence = event.evidence || {};
    const from = formatDate(event.start) || "an unknown time";
    const to = formatDate(event.end) || "an unknown time";
    const long = duration(hoursOf(event));
    switch (event.kind) {
      case "port_call": {
        const where = evidence.country ? `, ${country(evidence.country)}` : "";
        const when = evidence.still_in_port_at_track_end
          ? `from ${from}, still there when the track ends`
          : `from ${from} to ${to}`;
        return `Called at ${portLabel(event)}${where} ${when}${long ? ` (${long})` : ""}.`;
      }
      case "ais_gap": {
        const apart = miles(evidence.distance_nm);
        let text = `Dark for ${long || "a while"} at sea between ${from} and ${to}`;
        text += apart ? `, ${apart} apart.` : ".";
        const reach = (evidence.ports_in_reach || []).map(portOfReach).filter(Boolean);
        const more = Math.max(
          (isNumber(evidence.ports_in_reach_count) ? evidence.ports_in_reach_count : 0) - 3,
          reach.length - 3,
          0,
        );
        if (reach.length) {
          text += ` Time enough to call unseen at ${reach.slice(0, 3).join(", ")}`;
          text += more ? ` or ${more} other port(s).` : ".";
        } else if (evidence.port_call_could_fit === true) {
          text += " Time enough to call at a port unseen.";
        }
        return text;
      }
      case "ship_to_ship":
        return (
          `Alongside ${otherLong(otherShip(event))} for ${long || "a while"} at sea, ` +
          `from ${from} to ${to}.`
        );
      case "position_jump": {
        const far = miles(evidence.distance_nm);
        const quick = seconds(evidence.seconds);
        const knots = evidence.implied_speed_kn;
        const speed = isNumber(knots)
          ? ` (${Math.round(knots).toLocaleString("en")} kn, faster than any ship)`
          : "";
        let text = `Position jumped${far ? ` ${far}` : ""}${quick ? ` in ${quick}` : ""}${speed}`;
        text += ` at ${from}`;
        if (isNumber(evidence.jumps) && evidence.jumps > 1) {
          text += `, ${evidence.jumps} jumps in all`;
        }
        text += evidence.returned === true ? ", then back where it was: a false position." : ".";
        return text;
      }
      case "identity_change": {
        if (evidence.change === "imo_shared") {
          const others = (evidence.other_mmsis || [])
            .map((other) => (typeof other === "object" && other ? other.mmsi : other))
            .filter(Boolean);
          const imo = evidence.imo ? `IMO ${evidence.imo}` : "its IMO number";
          const also = others.length ? `, also broadcast by MMSI ${others.join(", ")}` : "";
          const together = (evidence.simultaneous_with || []).length ? ", at the same time" : "";
          return `Broadcast ${imo} from ${from} to ${to}${also}${together}.`;
        }
        const changes = Object.entries(evidence.changes || {}).map(([field, change]) => {
          const before = change && (change.from ?? change.before);
          const after = change && (change.to ?? change.after);
          return `${IDENTITY_FIELDS[field] || field} ${orDash(before)} → ${orDash(after)}`;
        });
        const what = changes.length ? `: ${changes.join(", ")}` : "";
        return `Changed the identity it broadcasts between ${from} and ${to}${what}.`;
      }
      default: {
        const kind = String(event.kind || "event").replace(/_/g, " ");
        return `${kind.charAt(0).toUpperCase()}${kind.slice(1)} from ${from} to ${to}.`;
      }
    }
  }

  function eventList(events, risks, severalShips) {
    return el(
      "ol",
      { id: "track-events", class: "track-events", "aria-label": "AIS events, oldest first" },
      events.map((event) => {
        const called = event.kind === "port_call" ? callRisks(event, risks) : [];
        const source = [
          severalShips && event.mmsi ? `MMSI ${event.mmsi}` : null,
          event.source ? `Source: ${event.source}` : null,
        ].filter(Boolean);
        return el(
          "li",
          {
            class: called.length ? "track-event risky" : "track-event",
            "data-kind": event.kind,
            "data-start": event.start,
            "data-locode": portLocode(event),
          },
          el(
            "p",
            { class: "event-head" },
            el("span", { class: "event-kind" }, EVENT_KINDS[event.kind] || event.kind),
            " ",
            el("time", { datetime: event.start }, formatDate(event.start)),
          ),
          el("p", { class: "event-text" }, eventSentence(event)),
          called.length
            ? el(
                "p",
                { class: "call-risk" },
                called.map((code) => el("span", { class: "badge risk" }, `⚠ ${riskLabel(code)}`)),
              )
            : null,
          source.length ? el("p", { class: "hint" }, source.join(" · ")) : null,
        );
      }),
    );
  }

  function trackSummary(answer, summary) {
    const shown = (answer.points || []).length;
    const total = isNumber(answer.total) ? answer.total : summary.points;
    const mmsis = answer.mmsis || summary.mmsis || [];
    const first = formatDate(summary.first || answer.from);
    const last = formatDate(summary.last || answer.to);
    let text = `${total.toLocaleString("en")} AIS position(s) from ${first} to ${last}`;
    if (mmsis.length) text += `, broadcast as MMSI ${mmsis.join(", ")}`;
    text += ".";
    if (answer.downsampled) {
      const drawn = shown.toLocaleString("en");
      text += ` The map draws ${drawn} of them, evenly spaced along the track.`;
    }
    return el("p", { id: "track-summary", class: "hint" }, text);
  }

  function trackLayout(name, answer, events, risks) {
    const severalShips = (answer.mmsis || []).length > 1;
    const points = (answer.points || []).filter((p) => isNumber(p.lat) && isNumber(p.lon));
    const side = el(
      "div",
      { class: "track-side" },
      el("h4", {}, "What the AIS shows, oldest first"),
      events.length
        ? eventList(events, risks, severalShips)
        : el("p", { class: "hint" }, "No port calls, gaps, meetings or jumps found in the track."),
    );
    if (!points.length) {
      return el(
        "div",
        { class: "track-layout" },
        el("p", { class: "hint" }, "No positions came back for the track's time range."),
        side,
      );
    }
    return el("div", { class: "track-layout" }, trackFigure(name, points, events, risks), side);
  }

  // --- The map: an equirectangular projection fitted to the track -------------------------------

  function niceStep(span) {
    return GRID_STEPS.find((step) => span / step <= 6) || GRID_STEPS[GRID_STEPS.length - 1];
  }

  function decimals(step) {
    for (let places = 0; places < 4; places++) {
      if (Math.abs(Number(step.toFixed(places)) - step) < 1e-9) return places;
    }
    return 3;
  }

  function degrees(value, places, positive, negative) {
    const rounded = Math.abs(value).toFixed(places);
    if (Number(rounded) === 0 || Number(rounded) === 180) return `${Number(rounded)}°`;
    return `${rounded}°${value > 0 ? positive : negative}`;
  }

  // Places a map shows for each event, beside the track itself.
  function eventPlaces(event) {
    if (event.kind === "ais_gap") return gapEnds(event).filter(Boolean);
    if (event.kind === "position_jump") {
      const evidence = event.evidence || {};
      return [place(evidence.from), place(evidence.to), place(event)].filter(Boolean);
    }
    if (event.kind === "port_call") {
      const evidence = event.evidence || {};
      return [place(event) || place({ lat: evidence.port_lat, lon: evidence.port_lon })].filter(
        Boolean,
      );
    }
    return [place(event)].filter(Boolean);
  }

  function fitProjection(places) {
    // A track across the antimeridian is drawn in 0..360° so that it stays in one piece.
    const raw = places.map((p) => p.lon);
    const across = Math.max(...raw) - Math.min(...raw) > 180;
    const lonOf = (lon) => (across && lon < 0 ? lon + 360 : lon);
    const lats = places.map((p) => p.lat);
    const lons = places.map((p) => lonOf(p.lon));
    let [south, north] = [Math.min(...lats), Math.max(...lats)];
    let [west, east] = [Math.min(...lons), Math.max(...lons)];
    const margin = (low, high) => Math.max((high - low) * 0.08, 0.1);
    const latMargin = margin(south, north);
    const lonMargin = margin(west, east);
    south = Math.max(south - latMargin, -89);
    north = Math.min(north + latMargin, 89);
    west -= lonMargin;
    east += lonMargin;
    const cos = Math.max(Math.cos((((south + north) / 2) * Math.PI) / 180), 0.05);
    const spanX = (east - west) * cos;
    const spanY = north - south;
    const width = MAP_WIDTH;
    const fitted = ((width - 2 * MAP_PAD) * spanY) / spanX + 2 * MAP_PAD;
    const height = Math.round(Math.min(Math.max(fitted, MAP_MIN_HEIGHT), MAP_MAX_HEIGHT));
    const scale = Math.min((width - 2 * MAP_PAD) / spanX, (height - 2 * MAP_PAD) / spanY);
    const offsetX = (width - spanX * scale) / 2;
    const offsetY = (height - spanY * scale) / 2;
    const x = (lon) => offsetX + (lonOf(lon) - west) * cos * scale;
    const y = (lat) => offsetY + (north - lat) * scale;
    return {
      width,
      height,
      x: (lon) => Math.round(x(lon) * 10) / 10,
      y: (lat) => Math.round(y(lat) * 10) / 10,
      // What the whole picture covers, for the graticule (unwrapped longitudes).
      west: west - offsetX / (cos * scale),
      east: west + (width - offsetX) / (cos * scale),
      north: north + offsetY / scale,
      south: north - (height - offsetY) / scale,
      gridX: (lon) => offsetX + (lon - west) * cos * scale,
    };
  }

  function graticule(map) {
    const group = svg("g", { class: "graticule", "aria-hidden": "true" });
    const latStep = niceStep(map.north - map.south);
    const lonStep = niceStep(map.east - map.west);
    const latPlaces = decimals(latStep);
    const lonPlaces = decimals(lonStep);
    for (let i = Math.ceil(map.south / latStep); i * latStep <= map.north; i++) {
      const lat = i * latStep;
      const y = map.y(lat);
      if (y < 2 || y > map.height - 2) continue;
      group.append(
        svg("line", { x1: 0, y1: y, x2: map.width, y2: y }),
        svg("text", { x: 4, y: y - 3, class: "grid-label" }, degrees(lat, latPlaces, "N", "S")),
      );
    }
    for (let i = Math.ceil(map.west / lonStep); i * lonStep <= map.east; i++) {
      const lon = i * lonStep;
      const x = Math.round(map.gridX(lon) * 10) / 10;
      if (x < 2 || x > map.width - 2) continue;
      const shown = ((((lon + 180) % 360) + 360) % 360) - 180;
      group.append(
        svg("line", { x1: x, y1: 0, x2: x, y2: map.height }),
        svg(
          "text",
          { x: x + 3, y: map.height - 5, class: "grid-label" },
          degrees(shown, lonPlaces, "E", "W"),
        ),
      );
    }
    return group;
  }

  // Polylines of the track, broken where the ship went unseen for a while or the MMSI changes.
  function trackLines(map, points) {
    const group = svg("g", { class: "track-lines" });
    const breakMs = TRACK_BREAK_HOURS * 3.6e6;
    let run = [];
    const flush = () => {
      if (run.length === 1) {
        group.append(
          svg("circle", {
            class: "track-dot",
            cx: map.x(run[0].lon),
            cy: map.y(run[0].lat),
            r: 2.5,
            "data-mmsi": run[0].mmsi,
          }),
        );
      } else if (run.length > 1) {
        group.append(
          svg("polyline", {
            class: "track-line",
            points: run.map((p) => `${map.x(p.lon)},${map.y(p.lat)}`).join(" "),
            "data-mmsi": run[0].mmsi,
          }),
        );
      }
      run = [];
    };
    let previous = null;
    for (const point of points) {
      if (previous) {
        const gap = Date.parse(point.t) - Date.parse(previous.t);
        if (!(gap <= breakMs) || point.mmsi !== previous.mmsi) flush();
      }
      run.push(point);
      previous = point;
    }
    flush();
    return group;
  }

  function markerLabel(map, x, text) {
    const right = x > map.width * 0.72;
    return svg(
      "text",
      { class: "marker-label", x: right ? -10 : 10, y: 4, "text-anchor": right ? "end" : "start" },
      text,
    );
  }

  function marker(map, at, kind, attrs, shape, label, title) {
    const x = map.x(at.lon);
    const y = map.y(at.lat);
    return svg(
      "g",
      Object.assign(
        { class: "event-marker", "data-kind": kind, transform: `translate(${x} ${y})` },
        attrs,
      ),
      svg("title", {}, title),
      shape,
      label ? markerLabel(map, x, label) : null,
    );
  }

  function eventMarks(map, events, risks) {
    const lines = svg("g", { class: "event-lines" });
    const marks = svg("g", { class: "event-markers" });
    // One marker per port, however often the ship called there.
    const ports = new Map();
    for (const event of events) {
      if (event.kind !== "port_call") continue;
      const at = eventPlaces(event)[0];
      if (!at) continue;
      const key = portLocode(event) || `${at.lat.toFixed(2)},${at.lon.toFixed(2)}`;
      if (!ports.has(key)) ports.set(key, { at, calls: [] });
      ports.get(key).calls.push(event);
    }
    for (const { at, calls } of ports.values()) {
      const first = calls[0];
      const codes = [...new Set(calls.flatMap((call) => callRisks(call, risks)))];
      const times = calls.length > 1 ? ` ×${calls.length}` : "";
      const label = `${portName(first) ? portLabel(first) : portLocode(first) || "port"}${times}`;
      const words = calls.map(eventSentence).join(" ");
      marks.append(
        marker(
          map,
          at,
          "port_call",
          {
            class: codes.length ? "event-marker risky" : "event-marker",
            "data-locode": portLocode(first),
            "data-risk": codes.join(" ") || null,
          },
          svg("circle", { class: "marker-shape", r: 6 }),
          label,
          codes.length ? `${words} Risk: ${codes.map(riskLabel).join(", ")}.` : words,
        ),
      );
    }
    for (const event of events) {
      const words = eventSentence(event);
      if (event.kind === "ais_gap") {
        const [from, to] = gapEnds(event);
        if (!from || !to) continue;
        const line = svg(
          "line",
          {
            class: "gap-line",
            "data-kind": "ais_gap",
            "data-start": event.start,
            x1: map.x(from.lon),
            y1: map.y(from.lat),
            x2: map.x(to.lon),
            y2: map.y(to.lat),
          },
          svg("title", {}, words),
        );
        const long = duration(hoursOf(event));
        const midX = (map.x(from.lon) + map.x(to.lon)) / 2;
        const midY = (map.y(from.lat) + map.y(to.lat)) / 2;
        lines.append(
          line,
          svg("circle", { class: "gap-end", cx: map.x(from.lon), cy: map.y(from.lat), r: 3.5 }),
          svg("circle", { class: "gap-end", cx: map.x(to.lon), cy: map.y(to.lat), r: 3.5 }),
          long
            ? svg("text", { class: "gap-label", x: midX + 6, y: midY - 6 }, `dark ${long}`)
            : null,
        );
      } else if (event.kind === "ship_to_ship") {
        const at = place(event);
        if (!at) continue;
        const other = otherShip(event);
        marks.append(
          marker(
            map,
            at,
            "ship_to_ship",
            { "data-other-mmsi": other.mmsi, "data-start": event.start },
            svg("path", { class: "marker-shape", d: "M0,-8 L8,0 L0,8 L-8,0 Z" }),
            `meets ${otherShort(other)}`,
            words,
          ),
        );
      } else if (event.kind === "position_jump") {
        const evidence = event.evidence || {};
        const from = place(evidence.from);
        const to = place(evidence.to) || place(event);
        if (from && to) {
          lines.append(
            svg(
              "line",
              {
                class: "jump-line",
                "data-kind": "position_jump",
                x1: map.x(from.lon),
                y1: map.y(from.lat),
                x2: map.x(to.lon),
                y2: map.y(to.lat),
              },
              svg("title", {}, words),
            ),
          );
        }
        if (to) {
          marks.append(
            marker(
              map,
              to,
              "position_jump",
              { "data-start": event.start },
              svg("path", { class: "marker-shape", d: "M0,-8 L7,5 L-7,5 Z" }),
              "jump",
              words,
            ),
          );
        }
      }
    }
    return [lines, marks];
  }

  function mapDescription(name, points, events) {
    const count = (kind) => events.filter((event) => event.kind === kind).length;
    const ports = [...new Set(events.filter((e) => e.kind === "port_call").map(portLabel))];
    const meetings = events.filter((e) => e.kind === "ship_to_ship");
    const others = [...new Set(meetings.map((e) => otherShort(otherShip(e))))];
    const first = formatDate(points[0].t);
    const last = formatDate(points[points.length - 1].t);
    const parts = [`${points.length.toLocaleString("en")} positions from ${first} to ${last}`];
    if (ports.length) parts.push(`port calls at ${ports.join(", ")}`);
    if (count("ais_gap")) parts.push(`${count("ais_gap")} dark gap(s), dashed`);
    if (others.length) parts.push(`meetings with ${others.join(", ")}`);
    if (count("position_jump")) parts.push(`${count("position_jump")} position jump(s)`);
    const what = parts.join("; ");
    return `Map of the AIS track of ${name}: ${what}. The events are also listed in words.`;
  }

  function trackFigure(name, points, events, risks) {
    const ordered = points
      .map((point, index) => ({ point, index, ms: Date.parse(point.t) }))
      .sort((a, b) => (a.ms - b.ms || 0) || a.index - b.index)
      .map(({ point }) => point);
    const map = fitProjection([...ordered, ...events.flatMap(eventPlaces)]);
    const first = ordered[0];
    const last = ordered[ordered.length - 1];
    const [lines, marks] = eventMarks(map, events, risks);
    const description = mapDescription(name, ordered, events);
    const picture = svg(
      "svg",
      {
        class: "track-svg",
        viewBox: `0 0 ${map.width} ${map.height}`,
        role: "img",
        "aria-label": description,
        preserveAspectRatio: "xMidYMid meet",
      },
      svg("title", {}, `AIS track of ${name}`),
      svg("desc", {}, description),
      svg("rect", { class: "map-sea", x: 0, y: 0, width: map.width, height: map.height }),
      graticule(map),
      trackLines(map, ordered),
      lines,
      svg(
        "g",
        { class: "track-ends" },
        svg(
          "circle",
          {
            class: "track-end",
            "data-end": "first",
            cx: map.x(first.lon),
            cy: map.y(first.lat),
            r: 5,
          },
          svg("title", {}, `First position, ${formatDate(first.t)}`),
        ),
        svg(
          "rect",
          {
            class: "track-end",
            "data-end": "last",
            x: map.x(last.lon) - 5,
            y: map.y(last.lat) - 5,
            width: 10,
            height: 10,
          },
          svg("title", {}, `Last position, ${formatDate(last.t)}`),
        ),
      ),
      marks,
    );
    return el(
      "div",
      { class: "track-figure" },
      el("figure", { id: "track-map", class: "track-map" }, picture),
      legend(),
    );
  }

  // The legend's shapes have classes of their own, so that the map's are the only `.track-line`
  // or `.event-marker` on the page.
  function legend() {
    const swatch = (shape) =>
      svg("svg", { class: "legend-swatch", viewBox: "-12 -9 24 18", "aria-hidden": "true" }, shape);
    const line = (kind) => svg("line", { class: `key key-${kind}`, x1: -11, y1: 0, x2: 11, y2: 0 });
    const dot = (kind) => svg("circle", { class: `key key-${kind}`, r: 5 });
    const path = (kind, d) => svg("path", { class: `key key-${kind}`, d });
    const items = [
      [line("track"), "track"],
      [line("gap"), "dark gap"],
      [dot("first"), "first position"],
      [svg("rect", { class: "key key-last", x: -5, y: -5, width: 10, height: 10 }), "last"],
      [dot("port"), "port call"],
      [dot("risky"), "port call at a risky port"],
      [path("meeting", "M0,-7 L7,0 L0,7 L-7,0 Z"), "meeting at sea"],
      [path("jump", "M0,-7 L6,4 L-6,4 Z"), "position jump"],
    ];
    return el(
      "ul",
      { class: "track-legend", "aria-label": "Map key" },
      items.map(([shape, words]) => el("li", {}, swatch(shape), words)),
    );
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
