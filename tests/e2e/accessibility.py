"""axe-core in the page under test, from the pinned package (axe-playwright-python bundles
axe.min.js): no CDN. Playwright's evaluate is not bound by the page's CSP."""
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.screens import shoot

_AXE = Axe()
BLOCKING = ("serious", "critical")


def blocking_violations(page):
    """[(rule, impact, first targets, help)] for every serious or critical violation."""
    found = _AXE.run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3], v["help"])
            for v in found if v["impact"] in BLOCKING]


def checked_screen(page, name, copy_to):
    """Look at the page (a screenshot named ``name``, copied to ``copy_to``), then require
    that it does not scroll sideways and has no serious or critical axe violation."""
    shoot(page, name, copy_to)
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0, name
    assert blocking_violations(page) == [], (name, blocking_violations(page))
