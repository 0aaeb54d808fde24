// Demo page: load a sample (or take pasted JSON), POST it to the matching CDS service, render the answer.
"use strict";

const COVERAGE_INFO_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information";
const $ = (id) => document.getElementById(id);

function element(tag, attrs = {}, text = undefined) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

function setStatus(text, kind = "") {
  const status = $("status");
  status.textContent = text;
  status.className = kind;
}

async function loadSampleList() {
  const response = await fetch("/demo/samples");
  const samples = await response.json();
  const select = $("sample-select");
  for (const sample of samples) {
    const option = element("option", { value: sample.name }, sample.name);
    option.dataset.description = sample.description;
    select.appendChild(option);
  }
}

async function pickSample() {
  const select = $("sample-select");
  const name = select.value;
  const option = select.selectedOptions[0];
  $("sample-description").textContent = option && option.dataset.description ? option.dataset.description : "";
  if (!name) return;
  const response = await fetch(`/demo/samples/${encodeURIComponent(name)}`);
  if (!response.ok) {
    setStatus(`could not load sample ${name} (HTTP ${response.status})`, "error");
    return;
  }
  $("request-text").value = JSON.stringify(await response.json(), null, 2);
  setStatus(`loaded ${name}`);
}

// The service id for a hook comes from discovery, so the page follows whatever this server offers.
async function serviceFor(hook) {
  const response = await fetch("/cds-services");
  const discovery = await response.json();
  const service = (discovery.services || []).find((s) => s.hook === hook);
  if (!service) throw new Error(`this server offers no service for the ${hook} hook`);
  return service.id;
}

