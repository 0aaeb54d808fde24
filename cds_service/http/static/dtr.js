// Demo page, after a needs-info answer: the Da Vinci DTR flow against this server's /fhir operations.
// $questionnaire-package -> $populate (prefill from the record) -> the questions -> $next-question until the
// form is completed -> the payer's coverage-information and PA number. Plain JS, no build step.
"use strict";

const DtrFlow = (() => {
  const CI_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information";
  const ORIGIN_URL = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin";
  const FHIR_JSON = "application/fhir+json";
  const $ = (id) => document.getElementById(id);
  // What the hook answered and the state of the form: reset by every hook call.
  let state = null;

  function el(tag, attrs = {}, text = undefined) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function infoParts(extension) {
    const parts = {};
    for (const part of extension.extension || []) {
      const key = Object.keys(part).find((k) => k.startsWith("value"));
      if (key && !(part.url in parts)) parts[part.url] = part[key];
    }
    return parts;
  }

  function coverageInfo(resource) {
    return (resource.extension || []).filter((e) => e.url === CI_URL);
  }

  // The record as DTR's `record` parameter: every resource the hook's prefetch held, plus the draft orders.
  function recordBundle(request) {
    const seen = new Map();
    const add = (resource) => {
      if (resource && resource.resourceType) seen.set(`${resource.resourceType}/${resource.id}`, resource);
    };
    for (const value of Object.values(request.prefetch || {})) {
      if (value && value.resourceType === "Bundle") (value.entry || []).forEach((e) => add(e.resource));
      else add(value);
    }
    const orders = ((request.context || {}).draftOrders || {}).entry || [];
    orders.forEach((e) => add(e.resource));
    return { resourceType: "Bundle", type: "collection", entry: [...seen.values()].map((resource) => ({ resource })) };
  }

  // The needs-info order: coverage-information asking for documentation, with the DTR context (assertion id).
  function needsInfoOrder(body) {
    for (const action of body.systemActions || []) {
      const order = action.resource || {};
      for (const extension of coverageInfo(order)) {
        const parts = infoParts(extension);
        if (parts["doc-needed"] && parts["coverage-assertion-id"] && parts["pa-needed"] !== "satisfied") {
          return { order, parts };
        }
      }
    }
    return null;
  }

  function offer(request, body) {
    const panel = $("dtr-panel");
    const found = needsInfoOrder(body);
    state = null;
    for (const id of ["dtr-log", "dtr-prefilled", "dtr-questions", "dtr-result"]) $(id).replaceChildren();
    panel.hidden = !found;
    if (!found) return;
    const record = recordBundle(request);
    const coverage = record.entry.map((e) => e.resource).find((r) => r.resourceType === "Coverage");
    const draft = ((request.context || {}).draftOrders || {}).entry || [];
    const order = (draft.find((e) => e.resource.id === found.order.id) || {}).resource || found.order;
    state = { request, record, coverage, order, context: found.parts["coverage-assertion-id"], asked: [], answers: {} };
    $("dtr-intro").textContent =
      `The payer needs documentation for ${found.order.resourceType}/${found.order.id} ` +
      `(coverage-assertion-id ${state.context}). Fill in the payer's questionnaire to get the decision.`;
    $("dtr-start").disabled = false;
  }

  function setDtrStatus(text, kind = "") {
    const status = $("dtr-status");
    status.textContent = text;
    status.className = kind;
  }

  // One FHIR operation call, logged with its HTTP status and time; an error answer is thrown with its diagnostics.
  async function operation(name, parameters) {
    const started = performance.now();
    const response = await fetch(`/fhir/Questionnaire/${name}`, {
      method: "POST",
      headers: { "Content-Type": FHIR_JSON, Accept: FHIR_JSON },
      body: JSON.stringify({ resourceType: "Parameters", parameter: parameters }),
    });
    const body = await response.json();
    const ms = Math.round(performance.now() - started);
    const line = el("li", { "data-testid": "dtr-call" }, `${name}: HTTP ${response.status}, ${ms} ms`);
    $("dtr-log").appendChild(line);
    if (!response.ok) {
      const issues = (body.issue || []).map((i) => i.diagnostics || i.code).join("; ");
      throw new Error(`${name} answered HTTP ${response.status}: ${issues}`);
    }
    return body;
  }

  function part(body, name) {
    return (body.parameter || []).filter((p) => p.name === name).map((p) => p.resource);
  }

  const recordParts = () => [
    { name: "order", resource: state.order },
    { name: "record", resource: state.record },
  ];

  async function start() {
    $("dtr-start").disabled = true;
    setDtrStatus("fetching the questionnaire package…");
    try {
      const packaged = await operation("$questionnaire-package", [
        { name: "coverage", resource: state.coverage },
        { name: "order", resource: state.order },
        { name: "context", valueString: state.context },
      ]);
      const bundles = part(packaged, "packagebundle");
      if (bundles.length < 2) {
        const outcome = part(packaged, "outcome")[0] || {};
        throw new Error(((outcome.issue || [])[0] || {}).diagnostics || "no questionnaire is needed for this order");
      }
      const [standard, adaptive] = bundles.map((b) => (b.entry || []).map((e) => e.resource));
      const questionnaire = standard.find((r) => r.resourceType === "Questionnaire");
      const draft = standard.find((r) => r.resourceType === "QuestionnaireResponse");
      state.adaptive = adaptive.find((r) => r.resourceType === "QuestionnaireResponse");
      setDtrStatus("prefilling from the record ($populate)…");
      const populated = part(
        await operation("$populate", [{ name: "questionnaire-response", resource: draft }, ...recordParts()]),
        "response",
      )[0];
      renderPrefilled(questionnaire, populated);
      // The prefilled answers go with the adaptive form, with their origin (auto-server), as DTR carries them.
      state.prefilled = (populated.item || []).filter((i) => (i.answer || []).length);
      await nextQuestion(state.adaptive);
    } catch (err) {
      setDtrStatus(err.message, "error");
    }
  }

  function answerText(answer) {
    if ("valueBoolean" in answer) return answer.valueBoolean ? "yes" : "no";
    const key = Object.keys(answer).find((k) => k.startsWith("value"));
    if (!key) return "";
    const value = answer[key];
    return typeof value === "object" ? value.display || value.code || JSON.stringify(value) : String(value);
  }

  // The standard form as $populate filled it: what the record answered (with origin), and what it left open.
  function renderPrefilled(questionnaire, populated) {
    const answered = new Map((populated.item || []).map((i) => [i.linkId, i.answer || []]));
    const table = el("table", { "data-testid": "dtr-prefilled-table" });
    const head = table.createTHead().insertRow();
    for (const title of ["Criterion", "Question", "Prefilled answer"]) head.appendChild(el("th", {}, title));
    const rows = table.createTBody();
    let open = 0;
    for (const item of questionnaire.item || []) {
      const answers = answered.get(item.linkId) || [];
      if (!answers.length) open += 1;
      const row = rows.insertRow();
      row.dataset.linkId = item.linkId;
      row.className = answers.length ? "answered" : "open";
      row.insertCell().textContent = item.linkId;
      row.insertCell().textContent = item.text || "";
      row.insertCell().textContent = answers.length
        ? `${answers.map(answerText).join(", ")} (from the record)`
        : "not answered by the record";
    }
    const box = $("dtr-prefilled");
    box.replaceChildren(
      el("h3", {}, `Prefilled from the record: ${(questionnaire.item || []).length - open} of ` +
        `${(questionnaire.item || []).length} questions`),
    );
    const details = el("details", { open: "" });
    details.appendChild(el("summary", {}, `${questionnaire.title || questionnaire.name || "Questionnaire"} (all items)`));
    details.appendChild(table);
    box.appendChild(details);
  }

  function originExtension() {
    const parts = [{ url: "source", valueCode: "manual" }];
    const user = (state.request.context || {}).userId;
    if (user) parts.push({ url: "author", extension: [{ url: "practitioner", valueReference: { reference: user } }] });
    return { url: ORIGIN_URL, extension: parts };
  }

  function answerFor(item, raw) {
    if (item.type === "boolean") return { valueBoolean: raw === "true" };
    if (item.type === "choice" || item.type === "open-choice") {
      const option = (item.answerOption || [])[Number(raw)] || {};
      return option.valueCoding ? { valueCoding: option.valueCoding } : { valueString: String(option.valueString || raw) };
    }
    if (item.type === "integer") return { valueInteger: Number(raw) };
    if (item.type === "date") return { valueDate: raw };
    return { valueString: raw };
  }

  // One input per question type: boolean as yes/no, choice as its options, anything else as text.
  function input(item) {
    const name = `dtr-${item.linkId}`;
    const wrap = el("div", { class: "dtr-input", "data-testid": `dtr-input-${item.linkId}` });
    if (item.type === "boolean") {
      for (const [value, label] of [["true", "Yes"], ["false", "No"]]) {
        const id = `${name}-${value}`;
        const radio = el("input", { type: "radio", name, id, value, "data-testid": `dtr-answer-${item.linkId}-${value}` });
        wrap.append(radio, el("label", { for: id, class: "inline" }, label));
      }
    } else if (item.type === "choice" || item.type === "open-choice") {
      const select = el("select", { name });
      select.appendChild(el("option", { value: "" }, "(choose)"));
      (item.answerOption || []).forEach((option, index) => {
        const coding = option.valueCoding || {};
        select.appendChild(el("option", { value: String(index) }, coding.display || coding.code || option.valueString || ""));
      });
      wrap.appendChild(select);
    } else {
      wrap.appendChild(el("input", { type: "text", name }));
    }
    return wrap;
  }

  function readInput(item) {
    const checked = document.querySelector(`[name="dtr-${CSS.escape(item.linkId)}"]:checked`);
    if (checked) return checked.value;
    const field = document.querySelector(`select[name="dtr-${CSS.escape(item.linkId)}"], input[type=text][name="dtr-${CSS.escape(item.linkId)}"]`);
    return field && field.value !== "" ? field.value : null;
  }

  // The questions the adaptive form has asked so far; the unanswered ones get inputs and an "Answer" button.
  function renderQuestions(response, open = true) {
    const asked = ((response.contained || [])[0] || {}).item || [];
    state.asked = asked;
    const box = $("dtr-questions");
    box.replaceChildren(el("h3", {}, "Questions from the payer"));
    const list = el("ol", { class: "dtr-questions" });
    for (const item of asked) {
      const entry = el("li", { "data-testid": "dtr-question", "data-link-id": item.linkId });
      entry.appendChild(el("p", { class: "question" }, `${item.prefix ? item.prefix + " " : ""}${item.text || item.linkId}`));
      const given = state.answers[item.linkId];
      if (given) entry.appendChild(el("p", { class: "muted" }, `answered: ${answerText(given)}`));
      else entry.appendChild(input(item));
      list.appendChild(entry);
    }
    box.appendChild(list);
    if (!open) return;
    const button = el("button", { type: "button", "data-testid": "dtr-next" }, "Answer and continue");
    button.addEventListener("click", submitAnswers);
    box.appendChild(button);
  }

  async function submitAnswers() {
    for (const item of state.asked) {
      if (state.answers[item.linkId]) continue;
      const raw = readInput(item);
      if (raw !== null) state.answers[item.linkId] = answerFor(item, raw);
    }
    const items = state.prefilled.filter((i) => !(i.linkId in state.answers));
    for (const [linkId, value] of Object.entries(state.answers)) {
      items.push({ linkId, answer: [{ ...value, extension: [originExtension()] }] });
    }
    await nextQuestion({ ...state.current, item: items });
  }

  async function nextQuestion(response) {
    setDtrStatus("asking the payer for the next question ($next-question)…");
    try {
      const returned = part(
        await operation("$next-question", [{ name: "questionnaire-response", resource: response }, ...recordParts()]),
        "return",
      )[0];
      state.current = returned;
      if (returned.status === "completed") {
        renderQuestions(returned, false);
        renderResult(returned);
        return;
      }
      renderQuestions(returned);
      setDtrStatus("answer the question(s) below", "ok");
    } catch (err) {
      setDtrStatus(err.message, "error");
    }
  }

  // The completed form: the payer's coverage-information (DTR §spec-33) and, on an approval, the PA number.
  function renderResult(response) {
    const box = $("dtr-result");
    box.replaceChildren(el("h3", {}, "The payer's decision"));
    const [extension] = coverageInfo(response);
    if (!extension) {
      box.appendChild(el("p", { class: "muted" }, "The completed form carries no coverage-information."));
      setDtrStatus("completed", "ok");
      return;
    }
    const parts = infoParts(extension);
    const pa = parts["satisfied-pa-id"];
    const headline = pa
      ? `Approved: prior authorization ${pa}, valid through ${parts["expiry-date"] || "(no expiry)"}`
      : `Not approved here: covered ${parts.covered}, ${parts["pa-needed"] || "no PA decision"}`;
    box.appendChild(el("p", { class: pa ? "dtr-headline approved" : "dtr-headline", "data-testid": "dtr-headline" }, headline));
    if (pa) box.appendChild(el("p", {}, "PA number: ")).appendChild(el("strong", { "data-testid": "dtr-pa-number" }, pa));
    const table = el("table", { "data-testid": "dtr-coverage" });
    const rows = table.createTBody();
    for (const item of extension.extension || []) {
      const row = rows.insertRow();
      row.insertCell().textContent = item.url;
      const value = row.insertCell();
      value.textContent = window.partValue ? window.partValue(item) : JSON.stringify(item);
      value.setAttribute("data-testid", `dtr-coverage-${item.url}`);
    }
    box.appendChild(table);
    setDtrStatus(`completed: ${parts.covered}${pa ? ", PA number " + pa : ""}`, "ok");
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("dtr-start").addEventListener("click", start);
  });

  return { offer, recordBundle };
})();
