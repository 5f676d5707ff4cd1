"""Headless Chromium for tests of pages, through selenium and the system's chromedriver.

    from browser import chromium_driver, network_requests

    def test_page(tmp_path):
        with chromium_driver() as driver:        # skips the test when no browser is installed
            driver.get(page.as_uri())
            assert all(url.startswith("file:") for url in network_requests(driver))

The browser and driver come from the system (Debian: ``apt-get install chromium chromium-driver``;
elsewhere set ``MICROEXP_CHROMIUM`` and ``MICROEXP_CHROMEDRIVER``); selenium is told both paths, so
it never downloads a driver.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = Path(os.environ.get("MICROEXP_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("MICROEXP_CHROMEDRIVER", "/usr/bin/chromedriver"))

#: Switches that keep the browser quiet and self-contained: no sandbox (tests often run as root in a
#: container), no GPU, no background traffic of its own (updates, safe browsing, metrics).
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-extensions",
                 "--disable-sync", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                 "--metrics-recording-only", "--mute-audio", "--force-device-scale-factor=1")


def browser_missing() -> str | None:
    """Why headless Chromium through selenium cannot run here, or None when it can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set MICROEXP_CHROMIUM)"
    if not os.access(CHROMEDRIVER, os.X_OK):
        return f"chromedriver is not installed at {CHROMEDRIVER} (apt-get install chromium-driver, or set MICROEXP_CHROMEDRIVER)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def chromium_driver(width: int = 1400, height: int = 900, *, performance_log: bool = True) -> Iterator:
    """A headless Chromium WebDriver whose pages are ``width`` x ``height`` CSS pixels; the test is
    skipped when Chromium, chromedriver or selenium is absent. With ``performance_log`` the
    DevTools events (network requests among them) can be read with :func:`network_requests`."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="microexp-chromium-")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={profile}")
    if performance_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        # The window size includes the browser's frame; the page is to see exactly width x height.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        driver.get("about:blank")  # leave the start page (and its chrome:// requests) behind
        if performance_log:
            driver.get_log("performance")
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


#: Documents of the browser itself (its start page, say), whose requests are no page's doing.
BROWSER_PAGES = ("chrome://", "chrome-untrusted://", "devtools://")


def network_requests(driver) -> list[str]:
    """URLs of every request sent since the last call (``Network.requestWillBeSent`` in the
    performance log; the driver must have been made with ``performance_log=True``), the page's own
    URL among them; requests of the browser's own pages (:data:`BROWSER_PAGES`) are left out."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            params = message["params"]
            if not params.get("documentURL", "").startswith(BROWSER_PAGES):
                urls.append(params["request"]["url"])
    return urls


def screenshot_page(index_html: str | Path, png: str | Path, width: int = 1400, height: int = 900, *,
                    fragment: str = "") -> Path:
    """Open ``index_html`` from disk (``fragment``, e.g. ``"interval-3"``, after a ``#``) and save
    what a ``width`` x ``height`` window shows as ``png``; skips the test when no browser is installed."""
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    url = Path(index_html).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    with chromium_driver(width, height, performance_log=False) as driver:
        driver.get(url)
        driver.save_screenshot(str(png))
    return png
