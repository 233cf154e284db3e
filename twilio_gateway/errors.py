"""Twilio's errors turned into ours, by what a retry can do.

- ``PermanentSendError``: retrying cannot help (invalid or unsubscribed recipient, other 4xx);
  mark the message and stop.
- ``TransientSendError``: 429 / 20429, 5xx, timeouts, connection errors; retry with backoff. Its
  ``outcome_unknown`` says whether Twilio may have acted anyway (a 5xx or a timeout after the
  request went out): a send must then be reconciled against Twilio's message list before any
  resend, or the recipient may get the text twice.

For provisioning calls the same split holds: permanent means Twilio refused the request (fix the
input), transient that it may succeed later.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.response import Response
from urllib3.exceptions import NewConnectionError


class GatewayError(Exception):
    def __init__(
        self,
        code: int | None,
        message: str,
        *,
        status: int | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message
        self.status = status
        # True when the request may have reached Twilio and taken effect despite the error.
        self.outcome_unknown = outcome_unknown


class PermanentSendError(GatewayError):
    """Twilio refused for a reason retrying cannot fix."""


class TransientSendError(GatewayError):
    """Twilio was busy or unreachable; the same request may succeed later."""


# Twilio error code -> what it means for a retry. Codes not listed fall back on the HTTP status:
# 429 and 5xx are transient, any other 4xx is permanent.
ERROR_CODE_KINDS: dict[int, type[GatewayError]] = {
    20429: TransientSendError,  # Too Many Requests
    21211: PermanentSendError,  # invalid 'To' phone number
    21610: PermanentSendError,  # recipient unsubscribed (replied STOP)
    21612: PermanentSendError,  # 'To' not reachable from this sender
    21614: PermanentSendError,  # 'To' is not a mobile number
    21635: PermanentSendError,  # 'To' is a landline
}


def _error_from_twilio(error: TwilioRestException | TwilioServiceException) -> GatewayError:
    status = int(error.status) if error.status else None
    code = int(error.code) if error.code else None
    if isinstance(error, TwilioServiceException):
        message = f"{error.title}: {error.detail}" if error.detail else error.title
    else:
        message = error.msg
    kind = ERROR_CODE_KINDS.get(code or 0)
    if kind is None:
        transient = status is None or status == 429 or status >= 500
        kind = TransientSendError if transient else PermanentSendError
    # A 5xx may come after Twilio acted (a lost response); a 4xx means it refused.
    unknown = kind is TransientSendError and (status is None or status >= 500)
    return kind(code, message, status=status, outcome_unknown=unknown)


def _error_from_requests(error: requests.RequestException) -> TransientSendError:
    # Refused or timed out while connecting: the request never left, so nothing happened.
    cause = getattr(error.args[0], "reason", None) if error.args else None
    never_sent = isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError) and isinstance(cause, NewConnectionError)
    )
    return TransientSendError(None, str(error), outcome_unknown=not never_sent)


def _error_from_page(error: TwilioException) -> GatewayError:
    """A list page that did not answer 200: the SDK raises a bare TwilioException with the
    response as its second argument instead of a TwilioRestException."""
    response = error.args[1] if len(error.args) > 1 else None
    if not isinstance(response, Response):
        return TransientSendError(None, str(error), outcome_unknown=True)
    try:
        payload = json.loads(response.text)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    rest_error = TwilioRestException(
        response.status_code,
        "",
        msg=payload.get("message") or str(error.args[0]),
        code=payload.get("code"),
    )
    return _error_from_twilio(rest_error)


@contextmanager
def mapped_errors() -> Iterator[None]:
    try:
        yield
    except (TwilioRestException, TwilioServiceException) as error:
        raise _error_from_twilio(error) from error
    except requests.RequestException as error:
        raise _error_from_requests(error) from error
    except TwilioException as error:
        raise _error_from_page(error) from error
