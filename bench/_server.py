"""A gunicorn serving the app for load benchmarks, and wrk to load it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int | None = None, threads: int | None = None, env: dict | None = None):
    """The app under gunicorn as production runs it (gunicorn.conf.py: workers and threads),
    unless told otherwise, with the benchmarks' no-op view beside it."""
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench._settings",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench._wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            *(["--workers", str(workers)] if workers else []),
            *(["--threads", str(threads)] if threads else []),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.post(f"{url}/bench/noop", timeout=1)
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait()


def wrk(
    url: str,
    *,
    script: Path | None = None,
    seconds: int = 10,
    connections: int = 32,
    rate: float | None = None,
) -> dict:
    """Load `url` with wrk: as fast as it answers, or at about `rate` requests a second, for
    latency at a given load rather than at saturation (where queueing alone sets it).

    For a rate each connection waits between a response and its next request; a short probe
    first learns how long a request takes, so that wait plus the request make the rate.
    """
    if not rate:
        return _wrk_run(url, script=script, seconds=seconds, connections=connections)
    cycle_ms = connections * 1000.0 / rate
    delay_ms = cycle_ms
    for _ in range(3):  # each short probe corrects the wait by what the last one missed
        probe = _wrk_run(url, script=script, seconds=2, connections=connections, delay_ms=delay_ms)
        served_cycle_ms = connections * 1000.0 / max(probe["rate"], 1.0)
        delay_ms = max(0.0, delay_ms + cycle_ms - served_cycle_ms)
    return _wrk_run(url, script=script, seconds=seconds, connections=connections, delay_ms=delay_ms)


def _wrk_run(
    url: str, *, script: Path | None, seconds: int, connections: int, delay_ms: float = 0.0
) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    lua = script.read_text() if script else ""
    if delay_ms:
        lua += f"\nfunction delay() return {delay_ms:.3f} end\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(lua)
    try:
        if lua:
            command += ["-s", file.name]
        output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(file.name)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p99_ms": float(p99.group(1)) * scale,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }
