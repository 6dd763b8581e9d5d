"""In Debian's Chromium, every page of the console (every URL pattern, found by
walking the URL map, with objects made for those that need them) loads with
no content-security-policy violation."""

from urllib.parse import urljoin

import pytest
from playwright.sync_api import Error as PlaywrightError

from fwconsole.roles import Role
from tests.fwconsole.pages import every_page  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs in every document before the page's own scripts; the event fires for
# each refused script, style, image, connection or frame.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}` +
    ` at ${event.sourceFile || ""}:${event.lineNumber || ""}`
  );
});
"""


LINKS_WITH_QUERIES = """
[...document.querySelectorAll("a[href*='?']")]
  .map((a) => a.getAttribute("href"))
  .filter((href) => href.startsWith("?") || href.startsWith("/"))
"""


def visit(page, console, url):
    """Load a page; return its CSP violations (None if it does not render)."""
    console.clear()
    try:
        page.goto(url, wait_until="load")
    except PlaywrightError:
        # A POST-only view answers GET with an empty 405: nothing renders.
        return None
    page.wait_for_timeout(150)
    return sorted(set(page.evaluate("window.__cspViolations || []") + console))


def test_every_page_loads_without_a_csp_violation(
    signed_in_page,
    live_server,
    every_page,  # noqa: F811 - the fixture imported above
):
    page = signed_in_page(Role.ADMIN, username="csp-admin")
    page.add_init_script(LISTEN)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )

    violations = {}
    linked = set()
    paths = sorted(set(every_page) - {"/accounts/logout/"})
    for path in paths:
        found = visit(page, console, live_server.url + path)
        if found:
            violations[path] = found
        if found is not None and "/api/" not in path:
            # Sorted, filtered and paged views of the same page, as linked.
            hrefs = page.evaluate(LINKS_WITH_QUERIES)
            linked.update(urljoin(path, href) for href in hrefs[:5])
    for path in sorted(linked - set(paths))[:60]:
        found = visit(page, console, live_server.url + path)
        if found:
            violations[path] = found

    assert len(paths) >= 20
    assert violations == {}, "\n".join(
        f"{path}: {found}" for path, found in violations.items()
    )
