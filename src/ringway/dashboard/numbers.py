"""Numbers: search the inventory and buy, link to and unlink from applications, cancel."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ringway.dashboard.pages import MENU, View, page
from ringway.dashboard.wording import capitalized
from ringway.domain.errors import LegacyError, ProblemError
from ringway.domain.numbers import NumberQuery, normalize_country

SHOWN = 100  # owned numbers on the page
FOUND = 10  # search results


async def numbers_page(view: View) -> Response:
    platform, params = view.platform, view.request.query_params
    country, pattern = params.get("country", ""), params.get("pattern", "")
    total, owned = await platform.db.run(platform.numbers.owned, view.account.id, NumberQuery(),
                                         1, SHOWN)  # fmt: skip
    apps = await platform.db.run(platform.applications.list, view.account.id, 1, MENU)
    found, code, errors = None, None, {}
    if "country" in params:  # the domain's own checks, their reasons beside the fields
        try:
            code = normalize_country(country) if country.strip() else None
        except ValueError as exc:
            errors["country"] = str(exc)
        try:
            query = NumberQuery(country=code, pattern=pattern.strip() or None, search_pattern=1)
        except ValueError as exc:
            errors["pattern"] = str(exc)
        if not errors:
            found = (await platform.db.run(platform.numbers.search, query, 1, FOUND))[1]
    return view.render("numbers.html", owned=owned, total=total, apps=apps.items, found=found,
                       values={"country": country, "pattern": pattern},
                       errors=errors)  # fmt: skip


async def buy(view: View) -> Response:
    msisdn = view.form.get("msisdn", "")
    return await _change(view, f"Bought {msisdn}.", view.platform.numbers.buy)


async def cancel(view: View) -> Response:
    msisdn = view.form.get("msisdn", "")
    return await _change(view, f"Cancelled {msisdn}.", view.platform.numbers.cancel)


async def confirm_cancel(view: View) -> Response:
    params = view.request.query_params
    msisdn = params.get("msisdn", "")
    if not msisdn:
        return view.redirect("/numbers")
    return view.confirm(f"Cancel {msisdn}?", "The number goes back on sale and its routing is "
                        "forgotten; calls and messages to it no longer reach your applications.",
                        "Cancel number", "/numbers",
                        {"country": params.get("country", ""), "msisdn": msisdn})  # fmt: skip


async def link(view: View) -> Response:
    app_id = view.form.get("app_id") or None
    msisdn = view.form.get("msisdn", "")
    done = f"Linked {msisdn}." if app_id else f"Unlinked {msisdn}."
    return await _change(view, done, view.platform.numbers.link, app_id)


async def _change(
    view: View, done: str, action: Callable[..., None], *extra: str | None
) -> Response:
    """Run a number operation; its refusal (the API's wording) comes back as the notice."""
    form = view.form
    try:
        await view.platform.db.run(
            action, view.account.id, form.get("country", ""), form.get("msisdn", ""), *extra
        )
    except (ProblemError, LegacyError) as error:
        return view.redirect("/numbers", capitalized(str(error)) + ".", kind="error")
    return view.redirect("/numbers", done)


routes = [
    page("/numbers", GET=numbers_page),
    page("/numbers/buy", POST=buy),
    page("/numbers/cancel", GET=confirm_cancel, POST=cancel),
    page("/numbers/link", POST=link),
]
