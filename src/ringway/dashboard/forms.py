"""The application form: wire objects flattened to dotted field names and back.

Every field is named by its path in the v2 wire body (``capabilities.voice.webhooks.answer_url
.address``), so the body a form makes is validated by the same rules as the API's, and each
``invalid_parameters`` entry lands beside the field it names.
"""

from __future__ import annotations

from typing import Any

from ringway.domain.applications import Application

CAPABILITIES = ("voice", "messages", "rtc", "vbc")
NUMBERS = ("connect_timeout", "socket_timeout", "conversations_ttl", "leg_persistence_time")


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` as ``{"a.b": "1"}``; booleans as ``"true"``/``"false"``."""
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    if isinstance(value, bool):
        return {prefix: "true" if value else "false"}
    return {prefix: "" if value is None else str(value)}


def application_values(app: Application) -> dict[str, str]:
    """An application as the form's fields: one per wire path, and a box per capability."""
    values = flatten({"name": app.name, "capabilities": app.capabilities})
    values.update({f"capability.{name}": "on" for name in app.capabilities})
    return values


def application_body(form: dict[str, str]) -> dict[str, Any]:
    """The v2 body a submitted form stands for. Capabilities whose box is unticked are left
    out, and so is a webhook with no address (its method and timeouts go with it); numbers
    typed as digits become numbers, so that the API's own bounds judge them."""
    body: dict[str, Any] = {"name": form.get("name", "")}
    for path, raw in form.items():
        parts = path.split(".")
        if parts[0] != "capabilities" or len(parts) < 3 or raw == "":
            continue
        if form.get(f"capability.{parts[1]}") != "on":
            continue
        if parts[2] == "webhooks" and not form.get(".".join([*parts[:4], "address"])):
            continue
        value: Any = int(raw) if parts[-1] in NUMBERS and raw.isdigit() else raw
        node = body
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    capabilities = body.setdefault("capabilities", {})
    for name in CAPABILITIES:
        if form.get(f"capability.{name}") == "on":
            capabilities.setdefault(name, {})
    return body
