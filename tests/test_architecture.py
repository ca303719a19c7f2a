"""docs/architecture.md's module map against the code: every module of archive/ has a row, and each row's
"imports (of ours)" names exactly what the module imports (at load time or inside a function; type-checking
imports are not counted). A new import or a new module that the page does not show fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT

PKG = ROOT / "archive"
DOC = ROOT / "docs" / "architecture.md"


def _unit(parts: list[str]) -> str:
    """archive.export.catalogue -> export/ ; archive.catalog -> catalog (a package counts as one unit)."""
    return parts[0] + "/" if (PKG / parts[0]).is_dir() else parts[0]


def _type_checking_lines(tree) -> set[int]:
    lines = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            for m in ast.walk(n):
                if hasattr(m, "lineno"):
                    lines.add(m.lineno)
    return lines


def actual_imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for f in PKG.rglob("*.py"):
        rel = f.relative_to(PKG).parts
        if rel[0] in ("__init__.py", "__main__.py"):
            continue
        unit = rel[0] + "/" if len(rel) > 1 else rel[0][:-3]
        tree = ast.parse(f.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        found = graph.setdefault(unit, set())
        for n in ast.walk(tree):
            if getattr(n, "lineno", None) in skip:
                continue
            if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module and n.module.split(".")[0] == "archive":
                parts = n.module.split(".")[1:]
                if parts:
                    found.add(_unit(parts))
                else:
                    found.update(_unit([a.name]) for a in n.names)
            elif isinstance(n, ast.Import):
                found.update(_unit(a.name.split(".")[1:]) for a in n.names if a.name.startswith("archive."))
        found.discard(unit)
    return graph


def documented() -> dict[str, set[str]]:
    rows: dict[str, set[str]] = {}
    section = DOC.read_text(encoding="utf-8").split("## Module map", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        names = [re.sub(r"\.py$", "", n) for n in re.findall(r"`([^`]+)`", cells[0])]
        uses = set()
        for n in re.findall(r"`([^`]+)`", cells[2]):
            n = re.sub(r"\.py$", "", n)
            head = n.split(".")[0].rstrip("/")
            uses.add(head + "/" if (PKG / head).is_dir() else head)
        for n in names:
            rows[n] = uses - {n}
    return rows


def test_every_module_has_a_row():
    missing = sorted(set(actual_imports()) - set(documented()))
    assert not missing, f"modules without a row in docs/architecture.md: {missing}"


def test_each_row_names_what_the_module_imports():
    doc, code = documented(), actual_imports()
    wrong = {m: {"not shown": sorted(code[m] - doc[m]), "not imported": sorted(doc[m] - code[m])}
             for m in code if m in doc and code[m] != doc[m]}
    assert not wrong, f"docs/architecture.md's imports column differs from the code: {wrong}"


# ---- SQL only in catalog/, schema.py and index/ (docs/architecture.md, "Storage") -----------------------------
SQL_HOMES = ("catalog/", "schema.py", "index/")
_SQL_CALLS = {"execute", "executemany", "executescript"}
_SQL_TEXT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK"
                       r"|WITH)\b|\bFROM\s+[a-z_]+\b.*\bWHERE\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b")
# the modules this rule covers today; the rest (the web pages, export/, appraisal, import_catalog, search, the
# command line) move their SQL into catalog/ in the work that follows issue 21, and join this list then
SQL_FREE = ("session.py", "pipeline.py", "inbox.py", "review.py", "edit.py", "attach.py", "recover.py",
            "grouping.py", "importing.py", "backup.py", "verify.py", "audit.py", "watch.py", "interrupt.py",
            "display.py", "store.py", "models.py", "archival_code.py")


def sql_sites(path: Path) -> list[str]:
    """Where a module runs SQL (a call of execute/executemany/executescript) or writes SQL text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _SQL_CALLS:
            out.append(f"{path.relative_to(ROOT)}:{n.lineno}: .{n.func.attr}(")
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and _SQL_TEXT.search(n.value):
            out.append(f"{path.relative_to(ROOT)}:{n.lineno}: {n.value[:60]!r}")
    return out


def _outside_homes() -> list[Path]:
    return [f for f in sorted(PKG.rglob("*.py"))
            if not any(str(f.relative_to(PKG)).startswith(h) for h in SQL_HOMES)]


def test_the_sql_check_finds_sql():
    """The check below would see a query written in a service (a check that cannot fail is no check)."""
    assert sql_sites(PKG / "catalog" / "records.py")
    assert any("execute" in s for s in sql_sites(PKG / "catalog" / "journals.py"))


def test_no_sql_outside_the_catalog_in_the_modules_moved_so_far():
    found = [s for name in SQL_FREE for s in sql_sites(PKG / name)]
    assert not found, "SQL outside catalog/, schema.py and index/:\n" + "\n".join(found)


def test_no_sql_outside_the_catalog_anywhere():
    found = [s for f in _outside_homes() for s in sql_sites(f)]
    assert not found, "SQL outside catalog/, schema.py and index/:\n" + "\n".join(found)
