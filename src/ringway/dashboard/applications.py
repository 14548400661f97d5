"""Applications: list and search, create, edit, delete, and their keys."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ringway.api.http import path_param
from ringway.api.voice import call_wire
from ringway.dashboard.forms import LIMITS, application_body, application_values
from ringway.dashboard.pages import MENU, View, field_errors, page, query_int
from ringway.domain.applications import Application, parse_application
from ringway.domain.calls import CallQuery
from ringway.domain.errors import ProblemError
from ringway.domain.numbers import NumberQuery

PAGE_SIZE = 20
CALLS = 10  # the latest calls an application's page lists


async def list_applications(view: View) -> Response:
    platform, query = view.platform, view.request.query_params.get("q", "").strip()
    number = query_int(view, "page", 1)
    found = await platform.db.run(
        platform.applications.list, view.account.id, number, PAGE_SIZE, query.replace("\x00", "")
    )
    return view.render("applications.html", page=found, q=query)


async def new_application(view: View) -> Response:
    return await _form(view, None, application_values(None))


async def create_application(view: View) -> Response:
    platform = view.platform
    try:
        spec = parse_application(application_body(view.form))
        app, private_key = await platform.db.run(
            platform.applications.create, view.account.id, spec
        )
    except ProblemError as error:
        return await _form(view, None, view.form, field_errors(error))
    return _key_page(view, app, private_key or "", "Application created.")


async def edit_application(view: View) -> Response:
    app = await _application(view)
    return await _form(view, app, application_values(app))


async def _usage(view: View, app: Application) -> dict[str, Any]:
    """The numbers linked to ``app`` and its latest calls, for its page."""
    platform, account_id = view.platform, view.account.id
    _, numbers = await platform.db.run(platform.numbers.owned, account_id,
                                       NumberQuery(application_id=app.id), 1, MENU)  # fmt: skip
    _, calls = await platform.calls.page(CallQuery(account_id, application_id=app.id), 0, CALLS)
    return {"numbers": numbers, "calls": [call_wire(record) for record in calls]}


async def update_application(view: View) -> Response:
    platform, app = view.platform, await _application(view)
    try:
        spec = parse_application(application_body(view.form, app))
        await platform.db.run(platform.applications.replace, view.account.id, app.id, spec)
    except ProblemError as error:
        return await _form(view, app, view.form, field_errors(error))
    return view.redirect(f"/applications/{app.id}", "Application saved.")


async def confirm_delete(view: View) -> Response:
    app = await _application(view)
    return view.confirm(f"Delete {app.name}?", "Its numbers are unlinked and its webhooks stop "
                        "receiving traffic. This cannot be undone.", "Delete application",
                        f"/applications/{app.id}")  # fmt: skip


async def delete_application(view: View) -> Response:
    platform, app = view.platform, await _application(view)
    await platform.db.run(platform.applications.delete, view.account.id, app.id)
    return view.redirect("/applications", f"Application {app.name} deleted.")


async def confirm_key_pair(view: View) -> Response:
    app = await _application(view)
    return view.confirm(f"Replace the key pair of {app.name}?", "ringway makes a new key pair "
                        "and offers its private key once. The current private key stops working "
                        "at once: JWTs signed with it are refused.", "Generate a new key pair",
                        f"/applications/{app.id}")  # fmt: skip


async def new_key_pair(view: View) -> Response:
    platform, app = view.platform, await _application(view)
    app, private_key = await platform.db.run(
        platform.applications.new_key_pair, view.account.id, app.id
    )
    return _key_page(view, app, private_key, "New key pair made; the old key no longer works.")


async def upload_public_key(view: View) -> Response:
    platform, app = view.platform, await _application(view)
    try:
        await platform.db.run(platform.applications.set_public_key, view.account.id, app.id,
                              view.form.get("public_key", ""))  # fmt: skip
    except ProblemError as error:
        return await _form(view, app, application_values(app),
                     {"public_key": field_errors(error).get("keys.public_key", "")},
                     public_key=view.form.get("public_key", ""))  # fmt: skip
    return view.redirect(f"/applications/{app.id}", "Public key saved.")


async def _form(
    view: View, app: Application | None, values: dict[str, str],
    errors: dict[str, str] | None = None, **extra: Any,
) -> Response:  # fmt: skip
    """The application form, for a new application or ``app`` (with its numbers and calls)."""
    usage = await _usage(view, app) if app else {}
    return view.render("application_form.html", app=app, values=values, errors=errors or {},
                       limits=LIMITS, **usage, **extra)  # fmt: skip


def _key_page(view: View, app: Application, private_key: str, notice: str) -> Response:
    """The one page that offers the private key, as a download; it is not stored anywhere."""
    return view.render("application_key.html", app=app, private_key=private_key,
                       done=notice)  # fmt: skip


async def _application(view: View) -> Application:
    platform = view.platform
    app: Application = await platform.db.run(
        platform.applications.get, view.account.id, path_param(view.request, "id")
    )
    return app


routes = [
    page("/applications", GET=list_applications),
    page("/applications/new", GET=new_application, POST=create_application),
    page("/applications/{id}", GET=edit_application, POST=update_application),
    page("/applications/{id}/delete", GET=confirm_delete, POST=delete_application),
    page("/applications/{id}/key-pair", GET=confirm_key_pair, POST=new_key_pair),
    page("/applications/{id}/public-key", POST=upload_public_key),
]
