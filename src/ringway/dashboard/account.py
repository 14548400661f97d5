"""Signing in and out, and the account's credentials."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

from ringway.api.auth import address_of
from ringway.dashboard.pages import View, page
from ringway.dashboard.session import keep_session, sign_in, sign_out
from ringway.domain.errors import ProblemError, unauthorized


async def home(view: View) -> Response:
    return view.redirect("/applications")


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
    return view.render("account.html")


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
    response = view.render("account.html", new_secret=secret)
    keep_session(view.request, response, view.session)
    return response


def _next(target: str) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    parts = urlsplit(target)
    ok = target.startswith("/") and not target.startswith("//") and not parts.netloc
    return target if ok and "\\" not in target else "/applications"


routes = [
    page("/", GET=home),
    page("/sign-in", public=True, GET=sign_in_form, POST=sign_in_submit),
    page("/sign-out", public=True, POST=sign_out_submit),
    page("/account", GET=account_page),
    page("/account/rotate-secret", GET=confirm_rotate, POST=rotate_secret),
]
