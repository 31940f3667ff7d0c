"""The docs site (`make docs`, scripts/build-docs.py) builds, and works in a real browser: every
page loads, no internal link is broken, and search finds `timeout`. (The pages' code blocks are
executed by tests/sim/test_doc_examples.py: the site is built from the same files.)"""

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytest.importorskip("mkdocs", reason="mkdocs is a dev requirement (requirements-dev.txt)")

from headless_browser import Browser  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)
needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on this machine (make test installs Debian's chromium where it can, as "
    "root with apt-get; see scripts/setup-browser.sh)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/build-docs.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_the_site_has_every_page_and_an_api_reference(site):
    names = {str(p.relative_to(site)) for p in pages(site)}
    for doc in (ROOT / "docs").glob("*.md"):
        assert doc.with_suffix(".html").name in names
    assert {"index.html", "search.html", "api/tonio.html", "api/tonio.sim.html"} <= names
    api = (site / "api" / "tonio.sim.html").read_text()
    assert "explore" in api and "Failure" in api  # generated from the docstrings
    assert ":func:" not in api and ":class:" not in api  # Sphinx roles shown as names


def test_no_internal_link_is_broken(site):
    broken = []
    for page in pages(site):
        html = page.read_text()
        for href in re.findall(r'href="([^"]+)"', html):
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("mailto:", "//")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {href}")
            elif parts.fragment and target.suffix == ".html":
                if f'id="{parts.fragment}"' not in target.read_text():
                    broken.append(f"{page.relative_to(site)}: {href} (no such anchor)")
    assert not broken, "\n".join(broken)


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    chromium = Browser(CHROMIUM)
    yield chromium
    chromium.close()


@needs_browser
def test_every_page_loads_in_a_real_browser(site, served, browser):
    for page in pages(site):
        url = f"{served}/{page.relative_to(site)}"
        browser.open(url, f"location.href === {url!r} && document.readyState === 'complete'")
        heading = browser.evaluate("(document.querySelector('h1') || {}).textContent || ''")
        assert heading.strip(), f"{url}: no heading"
        assert browser.evaluate("document.title"), f"{url}: no title"


@needs_browser
def test_search_finds_timeout(served, browser):
    url = f"{served}/search.html?q=timeout"
    browser.open(url, "document.querySelectorAll('#mkdocs-search-results article').length > 0")
    links = browser.evaluate(
        "[...document.querySelectorAll('#mkdocs-search-results article a')]"
        ".map(a => a.getAttribute('href'))"
    )
    text = browser.evaluate("document.getElementById('mkdocs-search-results').innerText")
    assert "timeout" in text.lower()
    assert any("cancellation" in link or "api/tonio" in link for link in links), links
