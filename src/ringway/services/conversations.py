"""The Conversation API (rtc): users, conversations, members and events of an application, and
the rtc event_url webhooks they cause (wire §9), sent in order through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from ringway.domain.applications import Application
from ringway.domain.calls import ENDINGS, timestamp
from ringway.domain.conversations import Conversation, Event, Member, User
from ringway.domain.deliveries import NewDelivery
from ringway.domain.errors import InvalidParameter, ProblemError
from ringway.services.deliveries import DeliveryService, new_delivery
from ringway.storage.conversations import (
    ConversationGone,
    ConversationRepository,
    MemberChanged,
    NameTaken,
)
from ringway.storage.repositories import utcnow

ERRORS = "https://developer.nexmo.com/api/conversation"
MEDIA = {"audio_settings": {"enabled": False, "earmuffed": False, "muted": False}, "audio": False}
CHANNEL_TYPES = ("app", "phone", "sip", "websocket", "vbc", "sms", "mms", "whatsapp", "viber",
                 "messenger")  # fmt: skip
TEXT_FIELDS = {"name": 255, "display_name": 255, "image_url": 2048}


def problem(status: int, code: str, title: str, detail: str,
            params: list[InvalidParameter] | None = None) -> ProblemError:  # fmt: skip
    return ProblemError(status, f"{ERRORS}#{code}", title, detail, params or [], code=code)


def not_found(kind: str) -> ProblemError:
    code = {"user": "user:error:not-found", "conversation": "conversation:error:not-found",
            "member": "conversation:error:member-not-found",
            "event": "event:error:not-found"}[kind]  # fmt: skip
    return problem(404, code, "Not found.",
                   f"{kind.capitalize()} does not exist, or you do not have access.")  # fmt: skip


def invalid(name: str, reason: str) -> ProblemError:
    return problem(400, "http:error:validation-fail", "Bad request.", "Input validation failure.",
                   [InvalidParameter(name, reason)])  # fmt: skip


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    return body


def _texts(body: dict[str, Any]) -> dict[str, str | None]:
    """The name-like fields of a body, checked."""
    found: dict[str, str | None] = {}
    for name, limit in TEXT_FIELDS.items():
        value = body.get(name)
        if value is not None and not (isinstance(value, str) and 0 < len(value) <= limit):
            raise invalid(name, f'"{name}" must be a string of 1 to {limit} characters')
        found[name] = value
    return found


R = TypeVar("R", User, Conversation)


def _updated(record: R, body: dict[str, Any]) -> R:
    """``record`` with the fields ``body`` gives (a name can be changed, not removed)."""
    texts = _texts(body)
    changes: dict[str, Any] = {name: texts[name] for name in TEXT_FIELDS if name in body}
    if changes.get("name", "") is None:
        del changes["name"]
    for name in ("properties", "channels"):
        if name in body and hasattr(record, name):
            changes[name] = _dict(body, name)
    return replace(record, **changes)


def _dict(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name, {})
    if not isinstance(value, dict):
        raise invalid(name, f'"{name}" must be an object')
    return value


@dataclass(frozen=True)
class AppLeg:
    """A voice leg to an app user, as its rtc events tell it."""

    uuid: str
    conversation_id: str
    direction: str
    user: str  # the user's name
    status: str
    history: list[tuple[str, datetime]]


class ConversationService:
    def __init__(self, repository: ConversationRepository, deliveries: DeliveryService) -> None:
        self._store = repository
        self._deliveries = deliveries

    # -- users ---------------------------------------------------------------------------

    def create_user(self, app: Application, body: Any) -> User:
        body = _object(body)
        texts = _texts(body)
        name = texts["name"] or f"NAM-{uuid.uuid4()}"
        if name == "me" or name.startswith("USR-"):
            raise problem(400, "user:error:invalid-user-name", "Bad request.",
                          "A user name may not be 'me' or start with 'USR-'.")  # fmt: skip
        user = User(f"USR-{uuid.uuid4()}", app.id, name, texts["display_name"],
                    texts["image_url"], _dict(body, "properties"), _dict(body, "channels"),
                    utcnow())  # fmt: skip
        self._unique(self._store.add_user, user, "user")
        return user

    def update_user(self, app: Application, ident: str, body: Any) -> User:
        changed = _updated(self.user(app, ident), _object(body))
        self._unique(self._store.replace_user, changed, "user")
        return changed

    def user(self, app: Application, ident: str) -> User:
        user = self._store.user(app.id, ident)
        if user is None:
            raise not_found("user")
        return user

    def users(
        self, app: Application, name: str | None, offset: int, limit: int, newest: bool
    ) -> list[User]:
        return self._store.users(app.id, name, offset, limit, newest)

    def delete_user(self, app: Application, ident: str) -> None:
        self._store.delete_user(self.user(app, ident).id)

    # -- conversations -------------------------------------------------------------------

    def create_conversation(self, app: Application, body: Any) -> Conversation:
        body = _object(body)
        texts = _texts(body)
        now = utcnow()
        conversation = Conversation(
            f"CON-{uuid.uuid4()}", app.id, texts["name"] or f"NAM-{uuid.uuid4()}",
            texts["display_name"], texts["image_url"], _dict(body, "properties"), "ACTIVE", 0,
            now, now,
        )  # fmt: skip
        self._unique(self._store.add_conversation, conversation, "conversation",
                     self._created(app, conversation))  # fmt: skip
        self._deliveries.wake()
        return conversation

    def update_conversation(self, app: Application, ident: str, body: Any) -> Conversation:
        found = self.conversation(app, ident)
        changed = replace(_updated(found, _object(body)), updated_at=utcnow())
        self._unique(self._store.replace_conversation, changed, "conversation")
        return changed

    def conversation(self, app: Application, ident: str) -> Conversation:
        found = self._store.conversation(app.id, ident)
        if found is None:
            raise not_found("conversation")
        return found

    def conversations(
        self, app: Application, offset: int, limit: int, newest: bool
    ) -> list[Conversation]:
        return self._store.conversations(app.id, offset, limit, newest)

    def delete_conversation(self, app: Application, ident: str) -> None:
        self._store.delete_conversation(self.conversation(app, ident).id)

    # -- members -------------------------------------------------------------------------

    def create_member(self, app: Application, cid: str, body: Any) -> Member:
        body = _object(body)
        conversation = self.conversation(app, cid)
        state = _state(body, ("invited", "joined"))
        user_ref = body.get("user")
        if not isinstance(user_ref, dict) or not isinstance(
            user_ref.get("id") or user_ref.get("name"), str
        ):
            raise invalid("user", '"user" must have an "id" or a "name"')
        user = self.user(app, user_ref.get("id") or user_ref["name"])
        channel = _channel(body.get("channel"))
        member = _new_member(conversation.id, user.id, channel, state)
        event = self._member_event(member, f"member:{state}")
        # The user's membership is unique while active (an index): a second one is refused.
        with _still_there(joining=True):
            self._store.save_member(member, None, [event], self._emitter(app, conversation, user))
        self._deliveries.wake()
        return member

    def update_member(self, app: Application, cid: str, member_id: str, body: Any) -> Member:
        body = _object(body)
        conversation = self.conversation(app, cid)
        member = self.member(app, cid, member_id)
        state = _state(body, ("joined", "left"))
        if member.state == "LEFT":
            raise problem(400, "conversation:error:invalid-member-state", "Conflict.",
                          "The conversation membership has already ended.")  # fmt: skip
        if member.state == state.upper():
            return member
        changed = _moved(member, state)
        reason = body.get("reason") if isinstance(body.get("reason"), dict) else None
        event = self._member_event(changed, f"member:{state}", reason)
        user = self.user_of(app, member)
        with _still_there():
            self._store.save_member(changed, member.state, [event],
                                    self._emitter(app, conversation, user))  # fmt: skip
        self._deliveries.wake()
        return changed

    def member(self, app: Application, cid: str, member_id: str) -> Member:
        self.conversation(app, cid)
        member = self._store.member(cid, member_id)
        if member is None:
            raise not_found("member")
        return member

    def members(self, app: Application, cid: str) -> list[tuple[Member, User | None]]:
        self.conversation(app, cid)
        members = self._store.members(cid)
        users = self._store.users_by_id(app.id, {member.user_id for member in members})
        return [(member, users.get(member.user_id)) for member in members]

    def user_of(self, app: Application, member: Member) -> User | None:
        """The member's user, unless it was deleted since."""
        return self._store.user(app.id, member.user_id)

    # -- events --------------------------------------------------------------------------

    def create_event(self, app: Application, cid: str, body: Any) -> Event:
        body = _object(body)
        conversation = self.conversation(app, cid)
        kind = body.get("type")
        if not (isinstance(kind, str) and kind.startswith("custom:") and 7 < len(kind) <= 100):
            raise invalid("type", '"type" must be a custom event type, "custom:…"')
        sender = body.get("from")
        member = self._store.member(cid, sender) if isinstance(sender, str) else None
        if member is None or member.state != "JOINED":
            raise problem(400, "event:error:not-joined", "Bad request.",
                          'The "from" member has not joined the conversation.')  # fmt: skip
        event = Event(cid, 0, kind, member.id, _dict(body, "body"), utcnow())
        user = self._store.user(app.id, member.user_id)
        with _still_there():
            stored = self._store.add_event(event, self._emitter(app, conversation, user))
        self._deliveries.wake()
        return stored

    def event(self, app: Application, cid: str, event_id: int) -> Event:
        self.conversation(app, cid)
        found = self._store.event(cid, event_id)
        if found is None:
            raise not_found("event")
        return found

    def delete_event(self, app: Application, cid: str, event_id: int) -> None:
        """The event leaves the conversation's history (its id is not used again)."""
        self.conversation(app, cid)
        if not self._store.delete_event(cid, event_id):
            raise not_found("event")

    def events(
        self, app: Application, cid: str, offset: int, limit: int, newest: bool = False
    ) -> list[Event]:
        self.conversation(app, cid)
        return self._store.events(cid, offset, limit, newest)

    # -- voice legs of app users ---------------------------------------------------------

    def leg_status(self, app: Application, leg: AppLeg) -> None:
        """A leg to one of the application's users moved on: the user's member in the call's
        conversation is invited when it starts, joins on answer, leaves at the end, and every
        status is a ``leg:status:update``. A user the application never created sees none."""
        user = self._store.user(app.id, leg.user)
        if user is None:
            return
        conversation = self._store.conversation(app.id, leg.conversation_id)
        if conversation is None:
            conversation = self._call_conversation(app, leg.conversation_id)
        found = [m for m in self._store.members(conversation.id) if m.channel.get("id") == leg.uuid]
        events: list[Event] = []
        member = found[0] if found else None
        if member is None:
            channel = {"type": "app", "id": leg.uuid, "to": {"type": "app", "user": user.name},
                       "leg_ids": [leg.uuid]}  # fmt: skip
            member = _new_member(conversation.id, user.id, channel)
            events.append(self._member_event(member, "member:invited"))
        was = found[0].state if found else None
        leaving = leg.status in ENDINGS and member.state != "LEFT"
        if leg.status == "answered" or leaving:
            member = _moved(member, "joined" if leg.status == "answered" else "left")
        history = [{"status": status, "date": timestamp(at), "member_id": member.id,
                    "conversation_id": conversation.id} for status, at in leg.history]  # fmt: skip
        update = {"leg_id": leg.uuid, "type": "app", "direction": leg.direction,
                  "status": leg.status, "statusHistory": history}  # fmt: skip
        if leg.status == "answered":
            events.append(self._member_event(member, "member:joined"))
        events.append(Event(conversation.id, 0, "leg:status:update", member.id, update, utcnow()))
        if leaving:
            events.append(self._member_event(member, "member:left"))
        self._store.save_member(member, was, events, self._emitter(app, conversation, user))
        self._deliveries.wake()

    def _call_conversation(self, app: Application, conversation_id: str) -> Conversation:
        """The conversation of a call, made when one of its legs first involves a user."""
        now = utcnow()
        conversation = Conversation(conversation_id, app.id, conversation_id, None, None, {},
                                    "ACTIVE", 0, now, now)  # fmt: skip
        self._store.add_conversation(conversation, self._created(app, conversation))
        return conversation

    def _created(self, app: Application, conversation: Conversation) -> NewDelivery | None:
        """``conversation:created``: no event id, and the conversation in the body."""
        envelope = {"type": "conversation:created", "application_id": app.id,
                    "timestamp": timestamp(conversation.created_at),
                    "body": conversation_body(conversation)}  # fmt: skip
        return self._delivery(app, conversation.id, envelope)

    # -- webhooks ------------------------------------------------------------------------

    def _member_event(self, member: Member, kind: str, reason: Any = None) -> Event:
        body: dict[str, Any] = {"member_id": member.id, "channel": member.channel,
                                "media": MEDIA, "timestamp": member.timestamps,
                                "initiator": {k: {"isSystem": v["is_system"]}
                                              for k, v in member.initiator.items()}}  # fmt: skip
        if reason is not None:
            body["reason"] = reason
        return Event(member.conversation_id, 0, kind, member.id, body, utcnow())

    def _emitter(self, app: Application, conversation: Conversation, user: User | None) -> Any:
        """Completes each event's body with who it is about, and makes its delivery."""

        def emit(event: Event) -> NewDelivery | None:
            if event.type.startswith("member:") and user is not None:
                event.body["user"] = {"id": user.id, "user_id": user.id,
                                      "member_id": event.from_member, "name": user.name,
                                      "display_name": user.display_name,
                                      "properties": {"custom_data": user.properties.get(
                                          "custom_data", {})}}  # fmt: skip
                event.body["conversation"] = {"conversation_id": conversation.id,
                                              "name": conversation.name}  # fmt: skip
            envelope = {**event_wire(event, user), "application_id": app.id,
                        "conversation_id": conversation.id}  # fmt: skip
            envelope.pop("_links", None)
            return self._delivery(app, conversation.id, envelope)

        return emit

    def _delivery(
        self, app: Application, subject: str, envelope: dict[str, Any]
    ) -> NewDelivery | None:
        hook = app.webhook("rtc", "event_url")
        if hook is None:
            return None
        signed = bool(app.capabilities["rtc"].get("signed_callbacks"))
        return new_delivery(app.account_id, app.id, "rtc", subject, hook["address"], envelope,
                            signed, utcnow())  # fmt: skip

    @staticmethod
    def _unique(store: Any, item: Any, kind: str, *more: Any) -> None:
        try:
            store(item, *more)
        except NameTaken:
            raise problem(409, f"{kind}:error:duplicate-name", "Conflict.",
                          f"The request failed because the {kind} name already exists. Please "
                          f"provide a unique {kind} name and try again.") from None  # fmt: skip


