"""/2010-04-01/Accounts: subaccounts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from twilio_emulator.resources import account_resource, page
from twilio_emulator.router import (
    Request,
    Response,
    TwilioError,
    authenticate_error,
    not_found_error,
    router,
)

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator

ACCOUNT_STATUSES = {"active", "suspended", "closed"}


def _account_for(emulator: Emulator, request: Request) -> dict[str, Any]:
    sid = request.path_params["Sid"]
    state = emulator.state
    with state.lock:
        account = state.accounts.get(sid)
        if account is None and request.account_sid == state.master_sid:
            raise not_found_error(request.path)
        if account is None or not state.may_act_on(request.account_sid or "", sid):
            raise authenticate_error()
        return account


@router.route("POST", "/2010-04-01/Accounts.json")
def account_create(emulator: Emulator, request: Request) -> Response:
    if request.account_sid != emulator.state.master_sid:
        raise TwilioError(403, 20403, "Subaccounts cannot create subaccounts")
    friendly_name = request.param("FriendlyName") or time.strftime(
        "SubAccount Created at %Y-%m-%d %I:%M %p", time.gmtime()
    )
    account = emulator.state.account_create(
        friendly_name=friendly_name, owner_sid=emulator.state.master_sid
    )
    return Response(201, account_resource(account))


@router.route("GET", "/2010-04-01/Accounts.json")
def account_list(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    params = request.params()
    caller = request.account_sid or ""
    with state.lock:
        accounts = [
            account
            for account in state.accounts.values()
            if state.may_act_on(caller, account["sid"])
            and params.get("FriendlyName") in (None, account["friendly_name"])
            and params.get("Status") in (None, account["status"])
        ]
        return Response(200, page(request, "accounts", accounts, account_resource))


@router.route("GET", "/2010-04-01/Accounts/{Sid}.json")
def account_fetch(emulator: Emulator, request: Request) -> Response:
    account = _account_for(emulator, request)
    with emulator.state.lock:
        return Response(200, account_resource(account))


@router.route("POST", "/2010-04-01/Accounts/{Sid}.json")
def account_update(emulator: Emulator, request: Request) -> Response:
    account = _account_for(emulator, request)
    state = emulator.state
    status = request.param("Status")
    friendly_name = request.param("FriendlyName")
    with state.lock:
        if status is not None:
            if status not in ACCOUNT_STATUSES:
                raise TwilioError(400, 20001, f"Invalid Status: {status}")
            if account["sid"] == state.master_sid or request.account_sid == account["sid"]:
                raise TwilioError(403, 20403, "Only the parent account may change a status")
            if account["status"] == "closed" and status != "closed":
                raise TwilioError(400, 20001, "A closed account cannot be reopened")
            account["status"] = status
        if friendly_name is not None:
            account["friendly_name"] = friendly_name
        account["_updated"] = time.time()
        body = account_resource(account)
    state.changed()
    return Response(200, body)
