"""The HTML report in a real headless Chromium (Selenium + chromedriver).

Skipped, with the reason, when the ``selenium`` package, Chromium or
chromedriver is missing; ``.ci/chromium.sh`` installs Debian's chromium and
chromium-driver. KMEANSLAB_CHROMIUM and KMEANSLAB_CHROMEDRIVER point at other
binaries.
"""

import os
import shutil

import pytest

from kmeanslab import KMeans
from kmeanslab.metrics import silhouette_samples
from kmeanslab.report import write_report
from kmeanslab.selection import choose_k

FAST_CRITERIA = ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin")
# Flags for a closed network: without the background-networking ones
# Chromium's own connections are refused and logged.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--window-size=1200,900")
# Collects uncaught errors, rejected promises and Content-Security-Policy
# violations (a blocked network request) before the page's own script runs.
ERROR_COLLECTOR = """
window.__reportErrors = [];
window.addEventListener("error", function (e) {
  window.__reportErrors.push("error: " + (e.message || e.target && e.target.outerHTML));
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__reportErrors.push("unhandled rejection: " + e.reason);
});
document.addEventListener("securitypolicyviolation", function (e) {
  window.__reportErrors.push("CSP: " + e.blockedURI + " " + e.violatedDirective);
});
"""
CENTERS_JS = """
return Array.from(document.querySelectorAll("#replay-centers circle"))
  .map(function (c) { return [c.getAttribute("cx"), c.getAttribute("cy")]; });
"""
CANVAS_JS = "return document.getElementById('replay-canvas').toDataURL();"


def _binary(env, *names):
    path = os.environ.get(env)
    if path:
        return path if os.access(path, os.X_OK) else None
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if os.access(
            f"/usr/bin/{name}", os.X_OK) else None)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    webdriver = pytest.importorskip(
        "selenium.webdriver",
        reason="the browser test needs the selenium package (pip install selenium)")
    chromium = _binary("KMEANSLAB_CHROMIUM", "chromium", "chromium-browser")
    if chromium is None:
        pytest.skip("Chromium not found (run .ci/chromium.sh, or set KMEANSLAB_CHROMIUM)")
    chromedriver = _binary("KMEANSLAB_CHROMEDRIVER", "chromedriver")
    if chromedriver is None:
        pytest.skip("chromedriver not found (run .ci/chromium.sh, or set "
                    "KMEANSLAB_CHROMEDRIVER)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                            {"source": ERROR_COLLECTOR})
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def seed_report(seed_blobs, tmp_path_factory):
    """The seed run's report: (file URL, fitted KMeans, KSelection)."""
    X, init = seed_blobs
    km = KMeans(4, init=init, record_labels=True).fit(X)
    selection = choose_k(X, range(2, 9), criteria=FAST_CRITERIA, random_state=0,
                         progress=False)
    path = write_report(tmp_path_factory.mktemp("report") / "report.html", X=X,
                        labels=km.labels_, centers=km.cluster_centers_,
                        trace=km.trace_, selection=selection,
                        silhouette_values=silhouette_samples(X, km.labels_))
    return path.resolve().as_uri(), km, selection


@pytest.fixture
def page(driver, seed_report):
    """The report freshly loaded; after the test, no console message or page
    error may have appeared."""
    url = seed_report[0]
    assert url.startswith("file://")
    driver.get(url)
    driver.get_log("browser")  # drop messages of any earlier page
    yield driver
    messages = driver.get_log("browser")
    errors = driver.execute_script("return window.__reportErrors;")
    assert messages == [], messages
    assert errors == [], errors


def _label(browser):
    return browser.find_element("id", "iteration-label").text


def _set_slider(browser, value):
    browser.execute_script(
        "var s = document.getElementById('iteration-slider');"
        "s.value = arguments[0];"
        "s.dispatchEvent(new Event('input', {bubbles: true}));", str(value))


def test_loads_without_console_messages_or_errors(page, seed_report):
    _, km, _ = seed_report
    assert page.title == "kmeanslab report"
    # The script ran: it drew the canvas and set up the final frame.
    assert _label(page) == f"Iteration {km.n_iter_} of {km.n_iter_}"
    assert page.execute_script(
        "return document.getElementById('replay-canvas').width") > 0


def test_slider_input_changes_the_iteration_and_the_centres(page, seed_report):
    _, km, _ = seed_report
    before = (_label(page), page.execute_script(CENTERS_JS), page.execute_script(CANVAS_JS))
    _set_slider(page, 1)
    assert _label(page) == f"Iteration 1 of {km.n_iter_}"
    assert page.find_element("id", "iteration-inertia").text == \
        f"{km.trace_[0].inertia:,.0f}"
    assert page.find_element("id", "iteration-n-changed").text == "1,000"
    centres = page.execute_script(CENTERS_JS)
    assert len(centres) == 4 and centres != before[1]
    assert page.execute_script(CANVAS_JS) != before[2]  # points recoloured
    _set_slider(page, km.n_iter_)
    assert (_label(page), page.execute_script(CENTERS_JS)) == before[:2]


def test_arrow_keys_step_through_the_iterations(page, seed_report):
    from selenium.webdriver.common.keys import Keys

    _, km, _ = seed_report
    slider = page.find_element("id", "iteration-slider")
    slider.send_keys(Keys.HOME)
    assert _label(page) == "Initial centres (before iteration 1)"
    initial = page.execute_script(CENTERS_JS)
    slider.send_keys(Keys.ARROW_RIGHT)
    assert _label(page) == f"Iteration 1 of {km.n_iter_}"
    assert page.execute_script(CENTERS_JS) != initial


def test_play_runs_to_the_last_iteration(page, seed_report):
    from selenium.webdriver.support.ui import WebDriverWait

    _, km, _ = seed_report
    button = page.find_element("id", "play-button")
    button.click()  # at the last frame, play restarts from the first
    assert button.text == "Pause"
    WebDriverWait(page, 15).until(lambda b: b.find_element("id", "play-button").text == "Play")
    assert _label(page) == f"Iteration {km.n_iter_} of {km.n_iter_}"


def test_recommended_k_is_shown(page, seed_report):
    _, _, selection = seed_report
    assert page.find_element("id", "recommended-k").text == str(selection.recommended_k)
    assert len(page.find_elements("css selector", "figure.criterion")) == len(FAST_CRITERIA)
