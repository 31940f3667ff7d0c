"""The command line the simulator benchmark scripts share (bench/sim.py, sim_net.py,
sim_disk.py): ``--seconds S`` of measuring per scenario, and ``--json`` to print one JSON object
(for bench/report.py and bench/compare_builds.py) instead of markdown tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import tonio


def parser(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with ``--seconds`` and ``--json``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (the same numbers, plus the tonio and Python in use) "
        "instead of the tables",
    )
    return parser


def report(result: dict, as_json: bool, markdown: Callable[[dict], str]) -> None:
    """Prints ``result`` as JSON (with the tonio and Python that measured it) or as tables."""
    if as_json:
        result["tonio"] = tonio.__file__
        result["python"] = sys.version.split()[0]
        print(json.dumps(result))
    else:
        print(markdown(result))
