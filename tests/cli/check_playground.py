#!/usr/bin/python3
"""The workflow playground's page, in headless Chromium against a real claimsd.

claimsd runs with admin.playground on (a free loopback port, SQLite in a temporary directory,
the shipped workflows); Selenium drives Debian's chromium through chromium-driver:
  1. a pasted workflow with a misspelt state shows its diagnostic at that line and column, and
     the editor's gutter marks the line;
  2. the fixed workflow draws the diagram, with every state of the YAML named in the SVG;
  3. a simulation script typed key by key shows its trace, with the states in order.
Screenshots are checked too (PIL), so a page whose DOM is right but draws nothing fails: the
diagnostic and the marked gutter line carry the error colour, the diagram has drawn pixels, the
full page is not blank. Every resource the page loaded came from claimsd itself.

Usage: check_playground.py CLAIMSD CONFIG_DIR SCRIPT
  CHECK_PLAYGROUND_SCREENSHOT=FILE keeps the final screenshot (docs/playground.png is one).
"""
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 20
ERROR_RGB = (0xB3, 0x26, 0x1E)  # playground.css --error

failures = []


def check(description, condition, detail=""):
    if not condition:
        failures.append(f"{description}{': ' + detail if detail else ''}")
        print("FAIL", description, detail)
    else:
        print("ok  ", description)
    return condition


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process):
    """Ends a process this script started, and its process group, by its PID."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def start_claimsd(claimsd, work, log_path):
    process = subprocess.Popen([claimsd, "--config", f"{work}/claimsd.yaml"], cwd=work,
                               stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            match = re.search(r"workflow playground listening on \S+ \(port (\d+)\)", f.read())
        if match:
            return process, int(match.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop(process)
    with open(log_path, encoding="utf-8", errors="replace") as f:
        print(f.read())
    raise SystemExit("FAIL claimsd did not start the playground")


def start_chromedriver(port, log_path):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"FAIL {path} is missing: run scripts/install-deps.sh --tests")
    process = subprocess.Popen([CHROMEDRIVER, f"--port={port}", "--allowed-ips=127.0.0.1"],
                               stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    stop(process)
    raise SystemExit("FAIL chromedriver did not start")


def browser(driver_port, profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # Root needs --no-sandbox and there is no display or GPU; the rest keep the browser off
    # the network (it would try at start-up) and off a small container /dev/shm.
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-sync",
                 "--disable-component-update", "--disable-quic", "--disable-extensions",
                 "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1400,1250",
                 f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Remote(command_executor=f"http://127.0.0.1:{driver_port}", options=options)


def paste(driver, element_id, text):
    """What a paste does: the whole text at once, then one input event."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true}));", element_id, text)


def checked_after(driver, before):
    """Waits for an answer newer than `before` to be shown; returns its sequence number."""
    def shown(d):
        value = d.execute_script("return document.body.dataset.checked || '0'")
        return int(value) if int(value) > before else False
    return WebDriverWait(driver, WAIT_SECONDS).until(shown)


def current(driver):
    return int(driver.execute_script("return document.body.dataset.checked || '0'"))


def image_of(png):
    return Image.open(io.BytesIO(png)).convert("RGB")


def share_near(image, rgb, tolerance=40):
    """The share of pixels within `tolerance` of `rgb` on every channel."""
    pixels = list(image.getdata())
    near = sum(1 for p in pixels if all(abs(p[i] - rgb[i]) <= tolerance for i in range(3)))
    return near / max(1, len(pixels))


def share_drawn(image):
    """The share of pixels darker than the light backgrounds: lines, shapes and text."""
    pixels = list(image.convert("L").getdata())
    return sum(1 for p in pixels if p < 200) / max(1, len(pixels))


