"""The Account API (wire-contract-wave2 §6): the balance and the SMS API's default webhooks on
the REST host (legacy ``error-code`` shapes), and API secrets on the API host (problems)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import basic_account, legacy_account, platform_of
from ringway.api.http import (
    JSONResponse,
    check_accept,
    json_body,
    params_body,
    path_param,
)
from ringway.api.numbers import legacy_errors
from ringway.api.operations import BODY_ERRORS, FORM, LEGACY, Operation, problem, tagged
from ringway.domain.accounts import EURO, MAX_SECRETS, AccountRow, SecretRow
from ringway.domain.errors import ERRORS, InvalidParameter, ProblemError, bad_parameter

SECRETS = f"{ERRORS}/account/secret-management"
LIMITS = {"max-outbound-request": 30, "max-inbound-request": 30, "max-calls-per-second": 30}
_URL = re.compile(r"https?://[^\s]{1,2000}")
_SECRET = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*\d).{8,25}")


@legacy_errors
async def get_balance(request: Request) -> Response:
    account = await legacy_account(request)
    platform = platform_of(request)
    balance = await platform.db.run(platform.accounts.balance, account.id)
    return JSONResponse({"value": balance / EURO, "autoReload": False})


@legacy_errors
async def settings(request: Request) -> Response:
    """``moCallBackUrl`` and ``drCallBackUrl`` (the Python SDK writes ``Callback``); an empty
    value unsets, an absent one keeps."""
    platform = platform_of(request)
    params: dict[str, Any] = dict(request.query_params)
    params |= await params_body(request, platform.settings.max_body_bytes)
    account = await legacy_account(request, params)
    changes: dict[str, str | None] = {}
    for name in ("moCallBackUrl", "drCallBackUrl"):
        value = params.get(name, params.get(name.replace("Back", "back")))
        if value is None:
            continue
        if value and not _URL.fullmatch(value):
            raise bad_parameter(f"Invalid {name}: an http or https URL")
        changes[f"{name[:2]}_callback_url"] = value or None
    if changes:
        account = await platform.db.run(platform.accounts.set_sms_settings, account.id, **changes)
    return JSONResponse(settings_wire(account))


def settings_wire(account: AccountRow) -> dict[str, Any]:
    return {"mo-callback-url": account.mo_callback_url or "",
            "dr-callback-url": account.dr_callback_url or "", **LIMITS}  # fmt: skip


# -- secrets -------------------------------------------------------------------------------


async def _owner(request: Request) -> AccountRow:
    """The account of the path's api_key, which must be the caller's own."""
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    api_key = path_param(request, "api_key")
    if api_key != account.api_key:
        detail = f"API key '{api_key}' does not exist, or you do not have access"
        raise ProblemError(404, f"{ERRORS}#invalid-api-key", "Invalid API Key", detail)
    return account


def _invalid_id(secret_id: str) -> ProblemError:
    return ProblemError(404, f"{ERRORS}#invalid-id", "Invalid ID",
                        f"ID '{secret_id}' could not be found")  # fmt: skip


def secret_wire(api_key: str, secret: SecretRow) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": f"/accounts/{api_key}/secrets/{secret.id}"}},
        "id": secret.id,
        "created_at": secret.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


async def list_secrets(request: Request) -> Response:
    account = await _owner(request)
    platform = platform_of(request)
    found = await platform.db.run(platform.accounts.secrets, account.id)
    return JSONResponse({
        "_links": {"self": {"href": f"/accounts/{account.api_key}/secrets"}},
        "_embedded": {"secrets": [secret_wire(account.api_key, s) for s in found]},
    })  # fmt: skip


async def create_secret(request: Request) -> Response:
    account = await _owner(request)
    platform = platform_of(request)
    body = await json_body(request, platform.settings.max_body_bytes)
    secret = body.get("secret") if isinstance(body, dict) else None
    reason = None
    if not isinstance(secret, str):
        reason = "is required, a string"
    elif not _SECRET.fullmatch(secret):
        reason = ("must be 8 to 25 characters with at least one lower-case letter, one "
                  "upper-case letter and one digit")  # fmt: skip
    if reason is None:
        assert isinstance(secret, str)
        created = await platform.db.run(platform.accounts.add_secret, account.id, secret)
        if created is not None:
            return JSONResponse(secret_wire(account.api_key, created), status_code=201)
        reason = f"cannot be added: the account has {MAX_SECRETS} secrets, the most it may"
    raise ProblemError(400, f"{SECRETS}#validation", "Bad Request",
                       "The request failed due to validation errors",
                       [InvalidParameter("secret", reason)])  # fmt: skip


async def get_secret(request: Request) -> Response:
    account = await _owner(request)
    platform = platform_of(request)
    secret_id = path_param(request, "secret_id")
    found = await platform.db.run(platform.accounts.secrets, account.id)
    for secret in found:
        if secret.id == secret_id:
            return JSONResponse(secret_wire(account.api_key, secret))
    raise _invalid_id(secret_id)


async def revoke_secret(request: Request) -> Response:
    account = await _owner(request)
    platform = platform_of(request)
    secret_id = path_param(request, "secret_id")
    revoked = await platform.db.run(platform.accounts.revoke_secret, account.id, secret_id)
    if revoked is None:
        raise _invalid_id(secret_id)
    if not revoked:
        raise ProblemError(403, f"{SECRETS}#delete-last-secret", "Secret Deletion Forbidden",
                           "The account's last secret cannot be revoked: an account always "
                           "has at least one")  # fmt: skip
    return Response(status_code=204)


SECRETS_PATH = "/accounts/{api_key}/secrets"
operations = tagged("Account", [
    Operation("GET", "/account/get-balance", get_balance, "The balance, in euros",
              answer="Balance", auth=LEGACY, accept=False, legacy=True),
    Operation("POST", "/account/settings", settings, "The SMS API's default webhooks",
              answer="SmsSettings", auth=LEGACY, body="SmsSettingsForm", body_media=(FORM,),
              body_required=False, accept=False, legacy=True),
    Operation("GET", SECRETS_PATH, list_secrets, "The API secrets", answer="SecretList",
              errors=(404,)),
    Operation("POST", SECRETS_PATH, create_secret, "Add an API secret (two at most)", ok=201,
              answer="Secret", body="SecretIn", errors=(*BODY_ERRORS, 404)),
    Operation("GET", SECRETS_PATH + "/{secret_id}", get_secret, "An API secret",
              answer="Secret", errors=(404,)),
    Operation("DELETE", SECRETS_PATH + "/{secret_id}", revoke_secret,
              "Revoke an API secret (not the last)", ok=204, errors=(404,),
              responses={403: problem("The last secret")}),
])  # fmt: skip
