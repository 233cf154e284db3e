"""The HTTP server: authentication, dispatch to the router, and ways to start it."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from twilio_emulator import handlers  # noqa: F401  (registers the routes)
from twilio_emulator.carrier import Carrier
from twilio_emulator.contract import Contract, Operation, contract
from twilio_emulator.review import DEFAULT_REVIEW_DELAY
from twilio_emulator.router import Request, Router, TwilioError, authenticate_error, router
from twilio_emulator.state import EmulatorState, StateFile

logger = logging.getLogger("twilio_emulator")

# The same development credentials smsapp/settings.py uses when no real Twilio account is set.
DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
# Callbacks are posted by this many threads; each waits for our webhook view to answer.
DEFAULT_CALLBACK_WORKERS = 16
DEFAULT_AUTH_TOKEN = "emulator-auth-token-0000000000001"  # noqa: S105 (public dev value)


class Emulator:
    """The application: state, carrier and routes, independent of the HTTP server."""

    def __init__(
        self,
        *,
        state: EmulatorState,
        carrier: Carrier,
        inbound_url: str | None = None,
        routes: Router = router,
        contract: Contract | None = None,
    ):
        self.state = state
        self.carrier = carrier
        self.inbound_url = inbound_url
        self.routes = routes
        self.contract = contract or Contract(operations={})
        # Per operationId: requests accepted and refused by the contract, parameters Twilio's
        # spec does not define, and the last accepted request (GET /_emulator/operations).
        self.operations_seen: dict[str, dict] = {}
        self._seen_lock = threading.Lock()

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict]:
        url = urlsplit(target)
        try:
            route, path_params = self.routes.resolve(method, url.path)
            content_type = headers.get("Content-Type") or ""
            form = (
                parse_qs(body.decode("utf-8"), keep_blank_values=True)
                if body and "application/x-www-form-urlencoded" in content_type
                else {}
            )
            request = Request(
                method=method,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                form=form,
                path_params=path_params,
            )
            if route.twilio_auth:
                request.account_sid = self._authenticate(headers.get("Authorization"))
                target_sid = path_params.get("AccountSid")
                if target_sid is not None and not self.state.may_act_on(
                    request.account_sid, target_sid
                ):
                    raise authenticate_error()
            operation = self.contract.operation_for(route) if route.twilio_auth else None
            unknown: list[str] = []
            if operation is not None:
                try:
                    unknown = self.contract.check(operation, request)
                except TwilioError:
                    self._seen(operation, refused=True)
                    raise
            response = route.handler(self, request)
            if operation is not None and response.status < 400:
                self._seen(operation, request=request, unknown=unknown)
        except TwilioError as error:
            return error.status, error.body()
        except Exception:
            logger.exception("%s %s failed", method, target)
            return 500, TwilioError(500, 20500, "Internal Server Error").body()
        return response.status, response.body

    def _seen(
        self,
        operation: Operation,
        *,
        request: Request | None = None,
        unknown: list[str] | None = None,
        refused: bool = False,
    ) -> None:
        with self._seen_lock:
            seen = self.operations_seen.setdefault(
                operation.operation_id,
                {"accepted": 0, "refused": 0, "unknown_parameters": [], "last_accepted": None},
            )
            if refused:
                seen["refused"] += 1
                return
            seen["accepted"] += 1
            seen["unknown_parameters"] = sorted({*seen["unknown_parameters"], *(unknown or [])})
            if request is not None:
                seen["last_accepted"] = {
                    "method": request.method,
                    "path": request.path,
                    "query": request.query,
                    "form": request.form,
                }

    def operations_report(self) -> dict[str, dict]:
        with self._seen_lock:
            return copy.deepcopy(self.operations_seen)

    def operations_forget(self) -> None:
        with self._seen_lock:
            self.operations_seen.clear()

    def _authenticate(self, authorization: str | None) -> str:
        """The account sid of valid basic-auth credentials, else Twilio's 401."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            raise authenticate_error()
        try:
            username, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise authenticate_error() from error
        if not self.state.credentials_valid(username, password):
            raise authenticate_error()
        return username


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, which the SDK's requests session relies on for speed.
    protocol_version = "HTTP/1.1"
    server_version = "TwilioEmulator/1.0"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive connection waits
    # for the client's delayed ACK (~40 ms) before the body.
    disable_nagle_algorithm = True
    server: _HttpServer

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.emulator.handle(self.command, self.path, self.headers, body)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = _dispatch  # noqa: N815

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        logger.debug("%s " + format, self.address_string(), *args)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # bursts of a few hundred sends per second

    def __init__(self, address: tuple[str, int], emulator: Emulator):
        super().__init__(address, _RequestHandler)
        self.emulator = emulator


