"""Builds the docs site (`make docs`): the README as the home page, every page of docs/, and an
API reference generated from the package's docstrings and stubs (mkdocstrings), with search.

    python scripts/build-docs.py [--out DIR]      (default: site/)

The pages are the very files `tests/sim/test_doc_examples.py` executes; they are staged into
`build/docs/` first: the README's links into `docs/` become links between pages, and its links
to other files of the repository become plain names (the site does not carry them).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "docs"

#: The API reference: one page per public module, in this order.
API = [
    ("tonio", "tonio: runtime, tasks, processes (yield flavour)"),
    ("tonio.colored", "tonio.colored: the async/await flavour"),
    ("tonio.time", "tonio.time"),
    ("tonio.sync", "tonio.sync"),
    ("tonio.net", "tonio.net"),
    ("tonio.net.tls", "tonio.net.tls"),
    ("tonio.fs", "tonio.fs"),
    ("tonio.io", "tonio.io"),
    ("tonio.sim", "tonio.sim"),
    ("tonio.testing", "tonio.testing"),
    ("tonio.exceptions", "tonio.exceptions"),
]

PAGES = [
    ("Home", "index.md"),
    ("Coming from tonio 0.6", "coming-from-tonio-0.6.md"),
    ("Cancellation", "cancellation.md"),
    ("Sync and channels", "sync.md"),
    ("Networking", "networking.md"),
    ("Files and processes", "files-and-processes.md"),
    ("The simulator", "simulator.md"),
]

LINK = re.compile(r"\[([^\]]+)\]\(([^)#]+)(#[^)]*)?\)")


def home_page(readme: str) -> str:
    """The README with its links rewritten for the site."""

    def relink(match: re.Match[str]) -> str:
        text, target, anchor = match[1], match[2], match[3] or ""
        if target.startswith(("http://", "https://")):
            return match[0]
        if target.startswith("docs/") and target.endswith(".md"):
            return f"[{text}]({target.removeprefix('docs/')}{anchor})"
        return f"{text} (`{target}` in the repository)"

    return LINK.sub(relink, readme)


def api_page(module: str, title: str) -> str:
    return f"# {title}\n\n::: {module}\n"


def config(site: Path) -> str:
    nav = "\n".join(f"  - {title}: {page}" for title, page in PAGES)
    api = "\n".join(f"      - {module}: api/{module}.md" for module, _ in API)
    return f"""site_name: tonio
site_description: A multi-threaded async runtime for free-threaded CPython, with a simulator.
docs_dir: {STAGE / "src"}
site_dir: {site}
use_directory_urls: false
strict: true
theme:
  name: readthedocs
  highlightjs: false  # it comes from a CDN: the site must work offline
nav:
{nav}
  - API reference:
{api}
validation:
  links:
    not_found: warn
    anchors: warn
plugins:
  - search
  - mkdocstrings:
      handlers:
        python:
          paths: [{ROOT / "python"}]
          options:
            extensions: ["{ROOT / "scripts" / "docs_sphinx_roles.py"}:SphinxRoles"]
            show_source: false
            show_root_heading: false
            members_order: source
            filters: ["!^_"]
            docstring_style: sphinx
"""


def stage() -> None:
    source = STAGE / "src"
    if source.exists():
        shutil.rmtree(source)
    (source / "api").mkdir(parents=True)
    for page in (ROOT / "docs").iterdir():
        shutil.copy(page, source / page.name)
    (source / "index.md").write_text(home_page((ROOT / "README.md").read_text()))
    for module, title in API:
        (source / "api" / f"{module}.md").write_text(api_page(module, title))


def build(site: Path) -> None:
    stage()
    config_file = STAGE / "mkdocs.yml"
    config_file.write_text(config(site))
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--clean", "-f", str(config_file)],
        check=True,
        cwd=ROOT,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args()
    build(args.out.resolve())
    print(f"docs site: {args.out / 'index.html'}")


if __name__ == "__main__":
    main()
