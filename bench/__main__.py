"""Run benchmarks: ``python -m bench`` runs them all, ``python -m bench segments`` just one.

Each benchmark runs in a process of its own: Django's settings are read once per process (each
benchmark points them at its own emulator and database) and peak memory is per process.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import secrets
import subprocess
import sys
from pathlib import Path


def available() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not module.name.startswith("_")
    )


def main(argv: list[str] | None = None) -> int:
    # The benchmarks run with DEBUG off, as production does, which needs a real SECRET_KEY:
    # one per run unless one is set; every benchmark process and server inherits it.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of: {', '.join(names)}")
    chosen = parser.parse_args(argv).names or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(names)})")
    if len(chosen) == 1:
        return 0 if importlib.import_module(f"bench.{chosen[0]}").run() is not False else 1
    failed = []
    for name in chosen:
        print(f"== bench {name}", flush=True)
        if subprocess.run([sys.executable, "-m", "bench", name], check=False).returncode:
            failed.append(name)
        print(flush=True)
    if failed:
        print(f"goals not met: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