def main():
    claimsd, config_dir, script_path = (os.path.abspath(a) for a in sys.argv[1:4])
    with open(f"{config_dir}/workflows/cpor-association.yaml", encoding="utf-8") as f:
        shipped = f.read()
    states = [s["id"] for s in yaml.safe_load(shipped)["states"]]
    with open(script_path, encoding="utf-8") as f:
        script = f.read()

    work = tempfile.mkdtemp(prefix="claims-playground-")
    claimsd_process = driver_process = driver = None
    try:
        shutil.copytree(f"{config_dir}/workflows", f"{work}/workflows")
        shutil.copytree(f"{config_dir}/calendars", f"{work}/calendars")
        with open(f"{config_dir}/claimsd.yaml", encoding="utf-8") as f:
            config = f.read()
        admin_port = free_port()
        for pattern, replacement in [
            (r"(?m)^listen: .*", "listen: 127.0.0.1:0"),
            (r"(?m)^  url: sqlite:.*", "  url: sqlite:claims.db"),
            (r"(?m)^  listen: 127.0.0.1:9464.*", '  listen: ""'),
            (r"(?m)^  playground: false", "  playground: true"),
            (r"(?m)^  listen: 127.0.0.1:9465", f"  listen: 127.0.0.1:{admin_port}"),
        ]:
            config, count = re.subn(pattern, replacement, config)
            assert count == 1, f"the shipped config has no line for {pattern}"
        with open(f"{work}/claimsd.yaml", "w", encoding="utf-8") as f:
            f.write(config)

        claimsd_process, port = start_claimsd(claimsd, work, f"{work}/claimsd.log")
        check("claimsd serves the playground on the configured port", port == admin_port,
              f"{port} != {admin_port}")
        driver_port = free_port()
        driver_process = start_chromedriver(driver_port, f"{work}/chromedriver.log")
        os.mkdir(f"{work}/profile")
        driver = browser(driver_port, f"{work}/profile")
        driver.set_page_load_timeout(WAIT_SECONDS)
        origin = f"http://127.0.0.1:{port}"
        driver.get(origin + "/")
        check("the page loads", "Workflow playground" in driver.title, driver.title)

        # 1. A misspelt target state: the diagnostic at its line and column, the gutter mark.
        line = shipped[:shipped.index("to: under_review")].count("\n") + 1
        # The value's column, after "to: ".
        column = len(shipped[:shipped.index("to: under_review")].rsplit("\n", 1)[-1]) + 5
        before = current(driver)
        paste(driver, "workflow", shipped.replace("to: under_review", "to: under_reveiw", 1))
        checked_after(driver, before)
        items = driver.find_elements(By.CSS_SELECTOR, "#diagnostics li.diagnostic")
        at_line = [i for i in items if i.get_attribute("data-line") == str(line)]
        check("the broken workflow's diagnostics are listed", bool(items))
        check(f"a diagnostic is at line {line}, column {column}, naming the bad state",
              any(i.get_attribute("data-column") == str(column) and "under_reveiw" in i.text
                  and i.text.startswith(f"{line}:{column}") for i in at_line),
              "; ".join(i.text for i in items))
        marked = driver.find_elements(By.CSS_SELECTOR, "#workflow-gutter .line.marked")
        marked_lines = [m.get_attribute("data-line") for m in marked]
        check(f"the gutter marks line {line}, and only lines with diagnostics",
              str(line) in marked_lines
              and set(marked_lines) == {i.get_attribute("data-line") for i in items},
              str(marked_lines))
        status = driver.find_element(By.ID, "status")
        check("the status says there are problems", "problem" in status.text, status.text)
        diagnostics_image = image_of(driver.find_element(By.ID, "diagnostics").screenshot_as_png)
        check("the diagnostics are drawn in the error colour",
              share_near(diagnostics_image, ERROR_RGB) > 0.005,
              f"{share_near(diagnostics_image, ERROR_RGB):.4f} of pixels")
        if marked:
            # Scrolled into view by the editor, as a click on the diagnostic does.
            driver.find_element(By.CSS_SELECTOR, "#diagnostics li.diagnostic").click()
            time.sleep(0.2)
            gutter_image = image_of(marked[0].screenshot_as_png)
            check("the marked gutter line is drawn in the error colour",
                  share_near(gutter_image, ERROR_RGB) > 0.05,
                  f"{share_near(gutter_image, ERROR_RGB):.4f} of pixels")
        check("no diagram is drawn for a broken workflow",
              not driver.find_elements(By.CSS_SELECTOR, "#graph svg"))

        # 2. Fixed: the diagram names every state.
        before = current(driver)
        paste(driver, "workflow", shipped)
        checked_after(driver, before)
        svgs = driver.find_elements(By.CSS_SELECTOR, "#graph svg")
        check("the fixed workflow draws an SVG diagram", len(svgs) == 1)
        if svgs:
            texts = " ".join(t.get_attribute("textContent")
                             for t in svgs[0].find_elements(By.CSS_SELECTOR, "text"))
            missing = [s for s in states if f"({s})" not in texts]
            check(f"the diagram names all {len(states)} states", not missing, str(missing))
            check("the diagram has laid-out nodes and edges",
                  len(svgs[0].find_elements(By.CSS_SELECTOR, "g.node")) >= len(states)
                  and len(svgs[0].find_elements(By.CSS_SELECTOR, "g.edge path")) > 0)
            graph_image = image_of(driver.find_element(By.ID, "graph").screenshot_as_png)
            check("the diagram has drawn pixels", share_drawn(graph_image) > 0.01,
                  f"{share_drawn(graph_image):.4f} of pixels")
        check("no diagnostics remain",
              not driver.find_elements(By.CSS_SELECTOR, "#diagnostics li.diagnostic")
              and not driver.find_elements(By.CSS_SELECTOR, "#workflow-gutter .line.marked"))
        check("the status says valid", driver.find_element(By.ID, "status").text == "valid",
              driver.find_element(By.ID, "status").text)

        # 3. A script typed into its editor: the trace's states in order.
        before = current(driver)
        editor = driver.find_element(By.ID, "script")
        editor.click()
        editor.send_keys(script)
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: d.find_element(By.ID, "script").get_attribute("value") == script)
        checked_after(driver, before)
        # Typing ends with the last key; the answer to the complete text is the one wanted.
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: "every expectation held" in d.find_element(By.ID, "trace-summary").text
            or "failed" in d.find_element(By.ID, "trace-summary").text)
        rows = driver.find_elements(By.CSS_SELECTOR, "#trace tbody tr")
        order = []
        for row in rows:
            state = row.get_attribute("data-state")
            if state and (not order or order[-1] != state):
                order.append(state)
        want = ["editing", "submitted", "under_review", "partner_action_required", "rejected"]
        check("the trace shows the states in order", order == want, f"{order}")
        check("a timer rejects the claim",
              any(r.get_attribute("data-kind") == "timer"
                  and r.get_attribute("data-state") == "rejected" for r in rows))
        summary = driver.find_element(By.ID, "trace-summary").text
        check("every expectation of the script held", "every expectation held" in summary,
              summary)

        # Nothing came from anywhere but claimsd.
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        foreign = [r for r in resources if not r.startswith(origin + "/")]
        check("every resource the page loaded came from claimsd", not foreign, str(foreign))

        page = driver.get_screenshot_as_png()
        page_image = image_of(page)
        check("the page screenshot is not blank",
              len(page_image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50
              and share_drawn(page_image) > 0.02)
        keep = os.environ.get("CHECK_PLAYGROUND_SCREENSHOT")
        if keep:
            page_image.quantize(colors=128).save(keep, optimize=True)
            print(f"screenshot kept in {keep}")
    except TimeoutException as e:
        failures.append(f"the page did not answer within {WAIT_SECONDS}s: {e.msg}")
        print("FAIL", failures[-1])
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception as e:  # noqa: BLE001  (the browser may be gone already)
                print("chromedriver quit:", e)
        stop(driver_process)
        stop(claimsd_process)
        if failures:
            for name in ("claimsd.log", "chromedriver.log"):
                path = f"{work}/{name}"
                if os.path.exists(path):
                    with open(path, encoding="utf-8", errors="replace") as f:
                        print(f"--- {name} (end)\n{f.read()[-3000:]}")
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("playground page: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
