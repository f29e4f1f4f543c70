// The workflow playground: sends the workflow and script to this server's /api/check after
// each pause in typing and shows the diagnostics at their lines, the diagram and the trace.
"use strict";

(function () {
  const DEBOUNCE_MS = 300;
  const GRAPH_SCALE = 0.6;
  const workflow = document.getElementById("workflow");
  const script = document.getElementById("script");
  const workflowGutter = document.getElementById("workflow-gutter");
  const scriptGutter = document.getElementById("script-gutter");
  const diagnosticsList = document.getElementById("diagnostics");
  const diagnosticCount = document.getElementById("diagnostic-count");
  const status = document.getElementById("status");
  const identity = document.getElementById("identity");
  const graph = document.getElementById("graph");
  const traceBody = document.querySelector("#trace tbody");
  const traceSummary = document.getElementById("trace-summary");
  const scriptError = document.getElementById("script-error");

  let timer = null;
  let sequence = 0;  // answers to older requests are dropped
  let inFlight = null;

  function element(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // One numbered line per line of text; marks: Map line -> message.
  function drawGutter(gutter, textarea, marks) {
    const lines = textarea.value.split("\n").length;
    gutter.replaceChildren();
    for (let i = 1; i <= lines; i++) {
      const line = element("div", "line", String(i));
      line.dataset.line = String(i);
      if (marks.has(i)) {
        line.classList.add("marked");
        line.title = marks.get(i);
      }
      gutter.appendChild(line);
    }
    gutter.scrollTop = textarea.scrollTop;
  }

  let workflowMarks = new Map();
  let scriptMarks = new Map();

  function redrawGutters() {
    drawGutter(workflowGutter, workflow, workflowMarks);
    drawGutter(scriptGutter, script, scriptMarks);
  }

  function goTo(textarea, line, column) {
    const lines = textarea.value.split("\n");
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
    offset += Math.max(0, column - 1);
    textarea.focus();
    textarea.setSelectionRange(offset, offset);
    const lineHeight = 18;
    textarea.scrollTop = Math.max(0, (line - 5) * lineHeight);
  }

  function setStatus(kind, text) {
    status.className = "status " + kind;
    status.textContent = text;
  }

  function showDiagnostics(diagnostics) {
    diagnosticsList.replaceChildren();
    workflowMarks = new Map();
    if (diagnostics.length === 0) {
      diagnosticsList.appendChild(element("li", "none", "No problems."));
    }
    for (const d of diagnostics) {
      const item = element("li", "diagnostic");
      item.dataset.line = String(d.line);
      item.dataset.column = String(d.column);
      item.dataset.file = d.file;
      const inEditedFile = d.file === "workflow.yaml";
      const where = (inEditedFile ? "" : d.file + ":") + d.line + ":" + d.column;
      item.appendChild(element("span", "where", where));
      item.appendChild(element("span", "message", d.message));
      if (inEditedFile) {
        const previous = workflowMarks.get(d.line);
        workflowMarks.set(d.line, previous ? previous + "\n" + d.message : d.message);
        item.addEventListener("click", () => goTo(workflow, d.line, d.column));
      }
      diagnosticsList.appendChild(item);
    }
    diagnosticCount.textContent = diagnostics.length ? "(" + diagnostics.length + ")" : "";
  }

  function showGraph(answer) {
    if (answer.graph) {
      const parsed = new DOMParser().parseFromString(answer.graph.svg, "image/svg+xml");
      const svg = parsed.documentElement;
      if (svg.nodeName.toLowerCase() !== "svg") {
        graph.replaceChildren(element("p", "placeholder", "The diagram could not be shown."));
        return;
      }
      // A left-to-right diagram scaled to the panel's width would be too small to read: it
      // keeps a fixed share of Graphviz's own size (points), and the panel scrolls.
      for (const dimension of ["width", "height"]) {
        const points = parseFloat(svg.getAttribute(dimension));
        if (points > 0) svg.setAttribute(dimension, (points * GRAPH_SCALE).toFixed(1) + "pt");
      }
      graph.replaceChildren(document.importNode(svg, true));
      graph.classList.remove("stale");
    } else if (answer.graph_error) {
      graph.replaceChildren(element("p", "placeholder", "Graphviz: " + answer.graph_error));
    } else {
      // Keep the last diagram, dimmed, while the text is broken: it is what was valid.
      graph.classList.add("stale");
    }
  }

  function stepDetails(step) {
    const details = [];
    for (const event of step.events || []) details.push({ text: "event " + event.type });
    if (step.error) {
      details.push({
        bad: true,
        text: "refused: " + step.error.reason + ": " + step.error.message +
          (step.error.available_actions.length
            ? " (available: " + step.error.available_actions.join(", ") + ")" : ""),
      });
    }
    for (const failure of step.failures || []) details.push({ bad: true, text: "✗ " + failure });
    return details;
  }

  function showSimulation(answer) {
    traceBody.replaceChildren();
    scriptError.hidden = true;
    scriptMarks = new Map();
    traceSummary.textContent = "";
    const simulation = answer.simulation;
    if (!simulation) return true;
    if (simulation.error) {
      const e = simulation.error;
      scriptError.hidden = false;
      scriptError.textContent = (e.line ? e.line + ":" + e.column + ": " : "") + e.message;
      if (e.line) scriptMarks.set(e.line, e.message);
      traceSummary.textContent = "(script not run)";
      return false;
    }
    const trace = simulation.trace;
    for (const step of trace.steps) {
      const row = element("tr", step.kind);
      row.dataset.state = step.state;
      row.dataset.kind = step.kind;
      if (step.error) row.classList.add("refused");
      if (step.failures && step.failures.length) row.classList.add("failed");
      row.appendChild(element("td", "", step.kind === "timer" ? "" : String(step.step)));
      row.appendChild(element("td", "time", step.local_time));
      const what = element("td", "");
      what.textContent = step.description;
      row.appendChild(what);
      row.appendChild(element("td", "state", step.state || "–"));
      row.appendChild(element("td", "", step.sla_status));
      const cell = element("td", "");
      for (const detail of stepDetails(step)) {
        cell.appendChild(element("span", "detail" + (detail.bad ? " bad" : ""), detail.text));
      }
      row.appendChild(cell);
      traceBody.appendChild(row);
    }
    traceSummary.textContent = trace.ok
      ? "(" + trace.steps.length + " steps, every expectation held)"
      : "(" + trace.failed_expectations + " expectation(s) failed)";
    return trace.ok;
  }

  function show(answer) {
    showDiagnostics(answer.diagnostics);
    showGraph(answer);
    const simulationOk = showSimulation(answer);
    if (answer.valid) {
      identity.textContent = answer.workflow.name + " v" + answer.workflow.version;
      setStatus(simulationOk ? "valid" : "failed",
        simulationOk ? "valid" : "valid; the simulation did not pass");
    } else {
      identity.textContent = "";
      setStatus("invalid", answer.diagnostics.length + " problem" +
        (answer.diagnostics.length === 1 ? "" : "s"));
    }
    redrawGutters();
    document.body.dataset.checked = String(sequence);
  }

  async function check() {
    const mine = ++sequence;
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    if (workflow.value.trim() === "") {
      showDiagnostics([]);
      setStatus("idle", "paste or type a workflow");
      redrawGutters();
      return;
    }
    setStatus(status.className.replace("status ", ""), "checking…");
    try {
      const response = await fetch("/api/check", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ workflow: workflow.value, script: script.value }),
        signal: inFlight.signal,
      });
      const answer = await response.json();
      if (mine !== sequence) return;
      if (!response.ok) {
        setStatus("invalid", answer.error || ("HTTP " + response.status));
        return;
      }
      show(answer);
    } catch (error) {
      if (error.name === "AbortError") return;
      if (mine === sequence) setStatus("invalid", "cannot reach the server: " + error.message);
    }
  }

  function schedule() {
    redrawGutters();
    clearTimeout(timer);
    timer = setTimeout(check, DEBOUNCE_MS);
  }

  for (const [textarea, gutter] of [[workflow, workflowGutter], [script, scriptGutter]]) {
    textarea.addEventListener("input", schedule);
    textarea.addEventListener("scroll", () => { gutter.scrollTop = textarea.scrollTop; });
    // Tab indents, as YAML needs, instead of leaving the editor.
    textarea.addEventListener("keydown", (event) => {
      if (event.key !== "Tab" || event.shiftKey) return;
      event.preventDefault();
      textarea.setRangeText("  ", textarea.selectionStart, textarea.selectionEnd, "end");
      schedule();
    });
  }
  redrawGutters();
})();
