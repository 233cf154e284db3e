"""Everything the emulator remembers, behind one lock, and its optional state file.

Records are kept in Twilio's field names (``resources.py`` renders them) plus private fields whose
names start with ``_`` (timestamps as epoch seconds, the status callback URL, the planned outcome).
Every key a record will ever have is set when it is created, so a snapshot can copy records
without the lock while the carrier updates their values.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twilio_emulator.review import DEFAULT_BRAND_SCORE, DEFAULT_REVIEW_DELAY

logger = logging.getLogger("twilio_emulator.state")

STATE_FILE_VERSION = 1


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class EmulatorState:
    def __init__(self, *, master_sid: str, master_token: str):
        self.lock = threading.RLock()
        self.master_sid = master_sid
        self.master_token = master_token
        self._listeners: list[Callable[[], None]] = []
        # The simulated registration review (review.py); settings, so a reset keeps them.
        self.review_delay = DEFAULT_REVIEW_DELAY
        self.brand_score = DEFAULT_BRAND_SCORE
        self._clear()

    def _clear(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}  # insertion order is creation order
        self.messages_by_account: defaultdict[str, list[str]] = defaultdict(list)
        self.numbers: dict[str, dict[str, Any]] = {}
        # Messaging Services, filled by the messaging endpoints (Twilio's field names).
        self.services: dict[str, dict[str, Any]] = {}
        # Registration resources by collection ("bundles", "end_users", "brands", "campaigns",
        # ...) then sid, filled by handlers/{trusthub,brands,messaging_services,addresses}.py.
        self.registry: defaultdict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        # (account_sid, sender scope: a Messaging Service sid or a phone number, handset)
        self.opt_outs: set[tuple[str, str, str]] = set()
        self.creates_by_recipient: Counter[str] = Counter()
        self.attempts_by_recipient: Counter[str] = Counter()
        self.callbacks_posted = 0
        self.callbacks_failed = 0
        now = time.time()
        self.accounts[self.master_sid] = {
            "sid": self.master_sid,
            "auth_token": self.master_token,
            "friendly_name": "Emulator master account",
            "owner_account_sid": self.master_sid,
            "status": "active",
            "type": "Full",
            "_created": now,
            "_updated": now,
        }

    # -- change notification (the state file listens) --

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def changed(self) -> None:
        for listener in self._listeners:
            listener()

    def reset(self) -> None:
        with self.lock:
            self._clear()
        self.changed()

    # -- accounts --

    def account_create(self, *, friendly_name: str, owner_sid: str) -> dict[str, Any]:
        now = time.time()
        account = {
            "sid": new_sid("AC"),
            "auth_token": secrets.token_hex(16),
            "friendly_name": friendly_name,
            "owner_account_sid": owner_sid,
            "status": "active",
            "type": "Full",
            "_created": now,
            "_updated": now,
        }
        with self.lock:
            self.accounts[account["sid"]] = account
        self.changed()
        return account

    def credentials_valid(self, sid: str, token: str) -> bool:
        with self.lock:
            account = self.accounts.get(sid)
            if account is None or account["status"] != "active":
                return False
            return hmac.compare_digest(account["auth_token"].encode(), token.encode())

    def may_act_on(self, caller_sid: str, account_sid: str) -> bool:
        """The master acts on itself and its subaccounts; a subaccount only on itself."""
        with self.lock:
            account = self.accounts.get(account_sid)
            if account is None:
                return False
            return caller_sid == account_sid or account["owner_account_sid"] == caller_sid

    def auth_token_of(self, account_sid: str) -> str | None:
        with self.lock:
            account = self.accounts.get(account_sid)
            return account["auth_token"] if account else None

    # -- messages --

    def message_add(self, message: dict[str, Any]) -> None:
        """Store a message; the caller holds the lock and calls ``changed()`` afterwards."""
        self.messages[message["sid"]] = message
        self.messages_by_account[message["account_sid"]].append(message["sid"])

    # -- numbers and opt-outs --

    def number_by_phone(self, phone_number: str) -> dict[str, Any] | None:
        with self.lock:
            for number in self.numbers.values():
                if number["phone_number"] == phone_number:
                    return number
        return None

    def sender_scope(self, account_sid: str, from_: str | None, service_sid: str | None) -> str:
        """What an opt-out is scoped to: the Messaging Service when there is one, else the number.

        A STOP to any number of a Messaging Service blocks the whole service, as on Twilio.
        """
        if service_sid:
            return service_sid
        number = self.number_by_phone(from_) if from_ else None
        if number and number["account_sid"] == account_sid and number["messaging_service_sid"]:
            return number["messaging_service_sid"]
        return from_ or ""

    # -- persistence --

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": STATE_FILE_VERSION,
                "accounts": [dict(account) for account in self.accounts.values()],
                "messages": [dict(message) for message in self.messages.values()],
                "numbers": [dict(number) for number in self.numbers.values()],
                "services": [dict(service) for service in self.services.values()],
                "registry": {
                    name: [dict(record) for record in records.values()]
                    for name, records in self.registry.items()
                },
                "opt_outs": sorted(list(opt_out) for opt_out in self.opt_outs),
                "creates_by_recipient": dict(self.creates_by_recipient),
                "attempts_by_recipient": dict(self.attempts_by_recipient),
                "callbacks_posted": self.callbacks_posted,
                "callbacks_failed": self.callbacks_failed,
            }

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            self._clear()
            for account in data.get("accounts", []):
                self.accounts[account["sid"]] = account
            # The master's credentials come from this run's configuration, not the file.
            self.accounts[self.master_sid]["auth_token"] = self.master_token
            self.accounts[self.master_sid]["status"] = "active"
            for message in data.get("messages", []):
                self.message_add(message)
            self.numbers = {number["sid"]: number for number in data.get("numbers", [])}
            self.services = {service["sid"]: service for service in data.get("services", [])}
            for name, records in data.get("registry", {}).items():
                self.registry[name] = {record["sid"]: record for record in records}
            self.opt_outs = {tuple(opt_out) for opt_out in data.get("opt_outs", [])}
            self.creates_by_recipient = Counter(data.get("creates_by_recipient", {}))
            self.attempts_by_recipient = Counter(data.get("attempts_by_recipient", {}))
            self.callbacks_posted = data.get("callbacks_posted", 0)
            self.callbacks_failed = data.get("callbacks_failed", 0)


class StateFile:
    """Loads the state at start and saves it, debounced, after changes and at shutdown."""

    def __init__(self, path: str | os.PathLike[str], state: EmulatorState, *, debounce=0.2):
        self.path = Path(path)
        self.state = state
        self.debounce = debounce
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emulator-state", daemon=True)

    def load(self) -> bool:
        if not self.path.exists():
            return False
        data = json.loads(self.path.read_text())
        if data.get("version") != STATE_FILE_VERSION:
            logger.warning("ignoring %s: unknown state file version", self.path)
            return False
        self.state.restore(data)
        return True

    def start(self) -> None:
        self.state.on_change(self._dirty.set)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._dirty.set()
        self._thread.join(timeout=10)
        self.save()

    def save(self) -> None:
        text = json.dumps(self.state.snapshot())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed, so a crash never leaves half a file.
        fd, tmp_path = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as tmp:
            tmp.write(text)
        os.replace(tmp_path, self.path)

    def _run(self) -> None:
        pause = self.debounce
        while not self._stopping.is_set():
            self._dirty.wait()
            # Let a burst of changes settle into one write; stop() saves for itself.
            if self._stopping.wait(pause):
                return
            self._dirty.clear()
            started = time.monotonic()
            try:
                self.save()
            except OSError:
                logger.exception("could not save %s", self.path)
            # A big state under a benchmark's load: keep saving to a fifth of the time at most.
            pause = max(self.debounce, 4 * (time.monotonic() - started))
