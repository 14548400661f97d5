"""Users, conversations, members and events of the Conversation API. An event is stored with
the delivery that reports it, and takes the conversation's next id, in one transaction: ids
follow the order events happen in, and deliveries follow the ids."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ringway.domain.conversations import Conversation, Event, Member, User
from ringway.domain.deliveries import NewDelivery
from ringway.storage.database import Database
from ringway.storage.deliveries import DeliveryRepository
from ringway.storage.repositories import columns_of, record_of
from ringway.storage.tables import rtc_conversations, rtc_events, rtc_members, rtc_users


class ConversationGone(Exception):
    """The conversation was deleted while an event for it was being stored."""


class MemberChanged(Exception):
    """Another change to the member, or to the user's membership, came first."""


class NameTaken(Exception):
    """Another user or conversation of the application has the name."""


# What a change emits: the event (its id filled in on storing) and its delivery, if any.
Emit = Callable[[Event], NewDelivery | None]


class ConversationRepository:
    def __init__(self, db: Database, deliveries: DeliveryRepository) -> None:
        self._db = db
        self._deliveries = deliveries

    # -- users ---------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        try:
            with self._db.engine.begin() as conn:
                conn.execute(sa.insert(rtc_users).values(**columns_of(user)))
        except IntegrityError:
            raise NameTaken(user.name) from None

    def replace_user(self, user: User) -> None:
        values = columns_of(user)
        try:
            with self._db.engine.begin() as conn:
                conn.execute(sa.update(rtc_users).where(rtc_users.c.id == user.id).values(values))
        except IntegrityError:
            raise NameTaken(user.name) from None

    def user(self, application_id: str, ident: str) -> User | None:
        """A user by id, or by name."""
        column = rtc_users.c.id if ident.startswith("USR-") else rtc_users.c.name
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(rtc_users).where(
                    rtc_users.c.application_id == application_id, column == ident
                )
            ).first()
        return record_of(User, row._mapping) if row else None

    def users_by_id(self, application_id: str, ids: Collection[str]) -> dict[str, User]:
        """Those of ``ids`` that are users of the application, in one read."""
        if not ids:
            return {}
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(rtc_users).where(
                    rtc_users.c.application_id == application_id, rtc_users.c.id.in_(ids)
                )
            ).all()
        return {row.id: record_of(User, row._mapping) for row in rows}

    def users(
        self, application_id: str, name: str | None, offset: int, limit: int, newest: bool
    ) -> list[User]:
        where = [rtc_users.c.application_id == application_id]
        if name is not None:
            where.append(rtc_users.c.name == name)
        order = (rtc_users.c.created_at.desc(), rtc_users.c.id.desc()) if newest else (
            rtc_users.c.created_at, rtc_users.c.id)  # fmt: skip
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(rtc_users).where(*where).order_by(*order).offset(offset).limit(limit)
            ).all()
        return [record_of(User, r._mapping) for r in rows]

    def delete_user(self, user_id: str) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(sa.delete(rtc_users).where(rtc_users.c.id == user_id))

    # -- conversations -------------------------------------------------------------------

    def add_conversation(self, conversation: Conversation, delivery: NewDelivery | None) -> None:
        try:
            with self._db.engine.begin() as conn:
                conn.execute(sa.insert(rtc_conversations).values(**columns_of(conversation)))
                self._deliveries.enqueue(conn, [delivery] if delivery else [])
        except IntegrityError:
            raise NameTaken(conversation.name) from None

    def replace_conversation(self, conversation: Conversation) -> None:
        values = columns_of(conversation)
        del values["sequence_number"]
        try:
            with self._db.engine.begin() as conn:
                conn.execute(
                    sa.update(rtc_conversations)
                    .where(rtc_conversations.c.id == conversation.id)
                    .values(values)
                )
        except IntegrityError:
            raise NameTaken(conversation.name) from None

    def conversation(self, application_id: str, ident: str) -> Conversation | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(rtc_conversations).where(
                    rtc_conversations.c.application_id == application_id,
                    rtc_conversations.c.id == ident,
                )
            ).first()
        return record_of(Conversation, row._mapping) if row else None

    def conversations(
        self, application_id: str, offset: int, limit: int, newest: bool
    ) -> list[Conversation]:
        t = rtc_conversations
        order = (t.c.created_at.desc(), t.c.id.desc()) if newest else (t.c.created_at, t.c.id)
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(t).where(t.c.application_id == application_id)
                .order_by(*order).offset(offset).limit(limit)
            ).all()  # fmt: skip
        return [record_of(Conversation, r._mapping) for r in rows]

    def delete_conversation(self, conversation_id: str) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(
                sa.delete(rtc_conversations).where(rtc_conversations.c.id == conversation_id)
            )

    # -- members and events --------------------------------------------------------------

    def member(self, conversation_id: str, member_id: str) -> Member | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(rtc_members).where(
                    rtc_members.c.conversation_id == conversation_id,
                    rtc_members.c.id == member_id,
                )
            ).first()
        return record_of(Member, row._mapping) if row else None

    def members(self, conversation_id: str) -> list[Member]:
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(rtc_members)
                .where(rtc_members.c.conversation_id == conversation_id)
                .order_by(rtc_members.c.created_at, rtc_members.c.id)
            ).all()
        return [record_of(Member, r._mapping) for r in rows]

    def save_member(
        self, member: Member, was: str | None, events: Iterable[Event], emit: Emit
    ) -> list[Event]:
        """Store a member's change from state ``was`` (``None``: a new member) and the events
        it makes, numbered in order. ``MemberChanged`` if another change came first: the
        member left or joined meanwhile, or the user got another active member."""
        try:
            with self._db.engine.begin() as conn:
                if was is None:
                    conn.execute(sa.insert(rtc_members).values(**columns_of(member)))
                else:
                    changed = conn.execute(
                        sa.update(rtc_members)
                        .where(rtc_members.c.id == member.id, rtc_members.c.state == was)
                        .values(columns_of(member))
                    )
                    if changed.rowcount != 1:
                        raise MemberChanged(member.id)
                return self._record(conn, events, emit)
        except IntegrityError:
            raise MemberChanged(member.id) from None

    def add_event(self, event: Event, emit: Emit) -> Event:
        with self._db.engine.begin() as conn:
            return self._record(conn, [event], emit)[0]

    def _record(self, conn: sa.Connection, events: Iterable[Event], emit: Emit) -> list[Event]:
        stored = []
        for event in events:
            number = conn.execute(
                sa.update(rtc_conversations)
                .where(rtc_conversations.c.id == event.conversation_id)
                .values(sequence_number=rtc_conversations.c.sequence_number + 1)
                .returning(rtc_conversations.c.sequence_number)
            ).scalar_one_or_none()
            if number is None:
                raise ConversationGone(event.conversation_id)
            numbered = Event(event.conversation_id, number, event.type, event.from_member,
                             event.body, event.timestamp)  # fmt: skip
            delivery = emit(numbered)  # first: it completes the body with who it is about
            conn.execute(sa.insert(rtc_events).values(**columns_of(numbered)))
            self._deliveries.enqueue(conn, [delivery] if delivery else [])
            stored.append(numbered)
        return stored

    def events(
        self, conversation_id: str, offset: int, limit: int, newest: bool = False
    ) -> list[Event]:
        order = rtc_events.c.id.desc() if newest else rtc_events.c.id
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(rtc_events)
                .where(rtc_events.c.conversation_id == conversation_id)
                .order_by(order)
                .offset(offset)
                .limit(limit)
            ).all()
        return [record_of(Event, r._mapping) for r in rows]

    def delete_event(self, conversation_id: str, event_id: int) -> bool:
        with self._db.engine.begin() as conn:
            return conn.execute(sa.delete(rtc_events).where(
                rtc_events.c.conversation_id == conversation_id, rtc_events.c.id == event_id,
            )).rowcount == 1  # fmt: skip

    def event(self, conversation_id: str, event_id: int) -> Event | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(rtc_events).where(
                    rtc_events.c.conversation_id == conversation_id, rtc_events.c.id == event_id
                )
            ).first()
        return record_of(Event, row._mapping) if row else None
