"""Shared test helpers: a finite-difference oracle, independent of the engine's op table."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def central_difference(f: Callable[[list[float]], float], xs: Sequence[float], i: int) -> float:
    """d f / d xs[i] by the five-point central difference (error O(h^4)), stepping relative to |x|.

    The step is small enough (1e-5 |x|) that every probe stays on the same side of a kink at 0,
    so relu at +-1e-3 or log at 1e-6 are measured on the right branch.
    """
    x = float(xs[i])
    h = 1e-5 * abs(x) if x != 0.0 else 1e-6

    def at(shift: float) -> float:
        moved = [float(v) for v in xs]
        moved[i] = x + shift
        return f(moved)

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


@pytest.fixture(scope="session")
def fd() -> Callable[[Callable[[list[float]], float], Sequence[float], int], float]:
    """The finite-difference oracle as a fixture (session scope, so hypothesis tests may use it)."""
    return central_difference


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium through selenium, shared by every page test (skipped with the reason when absent).

    Open a page with ``browser.get(path.as_uri())``; ``console_errors(browser)`` lists what the page logged as
    SEVERE since the last call. The window is 1280x720, the size the pages must be readable at.
    """
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .[test])")
    driver_path = shutil.which("chromedriver")
    assert driver_path, "Chromium is installed but chromedriver is not: apt-get install chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,720",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")  # the window's frame takes some
    driver.set_window_size(1280 + 1280 - inner[0], 720 + 720 - inner[1])
    assert driver.execute_script("return [window.innerWidth, window.innerHeight]") == [1280, 720]
    yield driver
    driver.quit()


def console_errors(driver) -> list[str]:
    """The SEVERE messages the page in ``driver`` logged since the last call (each call empties the log)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


@contextmanager
def window(driver, width: int, height: int = 720, mobile: bool = False) -> Iterator[Any]:
    """The session's browser at ``width`` x ``height`` (desktop scroll bars unless ``mobile``), put back after."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    try:
        yield driver
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def notebook_page(path: Any, cell: str) -> Any:
    """Write ``cell`` (a result's ``_repr_html_``, an iframe) into a bare page at ``path``, as Jupyter shows it."""
    path.write_text(f"<!DOCTYPE html><html><head><link rel='icon' href='data:,'></head><body>{cell}</body></html>",
                    encoding="utf-8")
    return path


@contextmanager
def inside_frame(driver) -> Iterator[Any]:
    """The driver inside the page's first iframe for the block, back on the page after."""
    driver.switch_to.frame(driver.find_element("tag name", "iframe"))
    try:
        yield driver
    finally:
        driver.switch_to.default_content()
