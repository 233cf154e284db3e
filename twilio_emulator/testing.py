"""Helpers for tests that talk to the emulator: a webhook receiver and a polling wait."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar
from urllib.parse import parse_qsl

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = 5.0,
    interval: float = 0.01,
    what: str = "condition",
) -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(interval)


@dataclass(frozen=True)
class ReceivedWebhook:
    url: str  # the full URL as requested, which is what Twilio signs
    path: str
    headers: dict[str, str]
    form: dict[str, str]

    @property
    def signature(self) -> str:
        return self.headers.get("X-Twilio-Signature", "")


class WebhookReceiver:
    """A tiny HTTP server standing in for our webhooks: records each form POST it receives."""

    def __init__(
        self,
        *,
        status: int = 200,
        body: str = "<Response/>",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.status = status
        self.body = body
        self.received: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # see twilio_emulator.server

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver._connections.add(self.connection)

            def finish(self) -> None:
                with receiver._lock:
                    receiver._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                webhook = ReceivedWebhook(
                    url=receiver.base_url + self.path,
                    path=self.path,
                    headers=dict(self.headers.items()),
                    form=dict(parse_qsl(raw, keep_blank_values=True)),
                )
                with receiver._lock:
                    receiver.received.append(webhook)
                data = receiver.body.encode("utf-8")
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        bound_host, port = self._server.server_address[:2]
        self.base_url = f"http://{bound_host}:{port}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def webhooks(self, **form_filter: str) -> list[ReceivedWebhook]:
        """What arrived so far, in order, optionally only those whose form has these values."""
        with self._lock:
            return [
                webhook
                for webhook in self.received
                if all(webhook.form.get(key) == value for key, value in form_filter.items())
            ]

    def wait_for(self, count: int, *, timeout: float = 5.0, **form_filter: str):
        """The first ``count`` matching webhooks, once that many have arrived."""
        return wait_until(
            lambda: (found := self.webhooks(**form_filter)) and len(found) >= count and found,
            timeout=timeout,
        )[:count]

    def stop(self) -> None:
        """Stop like a real app would: kept-alive connections are closed too."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
