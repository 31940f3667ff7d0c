#!/usr/bin/env bash
# Runs the benchmarks side by side on one interpreter and prints the tables.
#   bench/run.sh                      all scenarios, print tables
#   bench/run.sh --write              also write them into bench/README.md
#   bench/run.sh --only NAME          one group: coroutines, channels, sim, simnet, simdisk, echo,
#                                   http, tls, parallel, files
# Peers are installed from PyPI into their own venvs (tonio 0.6.0 has the same import name).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(scripts/find-python.sh)
if [ ! -x bench/.venvs/tonio060/bin/python ]; then
    "$PY" -m venv bench/.venvs/tonio060
    bench/.venvs/tonio060/bin/python -m pip install -q tonio==0.6.0
fi
if [ ! -x bench/.venvs/peers/bin/python ]; then
    "$PY" -m venv bench/.venvs/peers
    bench/.venvs/peers/bin/python -m pip install -q trio
fi
# The native load clients (TCP and TLS) are for the echo and TLS groups only.
only=""
args=("$@")
for i in "${!args[@]}"; do
    case "${args[$i]}" in
        --only) only="${args[$((i + 1))]:-}" ;;
        --only=*) only="${args[$i]#--only=}" ;;
    esac
done
if [ -z "$only" ] || [ "$only" = echo ] || [ "$only" = tls ]; then
    cargo build --release --quiet --manifest-path bench/native/Cargo.toml
fi
# The HTTP group: wrk (Debian's package) drives an h11 server (PyPI) on every runtime.
if [ -z "$only" ] || [ "$only" = http ]; then
    if ! command -v wrk >/dev/null; then
        apt-get update -qq && apt-get install -y -qq wrk
    fi
    for py in .venv/bin/python bench/.venvs/tonio060/bin/python bench/.venvs/peers/bin/python; do
        "$py" -c 'import h11' 2>/dev/null || "$py" -m pip install -q h11
    done
fi
.venv/bin/python bench/report.py "$@"
