"""The arrows of ARCHITECTURE.md hold in the code: ``portal`` <- ``events`` <- the service areas, never back and
never across. Checked on the import statements of every module (migrations included)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("elders", "youth", "deliberation", "employment")
FORBIDDEN = {
    "portal": ("events", *AREAS),
    "events": AREAS,
    **{area: tuple(a for a in AREAS if a != area) for area in AREAS},
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _violations(package: str, root: Path = ROOT) -> list[str]:
    out = []
    for path in sorted((root / package).rglob("*.py")):
        for lineno, name in _imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                out.append(f"{path.relative_to(root)}:{lineno} imports {name}")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    assert _violations(package) == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    """The check itself: an area importing another area is reported, importing events is not."""
    fake = tmp_path / "elders"
    fake.mkdir()
    (fake / "bad.py").write_text("from youth.models import Child\nimport events.models\n", encoding="utf-8")
    assert _violations("elders", root=tmp_path) == ["elders/bad.py:1 imports youth.models"]
