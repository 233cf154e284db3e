"""The carrier: moves messages through their statuses and posts signed webhooks.

One scheduler thread keeps a heap of (due time, message sid); due steps go to a small thread pool
that updates the message and posts its status callback. A message's next step is scheduled only
after the previous callback was posted, so one message's callbacks arrive in order while many
messages are in flight at once (no thread per message, no sleeping thread per message).
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from twilio_emulator.resources import API_VERSION
from twilio_emulator.state import EmulatorState

logger = logging.getLogger("twilio_emulator.carrier")

TERMINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "received", "canceled"})
WEBHOOK_TIMEOUT_SECONDS = 15  # Twilio's default webhook timeout


class WebhookPoster:
    """POSTs form-encoded webhooks signed the way Twilio signs them.

    Plain http.client with one kept-alive connection per thread and host: requests costs about
    three times the CPU per post, which shows when the carrier posts hundreds a second.
    """

    def __init__(self, *, timeout: float = WEBHOOK_TIMEOUT_SECONDS):
        self.timeout = timeout
        self._local = threading.local()

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        if not hasattr(self._local, "connections"):
            self._local.connections = {}
        return self._local.connections

    def post(self, url: str, params: dict[str, str], auth_token: str) -> tuple[int | None, str]:
        """(HTTP status, body) of the webhook, or (None, the error) when nothing answered."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            return None, f"not an http(s) URL: {url}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (parts.scheme, parts.netloc)
        connections = self._connections()
        while True:
            reused = key in connections
            if not reused:
                connection_class = (
                    http.client.HTTPSConnection
                    if parts.scheme == "https"
                    else http.client.HTTPConnection
                )
                connections[key] = connection_class(parts.netloc, timeout=self.timeout)
            connection = connections[key]
            try:
                connection.request("POST", target, body=urlencode(params), headers=headers)
                response = connection.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                del connections[key]
                if reused:  # the app closed a kept-alive connection meanwhile: once more
                    continue
                logger.warning("webhook %s failed: %s", url, error)
                return None, str(error)
            if response.will_close:
                connection.close()
                del connections[key]
            return response.status, text


def next_status(message: dict[str, Any]) -> str | None:
    current = message["status"]
    outcome = message["_outcome"]["status"]
    if current == "accepted":
        return "queued"
    if current == "queued":
        # "failed" means Twilio could not send it at all, so there is no "sent" step.
        return "failed" if outcome == "failed" else "sent"
    if current == "sent":
        return outcome
    return None


def status_callback_params(message: dict[str, Any]) -> dict[str, str]:
    params = {
        "AccountSid": message["account_sid"],
        "ApiVersion": API_VERSION,
        "MessageSid": message["sid"],
        "MessageStatus": message["status"],
        "SmsSid": message["sid"],
        "SmsStatus": message["status"],
        "To": message["to"],
    }
    if message["from"]:
        params["From"] = message["from"]
    if message["messaging_service_sid"]:
        params["MessagingServiceSid"] = message["messaging_service_sid"]
    if message["error_code"]:
        params["ErrorCode"] = str(message["error_code"])
    if message["status"] in {"delivered", "undelivered"}:
        params["RawDlrDoneDate"] = time.strftime("%y%m%d%H%M", time.gmtime())
    return params


class Carrier:
    def __init__(self, state: EmulatorState, *, delay: float, workers: int = 8):
        self.state = state
        self.delay = delay
        self.poster = WebhookPoster()
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._wakeup = threading.Condition()
        self._stopping = False
        self._active = 0  # steps popped from the heap and not finished yet
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carrier")
        self._thread = threading.Thread(target=self._run, name="carrier", daemon=True)

    def start(self) -> None:
        self._thread.start()
        # Messages a previous run left on their way (from the state file) resume.
        with self.state.lock:
            in_flight = [
                sid
                for sid, message in self.state.messages.items()
                if message["direction"] == "outbound-api"
                and message["status"] not in TERMINAL_STATUSES
            ]
        for sid in in_flight:
            self.schedule(sid)

    def stop(self) -> None:
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def schedule(self, message_sid: str) -> None:
        with self._wakeup:
            heapq.heappush(
                self._heap, (time.monotonic() + self.delay, next(self._seq), message_sid)
            )
            self._wakeup.notify()

    def backlog(self) -> int:
        """Steps still to come: scheduled ones and those being posted right now."""
        with self._wakeup:
            return len(self._heap) + self._active

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._stopping:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._wakeup.wait(self._heap[0][0] - now if self._heap else None)
                if self._stopping:
                    return
                _, _, message_sid = heapq.heappop(self._heap)
                self._active += 1
            try:
                self._pool.submit(self._advance, message_sid)
            except RuntimeError:  # the pool is shutting down
                return

    def _advance(self, message_sid: str) -> None:
        try:
            self._step(message_sid)
        except Exception:  # a bug here must not vanish into the pool's future
            logger.exception("carrier step for %s failed", message_sid)
        finally:
            with self._wakeup:
                self._active -= 1

    def _step(self, message_sid: str) -> None:
        state = self.state
        with state.lock:
            message = state.messages.get(message_sid)
            if message is None:  # reset meanwhile
                return
            status = next_status(message)
            if status is None:
                return
            now = time.time()
            message["status"] = status
            message["_updated"] = now
            if status == "sent":
                message["_sent"] = now
            if status in {"undelivered", "failed"}:
                message["error_code"] = message["_outcome"]["error_code"]
                message["error_message"] = message["_outcome"]["error_message"]
            url = message["_status_callback"]
            params = status_callback_params(message)
            auth_token = state.auth_token_of(message["account_sid"])
        state.changed()
        if url and auth_token:
            webhook_status, _ = self.poster.post(url, params, auth_token)
            with state.lock:
                if webhook_status is not None and webhook_status < 400:
                    state.callbacks_posted += 1
                else:
                    state.callbacks_failed += 1
        if status not in TERMINAL_STATUSES:
            self.schedule(message_sid)
