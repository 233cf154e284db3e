"""Re-make the vendored specs from Twilio's files: ``python -m twilio_emulator.specs.trim DIR``.

DIR holds Twilio's ``twilio_api_v2010.json``, ``twilio_messaging_v1.json`` and
``twilio_trusthub_v1.json`` (twilio-oai ``spec/json/``; ``../shared/twilio-oai/`` on a developer's
machine). Each file is cut down to the operations the emulator serves, every one of them kept
verbatim (its path's parameters, its own parameters, request body and responses), plus every
component those reference, so the emulator validates against exactly what Twilio published.
``--check`` only compares: it exits 1 when the vendored copies differ from what DIR would give.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SPEC_FILES = ("twilio_api_v2010.json", "twilio_messaging_v1.json", "twilio_trusthub_v1.json")
VENDORED_DIR = Path(__file__).resolve().parent


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _served() -> set[tuple[str, str]]:
    """(method, path template) of every Twilio endpoint the emulator answers."""
    from twilio_emulator import handlers  # noqa: F401  (registers the routes)
    from twilio_emulator.router import router

    return {(route.method.lower(), route.template) for route in router.routes if route.twilio_auth}


def trim(spec: dict[str, Any], served: set[tuple[str, str]]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for template, item in spec["paths"].items():
        methods = {method for method, path in served if path == template and method in item}
        if methods:
            paths[template] = {
                key: value
                for key, value in item.items()
                if key in methods or key not in ("get", "post", "put", "delete", "patch")
            }
    components: dict[str, dict[str, Any]] = {
        "securitySchemes": spec["components"].get("securitySchemes", {})
    }
    pending = list(_refs(paths))
    while pending:
        _, section, name = pending.pop().removeprefix("#/").split("/", 2)
        kept = components.setdefault(section, {})
        if name not in kept:
            kept[name] = spec["components"][section][name]
            pending.extend(_refs(kept[name]))
    for section in components.values():
        section_sorted = dict(sorted(section.items()))
        section.clear()
        section.update(section_sorted)
    tags = {tag for item in paths.values() for op in item.values() for tag in _op_tags(op)}
    return {
        "components": components,
        "info": spec["info"],
        "openapi": spec["openapi"],
        "paths": paths,
        "servers": spec["servers"],
        "tags": [tag for tag in spec.get("tags", []) if tag.get("name") in tags],
        "security": spec.get("security", []),
    }


def _op_tags(operation: Any) -> list[str]:
    return operation.get("tags", []) if isinstance(operation, dict) else []


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twilio_emulator.specs.trim")
    parser.add_argument("source", type=Path, help="the folder with Twilio's full spec files")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a change")
    args = parser.parse_args(argv)
    served = _served()
    changed = []
    for name in SPEC_FILES:
        text = render(trim(json.loads((args.source / name).read_text()), served))
        target = VENDORED_DIR / name
        if target.exists() and target.read_text() == text:
            continue
        changed.append(name)
        if not args.check:
            target.write_text(text)
    for name in changed:
        print(f"{name}: {'differs' if args.check else 'rewritten'}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