@dataclass
class EmulatorHandle:
    """A running emulator: its base URL, master credentials, state, and how to stop it."""

    url: str
    account_sid: str
    auth_token: str
    emulator: Emulator
    _stoppers: list[Callable[[], None]] = field(repr=False, default_factory=list)

    @property
    def state(self) -> EmulatorState:
        return self.emulator.state

    @property
    def carrier(self) -> Carrier:
        return self.emulator.carrier

    def stop(self) -> None:
        while self._stoppers:
            self._stoppers.pop(0)()


@dataclass
class _Parts:
    server: _HttpServer
    emulator: Emulator
    store: StateFile | None

    def close(self) -> None:
        """After serving has stopped: no more carrier steps, then the final save."""
        self.server.server_close()
        self.emulator.carrier.stop()
        if self.store:
            self.store.stop()


def _start(
    *,
    host: str,
    port: int,
    callback_delay: float,
    state_file: str | os.PathLike[str] | None,
    inbound_url: str | None,
    account_sid: str | None,
    auth_token: str | None,
    callback_workers: int = DEFAULT_CALLBACK_WORKERS,
    review_delay: float = DEFAULT_REVIEW_DELAY,
) -> _Parts:
    account_sid = account_sid or os.environ.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID
    auth_token = auth_token or os.environ.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN
    state = EmulatorState(master_sid=account_sid, master_token=auth_token)
    state.review_delay = review_delay
    store = StateFile(Path(state_file), state) if state_file else None
    if store:
        store.load()
    carrier = Carrier(state, delay=callback_delay, workers=callback_workers)
    # Twilio's specs are read here, at start-up, not at the first request.
    emulator = Emulator(state=state, carrier=carrier, inbound_url=inbound_url, contract=contract())
    server = _HttpServer((host, port), emulator)
    carrier.start()
    if store:
        store.start()
    return _Parts(server=server, emulator=emulator, store=store)


def _base_url(server: _HttpServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def start_in_thread(
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    callback_delay: float = 0.0,
    state_file: str | os.PathLike[str] | None = None,
    inbound_url: str | None = None,
    account_sid: str | None = None,
    auth_token: str | None = None,
    review_delay: float = 0.0,
) -> EmulatorHandle:
    """Start an emulator serving from a background thread (port 0 picks a free port).

    Registration reviews finish at once by default (``review_delay=0``); see review.py.
    """
    parts = _start(
        host=host,
        port=port,
        callback_delay=callback_delay,
        state_file=state_file,
        inbound_url=inbound_url,
        account_sid=account_sid,
        auth_token=auth_token,
        review_delay=review_delay,
    )
    # A short poll interval makes stop() quick, which a test suite starting many emulators feels.
    threading.Thread(
        target=parts.server.serve_forever,
        kwargs={"poll_interval": 0.01},
        name="emulator-http",
        daemon=True,
    ).start()
    return EmulatorHandle(
        url=_base_url(parts.server),
        account_sid=parts.emulator.state.master_sid,
        auth_token=parts.emulator.state.master_token,
        emulator=parts.emulator,
        _stoppers=[parts.server.shutdown, parts.close],
    )


def serve(
    *,
    host: str,
    port: int,
    callback_delay: float,
    state_file: str | None,
    inbound_url: str | None,
    callback_workers: int = DEFAULT_CALLBACK_WORKERS,
    review_delay: float = DEFAULT_REVIEW_DELAY,
) -> None:
    """Serve in the foreground until interrupted or terminated, then save the state."""
    parts = _start(
        host=host,
        port=port,
        callback_delay=callback_delay,
        state_file=state_file,
        inbound_url=inbound_url,
        account_sid=None,
        auth_token=None,
        callback_workers=callback_workers,
        review_delay=review_delay,
    )

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    logger.info(
        "Twilio emulator on %s (master account %s, callback delay %ss%s)",
        _base_url(parts.server),
        parts.emulator.state.master_sid,
        callback_delay,
        f", state in {state_file}" if state_file else "",
    )
    try:
        parts.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        parts.close()
