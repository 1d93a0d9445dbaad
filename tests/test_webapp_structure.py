"""The web layer's shape: blueprints share only public helpers, and a refused write is handled one way."""
import ast
from pathlib import Path

from .sources import parse

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"


def _modules():
    for path in sorted(WEBAPP.rglob("*.py")):
        yield path.relative_to(WEBAPP.parent), parse(path.read_text(encoding="utf-8"), str(path))


def test_no_module_imports_another_modules_private_names():
    found = [f"{path}: from {'.' * node.level}{node.module or ''} import {alias.name}"
             for path, tree in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("webapp"))
             for alias in node.names if alias.name.startswith("_")]
    assert found == []


def test_validation_errors_are_caught_only_by_the_validation_helpers():
    found = [f"{path}:{node.lineno}" for path, tree in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.ExceptHandler) and "ValidationError" in ast.unparse(node.type or ast.Name(""))
             and path.as_posix() != "webapp/validation.py"]
    assert found == []
