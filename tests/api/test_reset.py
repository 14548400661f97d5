"""``POST /_ringway/reset``: everything of the calling account but its credentials is wiped
(its running calls ended first, in this server and in another on the same database), and
nothing of another account."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from vonage_jwt import JwtClient

from ringway.domain.calls import CallRecord, Entry
from ringway.services.accounts import Credentials
from ringway.services.platform import Platform
from ringway.services.seed import apply_seed
from ringway.storage.account_data import AccountData
from ringway.storage.calls import CallRepository
from ringway.storage.repositories import utcnow
from ringway.storage.tables import metadata
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver, Reply

CALLER = "447700900999"
HOLD = [{"action": "conversation", "name": "hold"}]  # a leg that waits without a timer
# Tables whose rows belong to an account; call_commands is checked by the storage test below;
# an account's secrets are its credentials, which a reset keeps.
NOT_COUNTED = {"accounts", "account_secrets", "processes", "dashboard_sessions", "numbers",
               "call_commands"}  # fmt: skip


@dataclass
class Tenant:
    """An account with one of every kind of data: an application (voice, messages, rtc), a
    linked number, a finished call with a recording, an inbound message and its delivery, a
    user in a conversation with an event, a phone and a recipient."""

    account: Credentials
    rest: httpx.Client
    hooks: Receiver
    path: str  # where its application's webhooks go on the receiver
    app_id: str
    private_key: str
    number: str
    call: str

    def jwt(self) -> str:
        token: bytes = JwtClient(self.app_id, self.private_key).generate_application_jwt()
        return token.decode()

    def rtc(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.rest.request(method, path, headers={"Authorization": f"Bearer {self.jwt()}"},
                                 auth=None, **kw)  # fmt: skip

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        response = self.rest.request(method, path, **kw)
        assert response.is_success, response.text
        return response.json() if response.content else None

    def place(self) -> str:
        placed = self.ok("POST", "/_ringway/calls", json={"from": CALLER, "to": self.number})
        return str(placed["uuid"])

    def statuses(self, uuid: str) -> list[str]:
        bodies = [orjson.loads(r.body) for r in self.hooks.on(self.path + "/event")]
        return [b["status"] for b in bodies if b.get("uuid") == uuid and "status" in b]


@contextmanager
def populate(server: LiveServer, hooks: Receiver, tag: str) -> Iterator[Tenant]:
    account = server.account()
    path = f"/{tag}"
    base = hooks.url + path
    with server.client(account) as rest:
        app = rest.post("/v2/applications", json={"name": tag, "capabilities": {
            "voice": {"webhooks": {"answer_url": {"address": base + "/answer"},
                                   "event_url": {"address": base + "/event"}}},
            "messages": {"webhooks": {"inbound_url": {"address": base + "/inbound"},
                                      "status_url": {"address": base + "/status"}}},
            "rtc": {"webhooks": {"event_url": {"address": base + "/rtc"}}}}}).json()  # fmt: skip
        found = rest.get("/number/search", params={"country": "GB", "pattern": "4477009"})
        number = found.json()["numbers"][0]["msisdn"]
        routing = {"country": "GB", "msisdn": number}
        assert rest.post("/number/buy", data=routing).status_code == 200
        assert rest.post("/number/update", data={**routing, "app_id": app["id"]}).is_success
        # The first call records, then ends; any later one holds in a conversation.
        record = [{"action": "record"}, {"action": "talk", "text": "Hello"}]
        hooks.answer(path + "/answer", Reply(body=record), Reply(body=HOLD))
        tenant = Tenant(account, rest, hooks, path, app["id"], app["keys"]["private_key"],
                        number, "")  # fmt: skip
        tenant.call = tenant.place()
        eventually(lambda: "completed" in tenant.statuses(tenant.call), what="the first call")
        tenant.ok("POST", "/_ringway/messages",
                  json={"channel": "sms", "from": CALLER, "to": number, "text": "Hi"})  # fmt: skip
        user = tenant.rtc("POST", "/v1/users", json={"name": "alice"}).json()
        conversation = tenant.rtc("POST", "/v1/conversations", json={"name": "support"}).json()
        members = f"/v1/conversations/{conversation['id']}/members"
        member = tenant.rtc("POST", members, json={"state": "joined", "user": {"id": user["id"]},
                                                   "channel": {"type": "app"}}).json()  # fmt: skip
        ping = {"type": "custom:ping", "from": member["id"], "body": {}}
        event = tenant.rtc("POST", f"/v1/conversations/{conversation['id']}/events", json=ping)
        assert event.status_code == 201, event.text
        tenant.ok("PUT", "/_ringway/phones/447700800001", json={"behaviour": "busy"})
        tenant.ok("PUT", "/_ringway/recipients/447700800002", json={"behaviour": "read"})
        tenant.ok("PUT", "/_ringway/faults/never", json={
            "match": {"url": "http://localhost:9/*"}, "action": {"status": 503}})  # fmt: skip
        eventually(lambda: tenant.ok("GET", "/_ringway/deliveries")["count"] >= 4
                   and not tenant.ok("GET", "/_ringway/deliveries",
                                     params={"state": "pending"})["count"],
                   what="every delivery sent")  # fmt: skip
        eventually(lambda: tenant.ok("GET", "/_ringway/calls")["count"], what="the stored call")
        yield tenant


def counts(server: LiveServer) -> dict[str, int]:
    with server.platform.db.engine.connect() as conn:
        return {
            table.name: int(
                conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
            for table in metadata.sorted_tables
            if table.name not in NOT_COUNTED
        }


def recordings(server: LiveServer, tenant: Tenant) -> Path:
    account = server.platform.accounts.find(tenant.account.api_key)
    assert account is not None
    return server.platform.settings.data_dir / "recordings" / account.id


@pytest.fixture
def other(server: LiveServer, hooks: Receiver) -> Iterator[Tenant]:
    with populate(server, hooks, "other") as tenant:
        yield tenant


def test_a_reset_wipes_every_kind_of_the_accounts_data_and_nothing_of_another(
    server: LiveServer, other: Tenant, hooks: Receiver
) -> None:
    before = counts(server)  # the other account's data only
    with populate(server, hooks, "tenant") as tenant:
        check_the_reset(server, other, tenant, before)


def check_the_reset(
    server: LiveServer, other: Tenant, tenant: Tenant, before: dict[str, int]
) -> None:
    held = tenant.place()
    eventually(lambda: "answered" in tenant.statuses(held), what="the held call's answer")

    def grown() -> dict[str, int] | None:  # the journal stores a finished call a moment later
        now = counts(server)
        return now if all(now[name] > before[name] for name in before) else None

    eventually(grown, what=f"every table to grow from {before}")
    assert any(recordings(server, tenant).iterdir())

    assert tenant.rest.post("/_ringway/reset").status_code == 204

    assert "completed" in tenant.statuses(held)  # hung up, its last events sent
    assert counts(server) == before
    assert tenant.ok("GET", "/v2/applications")["total_items"] == 0
    assert tenant.ok("GET", "/account/numbers")["count"] == 0
    for listed in ("/_ringway/calls", "/_ringway/messages", "/_ringway/deliveries"):
        assert tenant.ok("GET", listed)["count"] == 0, listed
    assert tenant.ok("GET", "/_ringway/phones")["phones"] == {}
    assert tenant.ok("GET", "/_ringway/recipients")["recipients"] == {}
    assert tenant.ok("GET", "/_ringway/faults")["faults"] == []
    for call in (tenant.call, held):
        assert tenant.rest.get(f"/_ringway/calls/{call}").status_code == 404
    assert tenant.rtc("GET", "/v1/users").status_code == 401  # its application is gone
    assert not recordings(server, tenant).exists()
    time.sleep(0.3)  # several journal batches: the held call does not come back
    assert counts(server) == before
    assert tenant.rest.get(f"/_ringway/calls/{held}").status_code == 404

    # The numbers are for sale again; the credentials work; a second reset is a 204 too.
    routing = {"country": "GB", "msisdn": tenant.number}
    assert tenant.rest.post("/number/buy", data=routing).status_code == 200
    assert tenant.rest.post("/_ringway/reset").status_code == 204
    assert tenant.rest.post("/_ringway/reset").status_code == 204

    # The other account lost nothing.
    assert other.ok("GET", "/v2/applications")["total_items"] == 1
    assert [n["msisdn"] for n in other.ok("GET", "/account/numbers")["numbers"]] == [other.number]
    assert other.ok("GET", f"/_ringway/calls/{other.call}")["status"] == "completed"
    assert other.ok("GET", "/_ringway/messages")["count"] == 1
    assert other.rtc("GET", "/v1/users").json()["_embedded"]["users"][0]["name"] == "alice"
    assert other.ok("GET", "/_ringway/phones")["phones"]
    assert any(recordings(server, other).iterdir())


def test_reset_needs_the_accounts_credentials(server: LiveServer) -> None:
    with server.client() as anonymous:
        assert anonymous.post("/_ringway/reset").status_code == 401
    with server.client(server.account()) as rest:
        assert rest.get("/_ringway/reset").status_code == 405


def test_a_call_running_in_another_server_is_hung_up_and_wiped(
    server: LiveServer, second_server: LiveServer, hooks: Receiver
) -> None:
    with populate(server, hooks, "tenant") as tenant, second_server.client(tenant.account) as there:
        placed = there.post("/_ringway/calls", json={"from": CALLER, "to": tenant.number})
        assert placed.status_code == 201, placed.text
        held = placed.json()["uuid"]
        eventually(lambda: "answered" in tenant.statuses(held), what="the held call's answer")

        assert tenant.rest.post("/_ringway/reset").status_code == 204  # through the first

        eventually(lambda: "completed" in tenant.statuses(held), what="the hang-up")
        time.sleep(0.3)  # the other server's journal would have stored its end by now
        for client in (tenant.rest, there):
            assert client.get(f"/_ringway/calls/{held}").status_code == 404
            assert client.get("/_ringway/calls").json()["count"] == 0
    with server.platform.db.engine.connect() as conn:
        for table in ("calls", "call_entries", "call_timelines", "call_commands"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def test_the_wipe_takes_call_rows_and_pending_commands_of_the_account_only(
    platform: Platform,
) -> None:
    """On storage alone, where no engine takes the commands meanwhile."""
    calls = CallRepository(platform.db)
    legs = {}
    for name in ("tenant", "other"):
        account = platform.accounts.create()
        now = utcnow()
        leg = CallRecord(str(uuid.uuid4()), str(uuid.uuid4()), account.account_id, None,
                         "CON-1", "inbound", CALLER, "447700900001", "phone", "answered",
                         "0.01", None, None, now, None, now, "elsewhere")  # fmt: skip
        calls.save([leg], [Entry(leg.session, 1, leg.uuid, now, "status", {})])
        calls.send_command(leg.uuid, {"action": "hangup"})
        legs[name] = (account.account_id, leg.uuid)
    wiped = AccountData(platform.db).wipe(legs["tenant"][0])
    assert (wiped["call_commands"], wiped["call_entries"], wiped["calls"]) == (1, 1, 1)
    with platform.db.engine.connect() as conn:
        left = [conn.execute(sa.text(f"SELECT {column} FROM {table}")).scalars().all()
                for table, column in (("call_commands", "leg"), ("calls", "uuid"),
                                      ("call_entries", "leg"))]  # fmt: skip
    assert left == [[legs["other"][1]]] * 3


def test_a_seeded_account_reset_and_seeded_again_is_as_seeded(
    server: LiveServer, tmp_path: Path
) -> None:
    """A seed after a reset brings the applications back with the key their users hold."""
    seed = tmp_path / "seed.toml"
    app_id = "5eed0000-0000-4000-8000-0000000000aa"
    seed.write_text(
        '[[accounts]]\napi_key = "5eed00aa"\napi_secret = "secret"\n'
        f'[[accounts.applications]]\nid = "{app_id}"\nname = "a"\nprivate_key_file = "a.key"\n'
        f'[[accounts.numbers]]\nmsisdn = "447700900777"\napp_id = "{app_id}"\n'
    )
    first = apply_seed(server.platform, seed)
    key = (tmp_path / "a.key").read_text()
    with httpx.Client(base_url=server.url, auth=("5eed00aa", "secret")) as rest:
        assert rest.post("/_ringway/reset").status_code == 204
        assert rest.get("/v2/applications").json()["total_items"] == 0
        again = apply_seed(server.platform, seed)
        assert [(i.kind, i.action) for i in first.applied] == [
            ("account", "created"),
            ("application", "created"),
            ("number", "created"),
        ]
        assert [(i.kind, i.action) for i in again.applied] == [
            ("account", "kept"), ("application", "created"), ("number", "created")]  # fmt: skip
        app = rest.get(f"/v2/applications/{app_id}").json()
        owned = rest.get("/account/numbers").json()["numbers"]
    assert [(n["msisdn"], n["app_id"]) for n in owned] == [("447700900777", app["id"])]
    assert (tmp_path / "a.key").read_text() == key  # the same key, not a new pair
    token = JwtClient(app["id"], key).generate_application_jwt().decode()
    with server.client() as client:
        assert client.get("/v1/calls", headers={"Authorization": f"Bearer {token}"}).is_success
