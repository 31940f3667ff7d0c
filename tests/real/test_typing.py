"""The public API's types, as a type checker sees them (mypy --strict, installed by make test).

tests/typing/reveal.py holds `reveal_type(...)  # expect: T` lines and lines marked
`# error: code`; mypy's output must match them exactly. examples/typed.py (a typed program in
both flavours) must check clean, and mypy.stubtest must find tonio/_tonio.pyi true to the
compiled extension.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REVEAL = ROOT / "tests/typing/reveal.py"

pytest.importorskip("mypy", reason="mypy is a dev requirement (requirements-dev.txt)")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One mypy cache for the module's runs (the standard library is analysed once)."""
    return tmp_path_factory.mktemp("mypy-cache")


def mypy(path: Path, cache: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache)]
        + ["--no-error-summary", "--hide-error-context", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert not result.stderr.strip(), result.stderr
    return result.stdout.splitlines()


def test_revealed_types_and_errors_match_the_annotations(cache):
    expected_types: dict[int, str] = {}
    expected_errors: dict[int, str] = {}
    for number, line in enumerate(REVEAL.read_text().splitlines(), start=1):
        if m := re.search(r"# expect: (.+)$", line):
            expected_types[number] = m.group(1).strip()
        if m := re.search(r"# error: ([\w-]+)", line):
            expected_errors[number] = m.group(1)
    assert expected_types and expected_errors

    revealed: dict[int, str] = {}
    errors: dict[int, set[str]] = {}
    for line in mypy(REVEAL, cache):
        if m := re.match(r".*reveal\.py:(\d+): note: Revealed type is \"(.+)\"$", line):
            revealed[int(m.group(1))] = m.group(2)
        elif m := re.match(r".*reveal\.py:(\d+): error: .*\[([\w-]+)\]$", line):
            errors.setdefault(int(m.group(1)), set()).add(m.group(2))
        else:
            raise AssertionError(f"unexpected mypy output: {line}")
    assert revealed == expected_types
    assert errors == {line: {code} for line, code in expected_errors.items()}


def test_the_typed_example_checks_clean(cache):
    assert mypy(ROOT / "examples/typed.py", cache) == []


def test_the_stubs_match_the_extension(cache):
    # mypy.stubtest imports tonio._tonio and compares every name and signature with
    # tonio/_tonio.pyi; the allowlist names the deliberate differences, each with its reason.
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "tonio._tonio", "--mypy-config-file", "/dev/null"]
        + ["--allowlist", str(ROOT / "scripts/stubtest-allowlist.txt"), "--concise"],
        capture_output=True,
        text=True,
        cwd=ROOT / "python",
        timeout=600,
        env={**os.environ, "MYPY_CACHE_DIR": str(cache)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typed_example_runs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples/typed.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "yield flavour: (43, 'hello tonio', 45, 2)" in result.stdout
    assert "@tonio.main keeps the function's type: 10" in result.stdout
    assert "simulated TLS service: 'hello', b'saved hello', 3 seeds" in result.stdout


def test_generic_classes_can_be_subscripted_at_run_time():
    # Annotations Python evaluates (a parameter's, before 3.14) must not fail.
    from tonio._tonio import AsCompleted, Receiver, Sender, Suspension, UnboundedSender

    for cls in (AsCompleted, Receiver, Sender, Suspension, UnboundedSender):
        alias = cls[int]
        assert alias.__origin__ is cls and alias.__args__ == (int,)

    def annotated(tx: Sender[int], rx: Receiver[str]) -> Suspension[None]: ...

    assert annotated.__annotations__["tx"] == Sender[int]
