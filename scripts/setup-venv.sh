#!/usr/bin/env bash
# Creates .venv with a free-threaded CPython (see find-python.sh), installs the build and test
# tools, and builds tonio into it (maturin develop, release mode). Safe to run repeatedly: the
# venv is reused while it was made from the same interpreter, and cargo rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=$(scripts/find-python.sh)
VENV=.venv
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.tonio-python" 2>/dev/null)" != "$PYTHON" ]; then
    echo "setup: creating $VENV with $PYTHON" >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    echo "$PYTHON" > "$VENV/.tonio-python"
fi
if ! "$VENV/bin/python" -c 'import maturin, pytest, pytest_timeout' 2>/dev/null || [ requirements-dev.txt -nt "$VENV/.tonio-deps" ]; then
    "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
    touch "$VENV/.tonio-deps"
fi
echo "setup: building tonio (release)" >&2
VIRTUAL_ENV="$PWD/$VENV" PYO3_PYTHON="$PWD/$VENV/bin/python" "$VENV/bin/maturin" develop --release -q >&2