async function send() {
  let request;
  try {
    request = JSON.parse($("request-text").value);
  } catch (err) {
    setStatus(`the request is not valid JSON: ${err.message}`, "error");
    return;
  }
  setStatus("sending…");
  try {
    const serviceId = await serviceFor(request.hook);
    const response = await fetch(`/cds-services/${encodeURIComponent(serviceId)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(request),
    });
    const body = await response.json();
    $("raw-response").textContent = JSON.stringify(body, null, 2);
    DtrFlow.offer(request, response.ok ? body : {}); // a needs-info answer continues with DTR (dtr.js)
    if (!response.ok) {
      renderError(response.status, body);
      setStatus(`HTTP ${response.status}`, "error");
      return;
    }
    renderCards(body.cards || []);
    renderCoverage(body.systemActions || []);
    setStatus(`HTTP ${response.status}: ${(body.cards || []).length} card(s), ` +
      `${(body.systemActions || []).length} system action(s)`, "ok");
  } catch (err) {
    setStatus(`request failed: ${err.message}`, "error");
  }
}

function renderError(status, body) {
  const cards = $("cards");
  cards.replaceChildren();
  const issues = (body && body.issue) || [];
  const box = element("div", { class: "card indicator-critical", "data-testid": "error" });
  box.appendChild(element("h3", {}, `The server answered HTTP ${status}`));
  for (const issue of issues) {
    box.appendChild(element("p", {}, `${issue.code || "error"}: ${issue.diagnostics || ""}`));
  }
  cards.appendChild(box);
  $("coverage").replaceChildren(element("p", { class: "muted" }, "No coverage information."));
}

function renderCards(cards) {
  const container = $("cards");
  container.replaceChildren();
  if (cards.length === 0) {
    container.appendChild(element("p", { class: "muted" }, "No cards (orders without a policy get coverage information only)."));
    return;
  }
  for (const card of cards) {
    const indicator = ["info", "warning", "critical"].includes(card.indicator) ? card.indicator : "info";
    const box = element("article", { class: `card indicator-${indicator}`, "data-testid": "card" });
    const header = element("header");
    header.appendChild(element("span", { class: "indicator", "data-testid": "card-indicator" }, indicator));
    header.appendChild(element("h3", { "data-testid": "card-summary" }, card.summary || ""));
    box.appendChild(header);
    const source = card.source || {};
    const sourceLine = element("p", { class: "source muted", "data-testid": "card-source" }, "Source: ");
    if (/^https?:/i.test(source.url || "")) {
      sourceLine.appendChild(element("a", { href: source.url, target: "_blank", rel: "noopener noreferrer" }, source.label || source.url));
    } else {
      sourceLine.appendChild(document.createTextNode(source.label || "?"));
    }
    if (source.topic) sourceLine.appendChild(document.createTextNode(` · ${source.topic.display || source.topic.code}`));
    box.appendChild(sourceLine);
    if (card.detail) {
      const detail = SafeMarkdown.render(card.detail);
      detail.setAttribute("data-testid", "card-detail");
      box.appendChild(detail);
    }
    if (Array.isArray(card.suggestions) && card.suggestions.length) {
      box.appendChild(element("h4", {}, "Suggestions"));
      const list = element("ul", { "data-testid": "card-suggestions" });
      for (const suggestion of card.suggestions) {
        const item = element("li", {}, suggestion.label || "(unlabelled suggestion)");
        const actions = (suggestion.actions || []).map((a) => {
          const resource = a.resource || {};
          return `${a.type} ${resource.resourceType || a.resourceId || ""}`.trim();
        });
        if (actions.length) item.appendChild(element("span", { class: "muted" }, ` (${actions.join(", ")})`));
        list.appendChild(item);
      }
      box.appendChild(list);
    }
    const links = Array.isArray(card.links) ? card.links : [];
    if (links.length) {
      const list = element("ul", { class: "links", "data-testid": "card-links" });
      for (const link of links) {
        const item = element("li");
        if (/^https?:/i.test(link.url || "")) {
          item.appendChild(element("a", { href: link.url, target: "_blank", rel: "noopener noreferrer" }, link.label || link.url));
        } else {
          item.textContent = `${link.label || ""} (${link.url || ""})`;
        }
        list.appendChild(item);
      }
      box.appendChild(list);
    }
    container.appendChild(box);
  }
}

function partValue(part) {
  for (const [key, value] of Object.entries(part)) {
    if (!key.startsWith("value")) continue;
    if (key === "valueReference") return value.reference || "";
    if (key === "valueCodeableConcept") {
      const codes = (value.coding || []).map((c) => c.code).filter(Boolean);
      return [codes.join(", "), value.text].filter(Boolean).join(": ");
    }
    if (value && typeof value === "object") {
      // a Quantity (allowed daily dose) reads as "960 mg"; anything else as its JSON
      return "value" in value ? `${value.value}${value.unit ? " " + value.unit : ""}` : JSON.stringify(value);
    }
    return String(value);
  }
  if (Array.isArray(part.extension)) {
    return part.extension.map((inner) => `${inner.url}=${partValue(inner)}`).join("; ");
  }
  return "";
}

function orderLabel(resource) {
  const concept = resource.medicationCodeableConcept || resource.code || {};
  const coding = (concept.coding || [])[0] || {};
  return concept.text || coding.display || `${resource.resourceType}/${resource.id}`;
}

function renderCoverage(actions) {
  const container = $("coverage");
  container.replaceChildren();
  let count = 0;
  for (const action of actions) {
    const resource = action.resource || {};
    for (const ext of resource.extension || []) {
      if (ext.url !== COVERAGE_INFO_URL) continue;
      count += 1;
      const box = element("section", { class: "coverage", "data-testid": "coverage-info" });
      box.dataset.order = `${resource.resourceType}/${resource.id}`;
      box.appendChild(element("h3", {}, `${orderLabel(resource)} (${resource.resourceType}/${resource.id})`));
      const table = element("table");
      const body = table.createTBody();
      for (const part of ext.extension || []) {
        const row = body.insertRow();
        row.dataset.part = part.url;
        row.insertCell().textContent = part.url;
        const value = row.insertCell();
        value.textContent = partValue(part);
        value.setAttribute("data-testid", `coverage-${part.url}`);
      }
      box.appendChild(table);
      container.appendChild(box);
    }
  }
  if (count === 0) container.appendChild(element("p", { class: "muted" }, "No coverage-information in the response."));
}

document.addEventListener("DOMContentLoaded", () => {
  $("sample-select").addEventListener("change", pickSample);
  $("send-button").addEventListener("click", send);
  loadSampleList()
    .then(() => document.body.setAttribute("data-ready", "true"))
    .catch((err) => setStatus(`could not list samples: ${err.message}`, "error"));
});
