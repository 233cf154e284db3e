"""The apps' imports point one way (README, "Layout"): an app imports only apps in the layers
below its own, the project package `smsapp` imports anything and nothing imports it, and no app
imports the Twilio emulator. Every import counts, those inside functions too: they are how a
cycle hides."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lowest first; apps in one layer don't import each other.
LAYERS = [
    {"twilio_gateway"},
    {"accounts"},
    {"contacts"},
    {"consent"},
    {"registration"},
    {"messaging"},
    {"analytics", "workflows"},
    {"demo"},
]
LAYER_OF = {app: depth for depth, apps in enumerate(LAYERS) for app in apps}
PROJECT = "smsapp"
NEVER_IMPORTED = {PROJECT, "twilio_emulator"}
# Packages of ours that are not Django apps (no models, no apps.py), placed in LAYERS all the same.
LIBRARIES = {"twilio_gateway"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def layer_violations(app: str) -> list[str]:
    violations = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for line, module in imported_modules(path):
            target = module.split(".")[0]
            if target == app:
                continue
            upward = target in LAYER_OF and LAYER_OF[target] >= LAYER_OF[app]
            if upward or target in NEVER_IMPORTED:
                violations.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return violations


def test_every_app_is_in_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert packages | LIBRARIES == set(LAYER_OF), (
        "a new app needs its place in LAYERS (and the README)"
    )


def test_apps_import_only_the_layers_below_them():
    violations = [v for app in LAYER_OF for v in layer_violations(app)]
    assert not violations, "\n".join(violations)


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from consent import selectors\n")
    assert (2, "consent.selectors") in imported_modules(module)
