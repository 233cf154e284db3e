"""With a state file, a restarted emulator remembers accounts, messages, numbers and opt-outs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from tests.twilio_emulator.conftest import Credentials, TwilioHttp, subaccount_create
from twilio_emulator.server import start_in_thread
from twilio_emulator.testing import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_a_restart_keeps_the_state(tmp_path, receiver):
    state_file = tmp_path / "emulator.json"
    first = start_in_thread(callback_delay=0, state_file=state_file)
    try:
        http = TwilioHttp(first.url, Credentials(first.account_sid, first.auth_token))
        tenant = subaccount_create(http, "Acme Outdoor")
        sid = http.send(tenant, To="+12065550100").json()["sid"]
        http.send(tenant, To="+12065551429")  # a refused attempt is remembered too
        http.control(
            "POST",
            "/numbers",
            {"AccountSid": tenant.sid, "PhoneNumber": "+12065550150", "SmsUrl": receiver.url()},
        )
        http.control(
            "POST", "/inbound", {"From": "+12065550177", "To": "+12065550150", "Body": "STOP"}
        )
        wait_until(lambda: first.carrier.backlog() == 0)
    finally:
        first.stop()

    second = start_in_thread(callback_delay=0, state_file=state_file)
    try:
        http = TwilioHttp(second.url, Credentials(second.account_sid, second.auth_token))
        message = http.get(f"/2010-04-01/Accounts/{tenant.sid}/Messages/{sid}.json", auth=tenant)
        blocked = http.send(tenant, To="+12065550177", From="+12065550150")
        retry = http.send(tenant, To="+12065551429")  # no longer the first attempt
        stats = http.control("GET", "/stats").json()
        numbers = http.control("GET", "/numbers").json()["numbers"]
    finally:
        second.stop()

    assert message.status_code == 200  # the subaccount's credentials still authenticate
    assert message.json()["status"] == "delivered"
    assert blocked.json()["code"] == 21610
    assert retry.status_code == 201
    assert stats["attempts_by_recipient"]["+12065551429"] == 2
    assert [n["phone_number"] for n in numbers] == ["+12065550150"]


def test_a_message_still_on_its_way_resumes_after_a_restart(tmp_path):
    state_file = tmp_path / "emulator.json"
    first = start_in_thread(callback_delay=60, state_file=state_file)
    master = Credentials(first.account_sid, first.auth_token)
    try:
        sid = TwilioHttp(first.url, master).send(master, To="+12065550003").json()["sid"]
    finally:
        first.stop()
    saved = json.loads(state_file.read_text())
    assert [m["status"] for m in saved["messages"]] == ["queued"]

    second = start_in_thread(callback_delay=0, state_file=state_file)
    try:
        http = TwilioHttp(second.url, master)
        path = f"/2010-04-01/Accounts/{master.sid}/Messages/{sid}.json"
        message = wait_until(lambda: (m := http.get(path).json())["status"] == "undelivered" and m)
    finally:
        second.stop()

    assert message["error_code"] == 30003


def test_the_master_credentials_come_from_the_configuration_not_the_file(tmp_path):
    state_file = tmp_path / "emulator.json"
    start_in_thread(state_file=state_file, auth_token="first-token").stop()

    emulator = start_in_thread(state_file=state_file, auth_token="second-token")
    try:
        path = f"{emulator.url}/2010-04-01/Accounts/{emulator.account_sid}.json"
        old = requests.get(path, auth=(emulator.account_sid, "first-token"), timeout=5)
        new = requests.get(path, auth=(emulator.account_sid, "second-token"), timeout=5)
    finally:
        emulator.stop()

    assert (old.status_code, new.status_code) == (401, 200)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_command_line_serves_and_saves_on_sigterm(tmp_path):
    port = free_port()
    state_file = tmp_path / "emulator.json"
    env = {**os.environ, "TWILIO_ACCOUNT_SID": "AC" + "a" * 32, "TWILIO_AUTH_TOKEN": "cli-token"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twilio_emulator",
            "--port",
            str(port),
            "--callback-delay",
            "0",
            "--state-file",
            str(state_file),
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def answering():
            try:
                return requests.get(f"{url}/_emulator/stats", timeout=1).ok
            except requests.ConnectionError:
                return False

        wait_until(answering, timeout=10, interval=0.05)
        created = requests.post(
            f"{url}/2010-04-01/Accounts.json",
            data={"FriendlyName": "From the CLI"},
            auth=("AC" + "a" * 32, "cli-token"),
            timeout=5,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)

    assert created.status_code == 201
    assert process.returncode == 0, stderr.decode()
    saved = json.loads(state_file.read_text())
    assert "From the CLI" in [account["friendly_name"] for account in saved["accounts"]]
