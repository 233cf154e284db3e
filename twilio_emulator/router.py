"""A small router: one handler function per endpoint, Twilio's error bodies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator


class TwilioError(Exception):
    """An error answered with Twilio's error JSON."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def authenticate_error() -> TwilioError:
    return TwilioError(401, 20003, "Authenticate")


def not_found_error(path: str) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    # The account whose credentials were given (None on control endpoints).
    account_sid: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)

    def param(self, name: str, default: str | None = None) -> str | None:
        """A form parameter, else a query parameter (first value)."""
        values = self.form.get(name) or self.query.get(name)
        return values[0] if values else default

    def params(self) -> dict[str, str]:
        merged = {key: values[0] for key, values in self.query.items() if values}
        merged.update({key: values[0] for key, values in self.form.items() if values})
        return merged


@dataclass
class Response:
    status: int
    body: dict[str, Any]


Handler = Callable[["Emulator", Request], Response]


@dataclass
class Route:
    method: str
    # The path as Twilio's OpenAPI specs write it (``/v1/Services/{Sid}``): the contract key.
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    # Twilio endpoints need basic auth; the /_emulator/ control endpoints do not.
    twilio_auth: bool


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, template: str, *, twilio_auth: bool = True):
        """Register a handler for e.g. ``/2010-04-01/Accounts/{AccountSid}/Messages.json``.

        A ``{Name}`` segment matches one path segment. When the template names ``AccountSid``,
        the server checks that the caller may act on that account before calling the handler.
        """
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+?)" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[A-Za-z]+\})", template)
        )
        pattern = re.compile(f"^{regex}$")

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, template, pattern, handler, twilio_auth))
            return handler

        return register

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        path_matched = False
        for route in self.routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            path_matched = True
            if route.method == method:
                return route, match.groupdict()
        if path_matched:
            raise TwilioError(405, 20004, "Method not allowed")
        raise not_found_error(path)


router = Router()
