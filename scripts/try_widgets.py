#!/usr/bin/env python3
"""Try the notebooks' widgets in a real JupyterLab, in a real browser.

The explorers (s.ExploreAugmentation, s.ExploreRuns, s.ExploreGradCAM) only
work with a browser on the other end; CI executes the notebooks headless, and
TestWidgetsFakeFrontEnd speaks GoNB's widget protocol without a browser. This
script is the by-hand check done by a program: it starts JupyterLab with the
GoNB kernel on a copy of explore-data.ipynb and inference.ipynb, opens each in
Chromium, runs all cells from JupyterLab's Run menu, and for every explorer
moves its first control (a slider to another value, a list to its last entry),
waits until the view below it redraws, presses Done, and at the end checks
that no cell shows a fernb error box. Screenshots of each explorer before and
after are left in --out. Exit status 0 when every explorer redrew and no error
showed.

Needs what ./fernb.sh setup installs (the .venv with Jupyter and the GoNB
kernel, .tools/bin) plus, outside it, a Chromium and Playwright for Python
(not part of the set-up: a developer's tool). On Debian:

    apt-get install chromium
    python3 -m venv /tmp/pw && /tmp/pw/bin/pip install playwright   # 1.65.2 tried
    /tmp/pw/bin/python scripts/try_widgets.py --data ../shared/data/fer2013

Playwright's own browser download is not needed: the system Chromium is used
(--chromium). The notebooks run at scale quick in a temporary run folder, so
inference.ipynb trains its two small runs in about a minute.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each notebook and the kinds of its explorers' first controls, in order.
NOTEBOOKS = {"explore-data.ipynb": ["slider"], "inference.ipynb": ["select", "slider"]}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def start_lab(work, port, token, data):
    venv = os.environ.get("FERNB_VENV", os.path.join(ROOT, ".venv"))
    env = dict(os.environ)
    env.pop("FERNB_HEADLESS", None)
    env.update({
        "PATH": os.path.join(ROOT, ".tools", "bin") + os.pathsep + os.path.join(venv, "bin") + os.pathsep + env["PATH"],
        "GOMLX_NO_AUTO_INSTALL": "1",
        "JUPYTER_DATA_DIR": os.path.join(venv, "share", "jupyter"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "FERNB_ROOT": ROOT,
        "FERNB_SCALE": "quick",
        "FERNB_RUNS": os.path.join(work, "runs"),
        "FERNB_PLOTS": os.path.join(work, "plots"),
    })
    if data:
        env["FER_DATA"] = os.path.abspath(data)
    cmd = [os.path.join(venv, "bin", "jupyter"), "lab", "--no-browser", "--port", str(port),
           "--IdentityProvider.token=" + token, "--ServerApp.root_dir=" + work]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    logf = open(os.path.join(work, "jupyter.log"), "w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"JupyterLab exited; see {work}/jupyter.log")
            time.sleep(1)
    sys.exit(f"JupyterLab did not answer on port {port}; see {work}/jupyter.log")


def wait_kernel_idle(base, nb, timeout=180):
    """Waits until the notebook's kernel exists and reports idle (REST API)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(f"{base}/api/sessions?token={TOKEN}", timeout=5) as r:
                for s in json.load(r):
                    if s.get("path", "").endswith(nb) and s["kernel"].get("execution_state") == "idle":
                        return
        except OSError:
            pass
        time.sleep(2)
    raise TimeoutError(f"{nb}: its kernel did not start within {timeout} s")


