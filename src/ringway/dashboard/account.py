"""Signing in and out, and the account's credentials."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from starlette.responses import Response

from ringway.api.auth import address_of
from ringway.dashboard.pages import View, page
from ringway.dashboard.session import keep_session, sign_in, sign_out
from ringway.domain.calls import EARLY_ENDS, CallQuery, Status
from ringway.domain.errors import ProblemError, unauthorized
from ringway.domain.numbers import NumberQuery

# The statuses of calls that failed or did not connect.
CALL_FAILURES = tuple(sorted(str(status) for status in EARLY_ENDS | {Status.REJECTED}))


async def overview(view: View) -> Response:
    """What the account has and what happened today (UTC): the first page after signing in."""
    platform, account_id = view.platform, view.account.id
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    apps = await platform.db.run(platform.applications.list, account_id, 1, 1)
    numbers, _ = await platform.db.run(platform.numbers.owned, account_id, NumberQuery(), 1, 1)
    calls, _ = await platform.calls.page(CallQuery(account_id, date_start=today), 0, 0)
    failed_calls, _ = await platform.calls.page(
        CallQuery(account_id, date_start=today, statuses=CALL_FAILURES), 0, 0
    )
    messages, failed_messages = await platform.db.run(platform.messages.since, account_id, today)
    pending, _ = await platform.db.run(platform.deliveries.page, account_id, "pending", None, 0, 0)
    failed, _ = await platform.db.run(platform.deliveries.page, account_id, "failed", None, 0, 0)
    return view.render("overview.html", today=today, counts={
        "applications": apps.total_items, "numbers": numbers, "calls": calls,
        "failed_calls": failed_calls, "messages": messages, "failed_messages": failed_messages,
        "pending": pending, "failed_deliveries": failed})  # fmt: skip


async def sign_in_form(view: View) -> Response:
    return view.render("sign_in.html", next=_next(view.request.query_params.get("next", "")))


async def sign_in_submit(view: View) -> Response:
    form = view.form
    api_key, api_secret = form.get("api_key", ""), form.get("api_secret", "")
    address = address_of(view.request.scope)
    try:
        account = await view.platform.sign_ins.account(api_key, api_secret, address)
    except ProblemError as error:  # too many failed sign-ins: a 429 saying how long to wait
        refused = view.render("sign_in.html", error.status, next=_next(form.get("next", "")),
                              api_key=api_key, error=error.detail)  # fmt: skip
        refused.headers.update(error.headers)
        return refused
    if account is None:
        return view.render("sign_in.html", next=_next(form.get("next", "")),
                           api_key=api_key, error=unauthorized().title)  # fmt: skip
    view.session = await sign_in(view.platform, account, view.session)
    response = view.redirect(_next(form.get("next", "")))
    keep_session(view.request, response, view.session)
    return response


async def sign_out_submit(view: View) -> Response:
    await sign_out(view.platform, view.session)
    response = view.redirect("/sign-in", "Signed out.")
    keep_session(view.request, response, None)
    return response


async def account_page(view: View) -> Response:
    return view.render("account.html", balance=await _balance(view))


async def confirm_rotate(view: View) -> Response:
    return view.confirm("Rotate the API secret?", "ringway makes a new secret and shows it once. "
                        "The current secret stops working at once, for the API and for every "
                        "other signed-in session.", "Rotate API secret", "/account")  # fmt: skip


async def rotate_secret(view: View) -> Response:
    """A new API secret, shown once; the browser gets a new session (every other ends)."""
    platform = view.platform
    secret = await platform.db.run(platform.accounts.rotate_secret, view.account.api_key)
    account = await platform.db.run(platform.accounts.get, view.account.api_key)
    view.session = await sign_in(platform, account, view.session)  # the page's forms use it
    response = view.render("account.html", new_secret=secret, balance=await _balance(view))
    keep_session(view.request, response, view.session)
    return response


async def _balance(view: View) -> int:
    return await view.platform.db.run(view.platform.accounts.balance, view.account.id)


def _next(target: str) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    parts = urlsplit(target)
    ok = target.startswith("/") and not target.startswith("//") and not parts.netloc
    return target if ok and "\\" not in target else "/"


routes = [
    page("/", GET=overview),
    page("/sign-in", public=True, GET=sign_in_form, POST=sign_in_submit),
    page("/sign-out", public=True, POST=sign_out_submit),
    page("/account", GET=account_page),
    page("/account/rotate-secret", GET=confirm_rotate, POST=rotate_secret),
]
