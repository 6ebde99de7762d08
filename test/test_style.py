"""Style is checked where the code is tested: ruff (ruff.toml) passes on the whole tree, no
class grows past 250 lines, and the README stays short and links every doc."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    command = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = subprocess.run([command, "check", "--output-format", "concise", str(ROOT)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_class_over_250_lines_and_the_node_module_under_250():
    import ast

    too_long = []
    for path in sorted((ROOT / "siamcar_ros").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 250:
                too_long.append(f"{path.relative_to(ROOT)}: {node.name} {node.end_lineno - node.lineno + 1}")
    assert not too_long
    assert len((ROOT / "siamcar_ros" / "ros" / "node.py").read_text().splitlines()) < 250


def test_readme_is_short_and_links_every_doc():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 250
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{doc.name}" in readme, doc.name
