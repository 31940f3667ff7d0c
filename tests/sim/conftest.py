import sys
from pathlib import Path

# The planted bugs live in examples/ (the demo and the benchmark use them too).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
