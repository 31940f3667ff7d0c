"""scripts/module-cycles.py finds import cycles among a module directory's entries."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts/module-cycles.py"
CORE = SCRIPT.parents[1] / "src" / "common"


def write(root, name, text):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def run(root, *extra):
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root), *extra], capture_output=True, text=True
    )


def test_cycles_through_files_groups_and_sub_directories(tmp_path):
    root = tmp_path / "src" / "common"
    write(root, "mod.rs", "pub mod a; pub mod b; pub mod c; pub mod d; pub mod layer;")
    write(root, "a.rs", "use super::{b, d::Thing};\n// use super::c; (a comment, not an edge)\n")
    write(root, "b.rs", "fn f() { crate::common::layer::inner::g(); }\n")
    write(root, "layer/mod.rs", "pub mod inner;\n")
    write(root, "layer/inner.rs", "use super::super::a;\n")
    write(root, "c.rs", "use super::d;\n")
    write(root, "d.rs", "pub struct Thing;\n")
    result = run(root)
    assert result.returncode == 0
    assert "6 entries" not in result.stdout  # mod.rs is not an entry
    assert "5 entries" in result.stdout and "1 cycle(s)" in result.stdout
    assert "cycle of 3: a, b, layer" in result.stdout
    assert "a -> b; b -> layer; layer -> a\n" in result.stdout  # c -> d is no cycle
    failing = run(root, "--max", "2")
    assert failing.returncode == 1 and "larger than the allowed 2" in failing.stdout
    assert run(root, "--max", "3").returncode == 0


def test_the_cores_layers_depend_one_way():
    # src/common is five layers (base, io, run, wait, drive; see its mod.rs): no import cycle
    # among them, so a change in a layer can only reach the layers above it.
    result = run(CORE, "--max", "1")
    assert result.returncode == 0, result.stdout
    assert "5 entries" in result.stdout and "0 cycle(s)" in result.stdout, result.stdout


def test_no_python_classes_in_the_core():
    # Python-facing types live in src/bindings; the core keeps plain Rust types.
    found = [
        f"{path.relative_to(CORE)}: {line.strip()}"
        for path in sorted(CORE.rglob("*.rs"))
        for line in path.read_text().splitlines()
        if line.lstrip().startswith(("#[pyclass", "#[pymethods", "#[pyfunction", "#[pymodule"))
    ]
    assert found == []
