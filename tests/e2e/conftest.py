"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HOMEOPS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
# HOMEOPS_UPDATE_SCREENSHOTS=1 writes the pictures the README shows into docs/screenshots/.
SHOTS = ROOT / ("docs/screenshots" if os.environ.get("HOMEOPS_UPDATE_SCREENSHOTS") else "test-results/screenshots")

# Playwright's sync API runs an event loop in this thread; the ORM calls in these tests are
# ordinary synchronous ones, made between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "e2e" in str(item.path):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API keeps an event loop running on this thread while the
    browser lives, and later tests in the same process need asyncio.run()."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception:  # Chromium sometimes cannot capture on a loaded machine; once more
        page.wait_for_timeout(500)
        page.screenshot(path=str(path), full_page=True)
    return path


# The chat streams, so its browser tests use the uvicorn server the gateway's tests start.
from tests.gateway.conftest import gateway_url  # noqa: E402, F401 (a fixture)


def account_menu(page):
    """Opens the header's account menu (a details element) and gives it back."""
    menu = page.locator("details.who")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu


@pytest.fixture(autouse=True)
def _fresh_gateway_snapshot():
    """The live server runs in this process: a snapshot a previous test's request loaded (its
    data, another cache prefix) must not answer this test's first page."""
    from apps.gateway import snapshot

    snapshot._current, snapshot._version_seen = None, (0.0, None)
    snapshot.forget_states()
    yield
    snapshot._current = None
