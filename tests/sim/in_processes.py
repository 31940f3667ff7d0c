"""Running a snippet in fresh interpreters, for the tests that a seed gives the same run in
every process (hash randomization, allocation addresses and import order differ there)."""

import subprocess
import sys


def outputs_in_processes(code: str, count: int = 3) -> set[str]:
    """What ``python -c code`` printed, in each of ``count`` fresh interpreters (a set: one
    element when they all printed the same)."""
    return {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout
        for _ in range(count)
    }