def try_notebook(page, base, nb, kinds, out, timeout):
    failures = []
    page.goto(f"{base}/lab/tree/{nb}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Notebook", timeout=180000)
    wait_kernel_idle(base, nb)
    for attempt in range(3):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        log(nb, "running all cells")
        # JupyterLab can take the click before it has connected to the kernel;
        # then nothing runs and the cells keep empty prompts.
        t0 = time.time()
        while time.time() - t0 < 60 and not page.locator(".jp-InputPrompt:has-text('[')").filter(has_not_text="[ ]").count():
            time.sleep(2)
        if page.locator(".jp-InputPrompt:has-text('[')").filter(has_not_text="[ ]").count():
            break
        log(nb, "no cell started; trying again")
    else:
        return [f"{nb}: Run All Cells started no cell"]
    for k, kind in enumerate(kinds):
        sel = "input[type=range]" if kind == "slider" else "select"
        page.wait_for_selector(f".jp-Cell {sel}", timeout=timeout * 1000)
        cell = page.locator(f".jp-Cell:has({sel})").last
        cell.scroll_into_view_if_needed()

        def images():
            return [(i.get_attribute("src") or "") for i in cell.locator("img").all()]

        t0 = time.time()
        while not images() and time.time() - t0 < 300:
            time.sleep(1)
        time.sleep(2)
        before = images()
        cell.screenshot(path=os.path.join(out, f"{nb}-{k}-{kind}-before.png"))
        control = cell.locator(sel).first
        if kind == "slider":
            control.evaluate("""e => {
                e.value = Number(e.value) == Number(e.min) ? Math.floor((Number(e.min) + Number(e.max)) / 2) : e.min;
                e.dispatchEvent(new Event('input', {bubbles: true}));
                e.dispatchEvent(new Event('change', {bubbles: true}));
            }""")
        else:
            options = control.locator("option").all_inner_texts()
            control.select_option(index=len(options) - 1)
        t0, redrawn = time.time(), False
        while time.time() - t0 < 300:
            time.sleep(1)
            now = images()
            if now and now != before:
                redrawn = True
                break
        cell.screenshot(path=os.path.join(out, f"{nb}-{k}-{kind}-after.png"))
        log(nb, f"explorer {k + 1} ({kind}):", "redrew" if redrawn else "did NOT redraw", f"in {time.time() - t0:.0f} s")
        if not redrawn:
            failures.append(f"{nb}: explorer {k + 1} ({kind}) did not redraw")
        cell.locator("button:has-text('Done')").click()
        try:
            cell.locator(sel).first.wait_for(state="detached", timeout=120000)
        except Exception:
            failures.append(f"{nb}: explorer {k + 1} ({kind}) kept its controls after Done")
    t0 = time.time()
    while time.time() - t0 < timeout:
        if not page.locator(".jp-InputPrompt:has-text('[*]')").count():
            break
        time.sleep(2)
    else:
        failures.append(f"{nb}: cells still running after {timeout} s")
    errors = page.locator(".fernb-error").all_inner_texts()
    for e in errors:
        failures.append(f"{nb}: error box: {e[:300]}")
    page.screenshot(path=os.path.join(out, f"{nb}-end.png"))
    log(nb, "done;", len(errors), "error boxes")
    return failures


TOKEN = "fernb-try-widgets"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("FER_DATA", ""), help="FER2013 path (default $FER_DATA; none: synthetic faces)")
    ap.add_argument("--out", default=os.path.join(ROOT, "plots", "out", "try-widgets"), help="folder for the screenshots")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium", help="Chromium executable")
    ap.add_argument("--port", type=int, default=8899)
    ap.add_argument("--timeout", type=int, default=900, help="seconds to wait for a notebook's cells")
    args = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("needs Playwright for Python: python3 -m venv /tmp/pw && /tmp/pw/bin/pip install playwright")
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fernb-widgets-")
    for nb in NOTEBOOKS:
        shutil.copy(os.path.join(ROOT, "notebooks", nb), work)
    lab = start_lab(work, args.port, TOKEN, args.data)
    failures = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for nb, kinds in NOTEBOOKS.items():
                try:
                    failures += try_notebook(page, f"http://127.0.0.1:{args.port}", nb, kinds, args.out, args.timeout)
                except Exception as e:  # a timeout waiting for a control, a click that failed
                    failures.append(f"{nb}: {type(e).__name__}: {str(e).splitlines()[0]}")
            browser.close()
    finally:
        os.killpg(lab.pid, signal.SIGTERM)  # JupyterLab and its kernels (own session)
        lab.wait(timeout=30)
    log("screenshots in", args.out, "; JupyterLab log", os.path.join(work, "jupyter.log"))
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("ok: every explorer redrew and closed, no error box")


if __name__ == "__main__":
    main()
