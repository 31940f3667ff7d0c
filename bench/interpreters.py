"""Where the benchmarks find the interpreters they compare (each with its own tonio) and the
native tools: this tree's venv (ours), tonio 0.6.0's venv, the peers' venv (asyncio, trio),
and the native load clients built by bench/run.sh."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / ".venv/bin/python"
TONIO060 = ROOT / "bench/.venvs/tonio060/bin/python"
PEERS = ROOT / "bench/.venvs/peers/bin/python"
NATIVE = ROOT / "bench/native/target/release"
