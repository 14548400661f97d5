"""What every dashboard page shares: templates, the signed-in check, CSRF, notices, errors."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ringway.api.auth import platform_of
from ringway.api.http import form_body
from ringway.api.problems import VONAGE_PATHS
from ringway.dashboard.session import (
    BadToken,
    Session,
    SignedOut,
    check_csrf,
    check_origin,
    csrf_token,
    current_session,
    drop_cookie,
    read_cookie,
    remember_csrf,
    set_cookie,
)
from ringway.dashboard.wording import capitalized, context, sentence
from ringway.domain.accounts import AccountRow
from ringway.domain.calls import timestamp
from ringway.domain.errors import ProblemError
from ringway.services.platform import Platform

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

NOTICE = "ringway_notice"
# The wire APIs' paths: an unknown one is answered in the API's format, even to a browser.
API_PATHS = (*(path for path in VONAGE_PATHS if path != "/account/"), "/account/numbers",
             "/_ringway/")  # fmt: skip
MENU = 1000  # the most choices a menu offers (applications, numbers)


def shown_time(moment: dt.datetime | str | None) -> Markup:
    """A time as every page shows it, in UTC and saying so: ``2026-11-27 18:00:00 UTC``, in a
    ``<time>`` element. Takes a datetime (naive ones are UTC, as storage keeps them) or a wire
    timestamp."""
    if not moment:
        return Markup("")
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    shown = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup(f'<time datetime="{timestamp(moment)}">{shown}</time>')


@functools.cache
def templates() -> Jinja2Templates:
    """The pages' templates, Jinja imported and set up for the first page shown (not before the
    server's first answer)."""
    from starlette.templating import Jinja2Templates

    found = Jinja2Templates(directory=str(resources.files("ringway.dashboard") / "templates"))
    found.env.filters["counted"] = lambda n, noun: f"{n} {noun}{'' if n == 1 else 's'}"
    found.env.filters["when"] = shown_time
    found.env.filters["context"] = context
    return found


@dataclass
class View:
    """One request to a page: who asks, what the form holds, and how to answer."""

    request: Request
    platform: Platform
    session: Session | None  # None when signed out
    form: dict[str, str] = field(default_factory=dict)

    @property
    def account(self) -> AccountRow:
        assert self.session is not None, "a page for signed-in users only"
        return self.session.account

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        """A page. A form sent back with its errors is a 200, as the page is what the browser
        asked for (a 4xx document would also log a console error for every typing slip)."""
        request = self.request
        shown = read_cookie(request, NOTICE)
        kind, _, text = unquote(shown).partition(":")
        response = templates().TemplateResponse(
            request,
            template,
            {"account": self.session and self.session.account,
             "csrf": csrf_token(request, self.session),
             "notice": (kind, text) if text else None, "path": request.url.path, **context},
            status_code=status,
        )  # fmt: skip
        if shown:
            drop_cookie(request, response, NOTICE)
        return response

    def confirm(
        self, title: str, text: str, button: str, back: str, fields: dict[str, str] | None = None
    ) -> Response:
        """The page that asks before a destructive form: its button posts back to this path."""
        return self.render("confirm.html", title=title, text=text, button=button, back=back,
                           action=self.request.url.path, fields=fields or {})  # fmt: skip

    def redirect(self, to: str, notice: str = "", kind: str = "ok") -> Response:
        """303 to ``to`` (after a form), with a notice shown once on the page it leads to."""
        response = RedirectResponse(to, status_code=303)
        if notice:
            set_cookie(self.request, response, NOTICE, quote(f"{kind}:{notice}"), 60)
        return response


Handler = Callable[[View], Awaitable[Response]]


def page(path: str, public: bool = False, **handlers: Handler) -> Route:
    """A dashboard route: signed in (else to the sign-in page), forms checked for their origin
    and CSRF token, one handler per method."""

    async def endpoint(request: Request) -> Response:
        platform = platform_of(request)
        view = View(request, platform, await current_session(request, platform))
        try:
            if request.method == "POST":
                check_origin(request)
                view.form = await form_body(request, view.platform.settings.max_body_bytes)
                check_csrf(request, view.session, view.form)
            if not public and view.session is None:
                raise SignedOut
            method = "GET" if request.method == "HEAD" else request.method
            response = await handlers[method](view)
        except SignedOut:
            response = RedirectResponse(f"/sign-in?next={quote(request.url.path)}", 303)
        except BadToken as refused:
            response = view.render("problem.html", status=403, title=refused.title,
                                   detail=refused.detail)  # fmt: skip
        except ProblemError as error:
            response = view.render("problem.html", status=error.status, title=error.title,
                                   detail=error.detail)  # fmt: skip
        return _guarded(request, response)

    return Route(path, endpoint, methods=list(handlers))


def _guarded(request: Request, response: Response) -> Response:
    """Every dashboard answer's headers: the pre-session cookie, CSP, no caching."""
    remember_csrf(request, response)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def wants_page(request: Request) -> bool:
    """Whether a request no route took is a browser's, for a page: it accepts HTML and its
    path is none of the APIs' (which answer in their wire format)."""
    accepts = request.headers.get("accept", "")
    return "text/html" in accepts and not request.url.path.startswith(API_PATHS)


async def page_not_found(request: Request) -> Response:
    """The dashboard's 404 page, with its navigation when the browser is signed in."""
    platform = platform_of(request)
    view = View(request, platform, await current_session(request, platform))
    response = view.render("problem.html", status=404, title="Page not found",
                           detail=f"The dashboard has no page at {request.url.path}.")  # fmt: skip
    return _guarded(request, response)


def field_errors(error: ProblemError, about: str = "") -> dict[str, str]:
    """Each invalid parameter's reason, as a sentence, by the field it names (list items by
    their list), or the problem's detail beside the field it is ``about`` when it names none."""
    if not error.invalid_parameters:
        return {about: capitalized(error.detail)}
    errors: dict[str, str] = {}
    for param in error.invalid_parameters:
        parts = param.name.split(".")
        while parts and parts[-1].isdigit():
            parts.pop()
        name = ".".join(parts)
        errors.setdefault(name, sentence(name, param.reason))
    return errors


def query_int(view: View, name: str, default: int, high: int = 2**31 - 1) -> int:
    """A positive whole number from the query string; anything else reads as ``default``."""
    raw = view.request.query_params.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):  # "²" is no number
        return default
    return min(int(raw), high) if len(raw) <= 20 else high


def page_asked(view: View, size: int) -> tuple[int, int]:
    """The page number the query asks for (1 when none) and the offset of its first item."""
    number = query_int(view, "page", 1)
    return number, (number - 1) * size
