"""The built documentation renders in a real headless browser (Debian's
chromium + chromium-driver, driven by Selenium): title, a figure image that
loaded, math typeset by the bundled MathJax, and no console errors.

The site is built by ``.ci/run`` with ``sphinx-build``; if docs/_build/html is
missing, this test builds it first (tutorials executed).

The browser is a system program, not a Python package: where chromium or
chromedriver (or selenium) is missing, these tests are skipped with a one-line
reason before anything is built. ``.ci/run`` sets ``KUBIK_REQUIRE_BROWSER=1``,
which turns that skip into a failure, so CI always runs them."""
import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "_build" / "html"
INSTALL_HINT = "install Debian's chromium and chromium-driver (.ci/run does)"


def missing_browser_programs():
    """What is missing for these tests, as one line ('' when nothing is)."""
    missing = []
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        missing.append("chromium")
    if not shutil.which("chromedriver"):
        missing.append("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    return ", ".join(missing)


@pytest.fixture(scope="session")
def browser_programs():
    """Skips (or, with KUBIK_REQUIRE_BROWSER=1 as in CI, fails) before the site is built."""
    missing = missing_browser_programs()
    if missing:
        message = f"browser tests need {missing}: {INSTALL_HINT}"
        if os.environ.get("KUBIK_REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail(message + " [KUBIK_REQUIRE_BROWSER is set]", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def site(browser_programs):
    if not (SITE / "index.html").exists() or not (SITE / "tutorials" / "backprop.html").exists():
        subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                        str(ROOT / "docs"), str(SITE)], check=True)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(browser_programs):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    profile = tempfile.mkdtemp(prefix="kubik-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _errors(driver):
    """SEVERE console entries, less the browser's own favicon.ico probe."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]


def _wait(driver, script, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def test_index_renders(site, browser):
    browser.get(site + "/index.html")
    assert browser.title.startswith("kubik")
    links = browser.execute_script("return [...document.querySelectorAll('a.reference.internal')].map(a => a.href)")
    assert any("tutorials/backprop.html" in h for h in links)
    assert any("generated/api.html" in h for h in links)
    assert _errors(browser) == []


def test_tutorial_renders_figure_and_math(site, browser):
    browser.get(site + "/tutorials/backprop.html")
    assert "Backpropagation by building blocks" in browser.title
    # a figure produced by the build (matplotlib output of an executed cell) has loaded
    _wait(browser, "return [...document.images].some(i => i.complete && i.naturalWidth > 0"
                   " && i.src.includes('/_images/'))")
    # MathJax (served from _static) has typeset the formulas as SVG
    n = _wait(browser, "return document.querySelectorAll('mjx-container svg').length")
    assert n >= 5
    assert "\\frac" not in browser.execute_script("return document.body.innerText")
    assert _errors(browser) == []