@contextmanager
def _still_there(joining: bool = False) -> Iterator[None]:
    """Changes that lost a race: to a deletion of the conversation, or to another change."""
    try:
        yield
    except ConversationGone:
        raise not_found("conversation") from None
    except MemberChanged:
        if joining:
            raise _already_joined() from None
        raise problem(400, "conversation:error:invalid-member-state", "Conflict.",
                      "The member changed meanwhile; read it and try again.") from None  # fmt: skip


def _already_joined() -> ProblemError:
    return problem(400, "conversation:error:member-already-joined", "Bad request.",
                   "The user already has a member in this conversation.")  # fmt: skip


def _channel(channel: Any) -> dict[str, Any]:
    """A member's channel. ``type`` may be left out, as the Vonage CLI does (the Conversation
    spec requires ``channel`` but not its ``type``): the member is then on the ``app`` channel."""
    if not isinstance(channel, dict):
        raise invalid("channel", '"channel" must be an object')
    found: dict[str, Any] = {"type": "app", **channel}
    if found["type"] not in CHANNEL_TYPES:
        raise invalid("channel", f'"channel.type" must be one of [{", ".join(CHANNEL_TYPES)}]')
    return found


def _state(body: dict[str, Any], allowed: tuple[str, ...]) -> str:
    state = body.get("state")
    if not isinstance(state, str) or state.lower() not in allowed:
        raise invalid("state", f'"state" must be one of [{", ".join(allowed)}]')
    return state.lower()


