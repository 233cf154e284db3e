"""The published schema is the API: schemathesis runs over every operation of /api/schema/
against the live test server with every check, and finds nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.services import api_token_create

# Every operation, every phase (examples, coverage, fuzzing, stateful), every check: a couple
# of minutes on a busy machine, past the suite's usual two-minute limit.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(420)]

ST = str(Path(sys.executable).with_name("st"))
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))


def test_schemathesis_finds_nothing_the_schema_does_not_say(live_server, sending, tmp_path):
    tenant = sending.tenant
    _, token = api_token_create(account=tenant.account, user=tenant.alice, name="schemathesis")
    sending.contact("Ann", phone="+12125550101")
    sending.message()

    result = subprocess.run(  # noqa: S603 - our own interpreter's schemathesis
        [
            ST,
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            "all",
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "19",
            "--workers",
            "1",
            "--no-color",
            "--output-truncate",
            "false",
            "--phases",
            os.environ.get("SCHEMATHESIS_PHASES", "examples,coverage,fuzzing,stateful"),
            "--generation-database",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=int(os.environ.get("SCHEMATHESIS_TIMEOUT", "400")),
        cwd=tmp_path,
    )

    if os.environ.get("SCHEMATHESIS_OUTPUT"):
        Path(os.environ["SCHEMATHESIS_OUTPUT"]).write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-3000:]
