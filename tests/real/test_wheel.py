"""The README's "Use it in your project": a wheel built for this interpreter installs into a
fresh venv made with the same interpreter, and `examples/demo.py` runs there on the installed
package (not on this checkout's `python/`)."""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    maturin = Path(sys.executable).parent / "maturin"
    if not maturin.exists():
        pytest.skip("maturin is a dev requirement (requirements-dev.txt)")
    subprocess.run(
        [str(maturin), "build", "--release", "--interpreter", sys.executable, "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=1800,
    )
    (built,) = out.glob("tonio-*.whl")
    return built


def test_a_fresh_venv_installs_the_wheel_and_runs_the_demo(wheel, tmp_path):
    assert sysconfig.get_config_var("Py_GIL_DISABLED") == 1
    assert "cp313t" in wheel.name or "cp314t" in wheel.name, wheel.name
    base = getattr(sys, "_base_executable", sys.executable)
    venv = tmp_path / "venv"
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", str(wheel)],
        check=True,
        timeout=600,
    )
    where = subprocess.run(
        [str(python), "-c", "import tonio; print(tonio.__file__, tonio.__version__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert str(venv) in where and "0.1.0" in where, where
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    demo = subprocess.run(
        [str(python), str(ROOT / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    for section in ("== 1.", "== 6.", "== 9. the simulated disk"):
        assert section in demo.stdout, demo.stdout[-2000:]