def conversation_body(conversation: Conversation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": conversation.id, "name": conversation.name,
        "timestamp": {"created": timestamp(conversation.created_at)}, "state": conversation.state,
    }  # fmt: skip
    for name in ("display_name", "image_url"):
        if getattr(conversation, name) is not None:
            body[name] = getattr(conversation, name)
    return body


def event_wire(event: Event, user: User | None) -> dict[str, Any]:
    href = f"/v1/conversations/{event.conversation_id}/events/{event.id}"
    wire: dict[str, Any] = {"id": event.id, "type": event.type, "from": event.from_member,
                            "body": event.body, "timestamp": timestamp(event.timestamp),
                            "_links": {"self": {"href": href}}}  # fmt: skip
    if event.from_member is not None:
        embedded: dict[str, Any] = {"from_member": {"id": event.from_member}}
        if user is not None:
            embedded["from_user"] = {"id": user.id, "name": user.name,
                                     **({"display_name": user.display_name}
                                        if user.display_name else {})}  # fmt: skip
        wire["_embedded"] = embedded
    return wire


def _new_member(
    conversation_id: str, user_id: str, channel: dict[str, Any], state: str = "invited"
) -> Member:
    """A member just ``invited`` (or ``joined`` at once), by the system."""
    now = timestamp(utcnow())
    return Member(f"MEM-{uuid.uuid4()}", conversation_id, user_id, state.upper(), channel,
                  {"invited": now, **({"joined": now} if state == "joined" else {})},
                  {state: {"is_system": True}}, utcnow())  # fmt: skip


def _moved(member: Member, state: str) -> Member:
    """The member in ``state`` (``joined``, ``left``) from now, moved by the system."""
    return replace(member, state=state.upper(),
                   timestamps={**member.timestamps, state: timestamp(utcnow())},
                   initiator={**member.initiator, state: {"is_system": True}})  # fmt: skip
