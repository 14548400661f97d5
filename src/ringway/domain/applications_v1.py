"""The legacy v1 shape of applications (wire §2), mapped onto the v2 model."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ringway.domain.applications import (
    Application,
    ApplicationIn,
    Capabilities,
    Privacy,
    WebhookAddress,
    invalid_parameters,
    keys_of,
    parse_body,
)
from ringway.domain.errors import InvalidParameter, payload_invalid

V1Type = Literal["voice", "messages"]
# Which v2 webhooks each v1 type carries, in the order v1 lists them.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "voice": ("answer_url", "event_url"),
    "messages": ("inbound_url", "status_url"),
}


class ApplicationV1In(BaseModel):
    """A v1 create or update body. Credentials travel in it too, so extra fields are ignored."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    name: str = Field(min_length=1, max_length=255)
    type: V1Type
    answer_url: WebhookAddress | None = None
    answer_method: Literal["GET", "POST"] = "GET"
    event_url: WebhookAddress | None = None
    event_method: Literal["GET", "POST"] = "POST"
    inbound_url: WebhookAddress | None = None
    inbound_method: Literal["POST"] = "POST"
    status_url: WebhookAddress | None = None
    status_method: Literal["POST"] = "POST"

    @model_validator(mode="after")
    def _urls_of_type(self) -> ApplicationV1In:
        missing = [name for name in ENDPOINTS[self.type] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.type} application needs {' and '.join(missing)}")
        return self

    def webhooks(self) -> dict[str, dict[str, str]]:
        return {
            name: {
                "address": getattr(self, name),
                "http_method": getattr(self, name.replace("_url", "_method")),
            }
            for name in ENDPOINTS[self.type]
        }


def parse_v1(body: Any) -> ApplicationV1In:
    """A v1 create or update body."""
    return parse_body(ApplicationV1In, body)


def v1_type(app: Application) -> str | None:
    """The v1 type an application shows: voice if it has voice, else messages if it has that."""
    return next((kind for kind in ENDPOINTS if kind in app.capabilities), None)


def v1_to_spec(spec: ApplicationV1In, current: Application | None = None) -> ApplicationIn:
    """The v2 body equivalent to a v1 create, or to a v1 update of ``current``.

    An update changes the name and the webhooks of its type; everything the v1 shape cannot
    express (other capabilities, timeouts, privacy) is kept.
    """
    capabilities = copy.deepcopy(current.capabilities) if current else {}
    if current is not None and spec.type not in capabilities and v1_type(current) is not None:
        raise payload_invalid([InvalidParameter("type", "cannot be changed")])
    capability = capabilities.setdefault(spec.type, {})
    webhooks = capability.setdefault("webhooks", {})
    for name, hook in spec.webhooks().items():
        webhooks[name] = {**webhooks.get(name, {}), **hook}
    try:
        return ApplicationIn(
            name=spec.name,
            capabilities=Capabilities.model_validate(capabilities),
            privacy=Privacy(improve_ai=current.improve_ai if current else True),
        )
    except ValidationError as exc:
        raise payload_invalid(invalid_parameters(exc)) from None


def to_v1_wire(app: Application, private_key: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": app.id, "name": app.name}
    for kind, names in ENDPOINTS.items():
        if kind not in app.capabilities:
            continue
        hooks = app.capabilities[kind].get("webhooks", {})
        body[kind] = {
            "webhooks": [
                {
                    "endpoint_type": name,
                    "endpoint": hooks[name]["address"],
                    "http_method": hooks[name]["http_method"],
                }
                for name in names
                if name in hooks
            ]
        }
    body["keys"] = keys_of(app, private_key)
    body["_links"] = {"self": {"href": f"/v1/applications/{app.id}"}}
    return body
