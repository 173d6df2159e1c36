"""The layout's rules, held by a test: what may import what, and why an import waits.

The README's developer part explains them. In short: ``common`` holds no product rule
and imports no domain; the domains depend on each other in one order; inside a domain,
models come first, then services and selectors, then forms, then views; tasks are
leaves; the optimisation cores and the iCalendar builder know nothing of Django.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "rotations"

# Earlier domains never import later ones (views, URLs, forms and the API may import any
# domain's services and selectors: they are where domains meet).
DOMAIN_ORDER = ["common", "directory", "invites", "shifts", "programs", "mentoring", "insights"]
# Where the product is assembled from every domain.
ASSEMBLY = {"rotations.apps", "rotations.urls", "rotations.admin", "rotations.models"}
DJANGO_FREE = [
    "rotations/invites/ical.py",
    "rotations/invites/imip.py",
    "rotations/programs/autoschedule.py",
    "rotations/mentoring/matching.py",
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def app_modules() -> list[Path]:
    return [p for p in sorted(APP.rglob("*.py")) if "migrations" not in p.parts]


def imports_of(path: Path) -> list[tuple[str, ast.stmt, bool]]:
    """(imported module, node, inside a function or class) for every import."""
    tree = ast.parse(path.read_text())
    found: list[tuple[str, ast.stmt, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            )
            if isinstance(child, ast.ImportFrom) and child.module:
                assert not child.level or path.parent.name == "frontline", (
                    f"{path}: imports of the app are absolute"
                )
                found.append((child.module, child, nested))
                for alias in child.names:  # from rotations.x import tasks
                    if is_module(f"{child.module}.{alias.name}"):
                        found.append((f"{child.module}.{alias.name}", child, nested))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, child, nested) for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def layer(module: str) -> int:
    """0 models, 1 services, selectors and the rest of a domain's core, 2 forms,
    3 views, URLs and the API; tasks are leaves (4)."""
    leaf = module.rsplit(".", 1)[-1]
    parts = module.split(".")
    if leaf == "tasks":
        return 4
    if "views" in parts or leaf == "urls" or parts[:2] == ["rotations", "api"]:
        return 3
    if leaf in ("forms", "permissions"):
        return 2  # permission lookups are for pages and the API, beside the forms
    if leaf == "models" or parts[:2] == ["rotations", "common"]:
        return 0  # common comes before everything (its views and tasks aside)
    return 1


def domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAIN_ORDER else None


def test_no_module_but_a_tasks_module_imports_tasks():
    offenders = [
        f"{module_name(path)} imports {target}"
        for path in app_modules()
        if not path.name == "tasks.py" and module_name(path) != "rotations.apps"
        for target, _, _ in imports_of(path)
        if target.startswith("rotations.") and target.endswith(".tasks")
    ]
    assert offenders == []


def test_every_import_inside_a_function_says_why():
    """Ruff's PLC0415 stops an inline import without ``noqa``; this holds the ``noqa``
    to giving a reason after ``--``."""
    unexplained = []
    for path in [*app_modules(), *sorted((ROOT / "frontline").rglob("*.py"))]:
        lines = path.read_text().splitlines()
        for _, node, nested in imports_of(path):
            if nested and not re.search(r"#\s*noqa: PLC0415 -- \S", lines[node.lineno - 1]):
                unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert sorted(set(unexplained)) == []


def test_the_solvers_and_the_calendar_builder_know_nothing_of_django():
    for name in DJANGO_FREE:
        path = ROOT / name
        for target, _, _ in imports_of(path):
            assert not target.startswith("django"), f"{name} imports {target}"
            assert not target.startswith("rotations.") or target.startswith(
                "rotations.invites.ical"
            ), f"{name} imports {target}"


def test_common_imports_no_domain():
    for path in (APP / "common").rglob("*.py"):
        for target, _, _ in imports_of(path):
            assert domain(target) in (None, "common"), f"{module_name(path)} imports {target}"


def test_domains_depend_on_each_other_in_one_order():
    backwards = []
    for path in app_modules():
        source = module_name(path)
        here = domain(source)
        if here is None or layer(source) >= 2:
            continue
        for target, _, _ in imports_of(path):
            there = domain(target)
            if there and DOMAIN_ORDER.index(there) > DOMAIN_ORDER.index(here):
                backwards.append(f"{source} imports {target}")
    assert sorted(set(backwards)) == []


def test_inside_a_domain_models_then_services_then_forms_then_views():
    upward = []
    for path in app_modules():
        source = module_name(path)
        if source in ASSEMBLY or source.startswith("rotations.management"):
            continue
        for target, _, _ in imports_of(path):
            if not target.startswith("rotations.") or target == "rotations.models":
                continue
            if layer(target) > layer(source) and layer(target) != 4:
                upward.append(f"{source} imports {target}")
    assert sorted(set(upward)) == []


def test_every_task_a_service_asks_for_exists():
    from celery import current_app

    from rotations.common.jobs import task_name

    asked = set()
    for path in app_modules():
        asked |= set(re.findall(r"""\benqueue\(\s*["']([a-z_]+)["']""", path.read_text()))
    assert asked, "no enqueue() call found: has the helper been renamed?"
    for name in sorted(asked):
        assert task_name(name) in current_app.tasks, name


@pytest.mark.parametrize("package", DOMAIN_ORDER[1:])
def test_every_domain_is_a_package_with_its_models(package):
    assert (APP / package / "__init__.py").exists()
    assert (APP / package / "models.py").exists()
