"""The Python examples of README.md and the docs/ pages in DOCS run as shown.

Every ```python block runs (a pytest test through pytester, anything else in a fresh
interpreter), unless the line before it says ``<!-- not run: <reason> -->`` (a fragment, or a
server that runs until interrupted). An example that does not run is a failing test.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
# The README and every page of the docs site (`make docs` builds it from these same files).
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?P<skip><!-- not run: [^>]*-->\n)?```python\n(?P<code>.*?)```", re.S)


def examples():
    found = []
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        for match in BLOCK.finditer(text):
            if match["skip"]:
                continue
            line = text[: match.start("code")].count("\n") + 1
            found.append(pytest.param(match["code"], id=f"{doc}:{line}"))
    return found


def test_there_are_examples_to_run():
    assert len(examples()) >= 4


@pytest.mark.parametrize("code", examples())
def test_example_runs(code, pytester):
    if "@pytest.mark.tonio" in code:
        pytester.makepyfile(test_doc_example=code)
        result = pytester.runpytest("-p", "tonio")
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= 1, result.stdout.str()
        assert not outcomes.get("failed") and not outcomes.get("errors"), result.stdout.str()
        return
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
