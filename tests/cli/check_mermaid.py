#!/usr/bin/python3
"""`claimsctl graph --format mermaid` must render with the real Mermaid library in a browser.

A grep of the text cannot tell whether Mermaid's grammar accepts it; this renders it to SVG in
Debian's headless Chromium and checks that every state of the workflow is drawn with its name
and every transition's label is on its edges. The states and transitions come from the workflow
YAML, not from the diagram, so one the diagram drops is caught. A corrupted copy of the diagram
must fail with Mermaid's parse error, which proves the rendering path reports errors rather
than passing whatever it is given.

Usage: check_mermaid.py CLAIMSCTL WORKFLOW MERMAID_DIR
  MERMAID_DIR holds mermaid.min.js and VERSION (fetch_mermaid.sh puts them there).
  CHECK_MERMAID_SVG=FILE keeps the rendered SVG, to look at.
"""
import base64
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import yaml

CHROMIUM = "/usr/bin/chromium"
PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_mermaid.html")
# Running as root needs --no-sandbox and there is no GPU; the rest keep a headless run off the
# network (which the browser would otherwise try, and fail on, at start-up) and off a small
# container /dev/shm.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--virtual-time-budget=15000", "--dump-dom",
]
TIMEOUT_SECONDS = 60


def render(mermaid_js, text):
    """Returns {'status': 'ok', 'svg': ...} or {'status': 'error', 'error': ...}, plus 'logged'."""
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"FAIL {CHROMIUM} is missing: run scripts/install-deps.sh")
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        shutil.copy(PAGE, os.path.join(tmp, "page.html"))
        os.symlink(os.path.abspath(mermaid_js), os.path.join(tmp, "mermaid.min.js"))
        # JSON is a JS string literal; escaping '<' keeps a '</script>' in the text inert.
        literal = json.dumps(text).replace("<", "\\u003c")
        with open(os.path.join(tmp, "diagram.js"), "w", encoding="utf-8") as f:
            f.write(f"window.diagramText = {literal};\n")
        profile = os.path.join(tmp, "profile")
        os.mkdir(profile)
        command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"file://{tmp}/page.html"]
        # Own process group: on a timeout the renderer and GPU children go too.
        browser = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        try:
            out, err = browser.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(browser.pid, signal.SIGKILL)
            out, err = browser.communicate()
            raise SystemExit(f"FAIL chromium did not finish in {TIMEOUT_SECONDS}s\n{err[-2000:]}")
        match = re.search(r"MERMAID-RESULT:([A-Za-z0-9+/=]*):END", out)
        if match is None:
            raise SystemExit(f"FAIL chromium exited {browser.returncode} without a result\n"
                             f"{err[-2000:]}")
        return json.loads(base64.b64decode(match.group(1)).decode("utf-8"))


def text_of(fragment):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", "", fragment))).strip()


def drawn_nodes(svg):
    """[(element id, class attribute, label text)] of every drawn node."""
    nodes = []
    tags = list(re.finditer(r'<g\b[^>]*\sclass="node\b[^>]*>', svg))
    for i, tag in enumerate(tags):
        element_id = re.search(r'\sid="([^"]*)"', tag.group(0))
        classes = re.search(r'\sclass="([^"]*)"', tag.group(0)).group(1)
        # A node's label comes before the next node starts; start and end markers have none.
        end = tags[i + 1].start() if i + 1 < len(tags) else len(svg)
        label = re.search(r'<span class="nodeLabel\b[^"]*"[^>]*>(.*?)</span>',
                          svg[tag.end():end], re.S)
        nodes.append((element_id.group(1) if element_id else "", classes,
                      text_of(label.group(1)) if label else ""))
    return nodes


def edge_labels(svg):
    """The non-empty edge labels: edges to notes and to the end marker carry empty ones."""
    spans = re.findall(r'<span class="edgeLabel\b[^"]*"[^>]*>(.*?)</span>', svg, re.S)
    labels = [text_of(span) for span in spans]
    return [label for label in labels if label]


def check_rendering(workflow, svg, logged):
    failures = [f"mermaid logged: {line}" for line in logged]
    if "Syntax error" in svg or 'class="error-icon"' in svg:
        failures.append("the SVG is Mermaid's error diagram")
    nodes = drawn_nodes(svg)
    for state in workflow["states"]:
        sid = state["id"]
        name = state.get("display_name") or sid
        # Mermaid 12 prefixes element ids with the render id ('diagram', render_mermaid.html).
        drawn = [(classes, label) for element_id, classes, label in nodes
                 if re.fullmatch(rf"(diagram-)?state-{re.escape(sid)}-\d+", element_id)]
        if len(drawn) != 1:
            failures.append(f"state {sid}: {len(drawn)} nodes drawn, want 1")
            continue
        classes, label = drawn[0]
        if label != name:
            failures.append(f"state {sid}: labelled {label!r}, want {name!r}")
        if state.get("terminal") and "terminal" not in classes.split():
            failures.append(f"terminal state {sid} lacks the terminal style ({classes!r})")
    labels = edge_labels(svg)
    for transition in workflow["transitions"]:
        tid = transition["id"]
        drawn = [label for label in labels if label.startswith(f"{tid} (")]
        if len(drawn) != len(transition["from"]):
            failures.append(f"transition {tid}: {len(drawn)} labelled edges, "
                            f"want {len(transition['from'])} (labels: {labels})")
    return failures, len(labels)


def check_corruption_is_caught(mermaid_js, diagram):
    """A transition that lost its target state must fail with a parse error at that line."""
    lines = diagram.splitlines()
    index = next(i for i, line in enumerate(lines) if " --> " in line and "[*]" not in line)
    lines[index] = lines[index].split(" --> ")[0] + " --> : " + lines[index].split(" : ", 1)[1]
    result = render(mermaid_js, "\n".join(lines) + "\n")
    want = f"Parse error on line {index + 1}"
    if result["status"] != "error" or want not in result.get("error", ""):
        return [f"corrupted line {index + 1} ({lines[index]!r}) gave {result['status']}: "
                f"{result.get('error', 'an SVG')!r}, want {want!r}"], want
    return [], want


def main():
    claimsctl, workflow_path, mermaid_dir = sys.argv[1:4]
    mermaid_js = os.path.join(mermaid_dir, "mermaid.min.js")
    with open(os.path.join(mermaid_dir, "VERSION"), encoding="utf-8") as f:
        version = f.read().strip()
    with open(workflow_path, encoding="utf-8") as f:
        workflow = yaml.safe_load(f)
    diagram = subprocess.run([claimsctl, "graph", workflow_path, "--format", "mermaid"],
                             check=True, capture_output=True, text=True).stdout
    result = render(mermaid_js, diagram)
    if result["status"] == "ok" and os.environ.get("CHECK_MERMAID_SVG"):
        with open(os.environ["CHECK_MERMAID_SVG"], "w", encoding="utf-8") as f:
            f.write(result["svg"])
    if result["status"] != "ok":
        print(f"FAIL mermaid {version} rejects the diagram: {result['error']}")
        for number, line in enumerate(diagram.splitlines(), 1):
            print(f"{number:4} {line}")
        return 1
    failures, label_count = check_rendering(workflow, result["svg"], result["logged"])
    caught, want = check_corruption_is_caught(mermaid_js, diagram)
    failures += caught
    for failure in failures:
        print("FAIL", failure)
    if failures:
        return 1
    print(f"mermaid {version} renders: {len(result['svg'])} bytes of SVG, "
          f"{len(workflow['states'])} states, {label_count} transition labels; "
          f"a corrupted copy fails with {want!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
