"""Seed files: ``ringway seed FILE`` and ``ringway serve --seed FILE`` on the database, through
``apply_seed`` (which ``ringway run`` calls too)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ringway.cli import main
from ringway.domain.seed import SeedError
from ringway.security.keys import generate_key_pair
from ringway.services.platform import Platform
from ringway.services.seed import apply_seed
from tests.servers import ringway_serve

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seed.toml"
IVR = "5eed0000-0000-4000-8000-000000000001"
CHAT = "5eed0000-0000-4000-8000-000000000002"
APP = "5eed0000-0000-4000-8000-0000000000a1"


def seed_cli(database_url: str, tmp_path: Path, *args: str, expect: int = 0) -> Result:
    result = CliRunner().invoke(
        main, ["seed", "--data-dir", str(tmp_path), "--database-url", database_url, *args]
    )
    assert result.exit_code == expect, result.output
    return result


def example(tmp_path: Path) -> Path:
    """The shipped example, copied where its key files may be written."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    return Path(shutil.copy(EXAMPLE, folder / "seed.toml"))


def verifies(private_key_file: Path, public_key: str) -> bool:
    token = pyjwt.encode({"sub": "seed"}, private_key_file.read_text(), algorithm="RS256")
    return pyjwt.decode(token, public_key, algorithms=["RS256"])["sub"] == "seed"


def test_the_example_applies_cleanly_and_a_second_time_changes_nothing(
    database_url: str, tmp_path: Path, platform: Platform
) -> None:
    seed = example(tmp_path)
    first = json.loads(seed_cli(database_url, tmp_path, str(seed), "--json").output)
    assert {item["action"] for item in first} == {"created"}
    assert {item["kind"] for item in first} == {"account", "application", "number", "phone",
                                                 "recipient", "fault"}  # fmt: skip
    keys = seed.parent / "keys"
    written = {item["name"]: item["private_key_file"] for item in first if item["key_written"]}
    assert written == {IVR: str(keys / "ivr.key"), CHAT: str(keys / "messages.key"),
                       "5eed0000-0000-4000-8000-000000000003": str(keys / "other.key")}  # fmt: skip
    before = {path.name: path.read_text() for path in keys.iterdir()}

    again = seed_cli(database_url, tmp_path, str(seed))
    assert "0 created, 0 updated, 15 kept" in again.output
    assert {path.name: path.read_text() for path in keys.iterdir()} == before

    account = platform.accounts.authenticate("5eed0001", "seed-secret-0001")
    assert account is not None
    assert account.signature_secret == "seed-signature-secret-0001-for-signed-webhooks"
    ivr = platform.applications.get(account.id, IVR)
    assert ivr.name == "IVR" and ivr.capabilities["voice"]["signed_callbacks"] is True
    answer = ivr.capabilities["voice"]["webhooks"]["answer_url"]
    assert answer == {"address": "http://localhost:3000/answer", "http_method": "GET",
                      "connect_timeout": 1000, "socket_timeout": 5000}  # fmt: skip
    assert platform.applications.get(account.id, CHAT).improve_ai is False
    assert verifies(keys / "ivr.key", ivr.public_key)
    assert (keys / "ivr.key").stat().st_mode & 0o777 == 0o600
    linked = {n: (found.account_id, found.app_id) for n in ("447700900001", "441632960500")
              if (found := platform.numbers.find(n))}  # fmt: skip
    assert linked == {"447700900001": (account.id, IVR), "441632960500": (account.id, IVR)}
    added = platform.numbers.find("441632960500")
    assert added is not None and (added.type, added.features) == ("landline", "VOICE")
    phones = platform.calls.phones.all(account.id)
    assert phones["447700900900"]["behaviour"] == "busy"
    assert phones["447700900901"]["dtmf"] == ["1234#"]
    assert phones["sip:alice@example.com"]["behaviour"] == "no-answer"
    recipients = platform.messages.recipients.all(account.id)
    assert recipients["447700900950"] == {"behaviour": "read", "delivered_after": 0.5,
                                          "read_after": 5.0, "channels": {}, "reaction": None,
                                          "react_after": 1.0}  # fmt: skip
    (fault,) = platform.faults.list(account.id)
    assert (fault.name, fault.match.kind, fault.action.status, fault.remaining) == (
        "first-answer-fails", "answer", 503, 1)  # fmt: skip
    other = platform.accounts.authenticate("5eed0002", "seed-secret-0002")
    assert other is not None and platform.applications.list(other.id, 1, 10).total_items == 1


def app_table(**extra: str) -> str:
    lines = "".join(f'{key} = "{value}"\n' for key, value in extra.items())
    return f'[[accounts.applications]]\nid = "{APP}"\nname = "mine"\n{lines}'


ACCOUNT = '[[accounts]]\napi_key = "5eed00a1"\napi_secret = "first-secret"\n'


def write(tmp_path: Path, text: str, name: str = "seed.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_re_applying_updates_what_the_file_changed_but_never_the_key(
    platform: Platform, tmp_path: Path
) -> None:
    seed = write(tmp_path, ACCOUNT + app_table(private_key_file="mine.key")
                 + f'[[accounts.numbers]]\nmsisdn = "447700900555"\napp_id = "{APP}"\n'
                 + '[accounts.phones."447700800003"]\nbehaviour = "busy"\n')  # fmt: skip
    apply_seed(platform, seed)
    key = (tmp_path / "mine.key").read_text()
    changed = (seed.read_text().replace('"first-secret"', '"second-secret"')
               .replace('name = "mine"', 'name = "renamed"')
               .replace(f'app_id = "{APP}"\n', "").replace('"busy"', '"reject"'))  # fmt: skip
    seed.write_text(changed)
    (tmp_path / "mine.key").unlink()  # an existing application's key file is not written again

    result = apply_seed(platform, seed)

    assert [(i.kind, i.action) for i in result.applied] == [
        ("account", "updated"), ("application", "updated"), ("number", "updated"),
        ("phone", "updated")]  # fmt: skip
    assert not result.applications[0].key_written and not (tmp_path / "mine.key").exists()
    account = platform.accounts.authenticate("5eed00a1", "second-secret")
    assert (
        account is not None and platform.accounts.authenticate("5eed00a1", "first-secret") is None
    )
    app = platform.applications.get(account.id, APP)
    assert app.name == "renamed"
    assert pyjwt.decode(pyjwt.encode({}, key, algorithm="RS256"), app.public_key,
                        algorithms=["RS256"]) == {}  # the key made at first, untouched  # fmt: skip
    number = platform.numbers.find("447700900555")
    assert number is not None and number.account_id == account.id and number.app_id is None
    assert platform.calls.phones.all(account.id)["447700800003"]["behaviour"] == "reject"
    assert not apply_seed(platform, seed).changed


def test_json_seeds_public_key_files_and_an_existing_private_key_file(
    platform: Platform, tmp_path: Path
) -> None:
    own, given = generate_key_pair(), generate_key_pair()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "own.pub").write_text(own.public_pem)
    (tmp_path / "kept.key").write_text(given.private_pem)
    ids = [f"5eed0000-0000-4000-8000-00000000000{n}" for n in range(1, 4)]
    body = {"accounts": [{"api_key": "5eed00j1", "api_secret": "json", "applications": [
        {"id": ids[0], "name": "file", "public_key_file": "keys/own.pub"},
        {"id": ids[1], "name": "inline", "keys": {"public_key": own.public_pem}},
        {"id": ids[2], "name": "kept", "private_key_file": "kept.key",
         "capabilities": {"vbc": {}}}]}]}  # fmt: skip
    for name in ("seed.json", "seed.cfg"):  # by extension, or by content
        seed = write(tmp_path, json.dumps(body), name)
        result = apply_seed(platform, seed)
        assert all(not item.key_written for item in result.applied)
    account = platform.accounts.find("5eed00j1")
    assert account is not None
    stored = [platform.applications.get(account.id, app_id).public_key for app_id in ids]
    assert stored == [own.public_pem, own.public_pem, given.public_pem]
    assert (tmp_path / "kept.key").read_text() == given.private_pem


GOOD = (
    '[[accounts]]\napi_key = "5eed00g1"\napi_secret = "good"\n'
    '[[accounts.applications]]\nid = "5eed0000-0000-4000-8000-0000000000b1"\nname = "good"\n'
    'private_key_file = "good.key"\n'
    '[[accounts.numbers]]\nmsisdn = "447700900666"\n'
    '[accounts.phones."447700800009"]\nbehaviour = "busy"\n'
)


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        ("accounts = [", "", "not valid TOML"),
        ("[[accounts]]\nsecret = 1\n", "accounts[0].api_key", "Field required"),
        ('[[accounts]]\napi_key = "a:b"\napi_secret = "x"\n', "accounts[0].api_key",
         "without spaces or ':'"),
        ("colour = 1\n", "colour", "is not a recognised property"),
        (ACCOUNT + app_table(private_key_file="a.key")
         + "[accounts.applications.capabilities.voice.webhooks.answer_url]\naddress = \"ftp://x\"\n",
         "accounts[0].applications[0].capabilities.voice.webhooks.answer_url.address",
         "String should match pattern"),
        (ACCOUNT + app_table(private_key_file="a.key")
         + "[accounts.applications.capabilities.messages]\ncolour = 1\n",
         "accounts[0].applications[0].capabilities.messages.colour",
         "is not a recognised property"),
        (ACCOUNT + app_table(private_key_file="a.key").replace(APP, "app-1"),
         "accounts[0].applications[0].id", "must be a UUID"),
        (ACCOUNT + app_table(), "accounts[0].applications[0]", "give exactly one of"),
        (ACCOUNT + app_table(private_key_file="a.key", public_key_file="a.pub"),
         "accounts[0].applications[0]", "not public_key_file and private_key_file"),
        (ACCOUNT + app_table(public_key_file="missing.pub"),
         "accounts[0].applications[0].public_key_file", "cannot read"),
        (ACCOUNT + app_table(public_key_file="junk.txt"),
         "accounts[0].applications[0].public_key_file", "must be an RSA public key"),
        (ACCOUNT + app_table(private_key_file="junk.txt"),
         "accounts[0].applications[0].private_key_file", "must be an unencrypted RSA private"),
        (ACCOUNT + app_table(private_key_file="junk.txt/a.key"),
         "accounts[0].applications[0].private_key_file", "cannot write"),
        (ACCOUNT + '[[accounts.numbers]]\nmsisdn = "12"\n',
         "accounts[0].numbers[0].msisdn", "has 2 digits"),
        (ACCOUNT + '[[accounts.numbers]]\nmsisdn = "99912345678"\n',
         "accounts[0].numbers[0]", "give the country"),
        (ACCOUNT + '[[accounts.numbers]]\nmsisdn = "447700900001"\ncountry = "FR"\n',
         "accounts[0].numbers[0].country", "is in GB, not FR"),
        (ACCOUNT + f'[[accounts.numbers]]\nmsisdn = "447700900001"\napp_id = "{APP}"\n',
         "accounts[0].numbers[0].app_id", "is no application of this account"),
        (ACCOUNT + '[[accounts.numbers]]\nmsisdn = "447700900444"\n',
         "accounts[0].numbers[0].msisdn", "is owned by another account"),
        (ACCOUNT + app_table(private_key_file="a.key").replace(APP, IVR),
         "accounts[0].applications[0].id", "belongs to another account"),
        (ACCOUNT + '[accounts.phones."sip:bob@x.com"]\nbehaviour = "sing"\n',
         'accounts[0].phones["sip:bob@x.com"].behaviour', "Input should be 'answer'"),
        (ACCOUNT + '[accounts.recipients."4477"]\nread_after = -1\n',
         'accounts[0].recipients["4477"].read_after', "greater than or equal to 0"),
        (ACCOUNT + ACCOUNT, "accounts[1].api_key", "is already at accounts[0].api_key"),
        (ACCOUNT + app_table(private_key_file="a.key") + app_table(private_key_file="b.key"),
         "accounts[0].applications[1].id", "is already at accounts[0].applications[0].id"),
        (ACCOUNT + '[[accounts.numbers]]\nmsisdn = "+44 7700 900001"\n'
         '[[accounts.numbers]]\nmsisdn = 447700900001\n',
         "accounts[0].numbers[1].msisdn", "is already at accounts[0].numbers[0].msisdn"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_file_the_path_and_the_reason_and_writes_nothing(
    platform: Platform, tmp_path: Path, text: str, path: str, reason: str
) -> None:
    """Each fault comes after a good account (before, at the top level), which is not created
    either: nothing is written."""
    (tmp_path / "junk.txt").write_text("not a key")
    theirs = ('[[accounts]]\napi_key = "5eed0ivr"\napi_secret = "x"\n'
              + app_table(private_key_file="ivr.key").replace(APP, IVR)
              + '[[accounts.numbers]]\nmsisdn = "447700900444"\n')  # fmt: skip
    apply_seed(platform, write(tmp_path, theirs, "theirs.toml"))  # what a file may collide with
    before = tables(platform)
    if path.startswith("accounts["):
        text = GOOD + text
        path, reason = (shifted(path), shifted(reason))
    else:
        text = text + GOOD
    seed = write(tmp_path, text)

    with pytest.raises(SeedError) as raised:
        apply_seed(platform, seed)

    assert any(p.path == path and reason in p.reason for p in raised.value.problems), (
        raised.value.problems
    )
    assert f"{seed}: {path + ': ' if path else ''}" in str(raised.value)
    assert tables(platform) == before
    assert not (tmp_path / "good.key").exists() and not (tmp_path / "a.key").exists()
    good = platform.numbers.find("447700900666")
    assert good is not None and good.account_id is None


def shifted(text: str) -> str:
    """Paths in a file with one more account before."""
    return text.replace("accounts[1]", "accounts[2]").replace("accounts[0]", "accounts[1]")


def tables(platform: Platform) -> dict[str, int]:
    with platform.db.engine.connect() as conn:
        return {name: int(conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one())
                for name in ("accounts", "applications", "numbers", "phones",
                             "recipients")}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [("seed.json", '{"accounts": [', "not valid JSON"),
     ("seed.json", "[]", "must hold an object"),
     ("seed.toml", "\udcff", "cannot read it")],
)  # fmt: skip
def test_a_file_that_is_no_seed_at_all(
    platform: Platform, tmp_path: Path, name: str, text: str, reason: str
) -> None:
    seed = tmp_path / name
    seed.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(SeedError, match=reason):
        apply_seed(platform, seed)
    with pytest.raises(SeedError, match="cannot read it"):
        apply_seed(platform, tmp_path / "missing.toml")


def test_the_commands_fail_with_every_problem_before_serving(
    database_url: str, tmp_path: Path
) -> None:
    seed = write(tmp_path, ACCOUNT + app_table() + '[[accounts.numbers]]\nmsisdn = "12"\n')
    output = seed_cli(database_url, tmp_path, str(seed), expect=1).output
    assert f"{seed}: accounts[0].applications[0]: give exactly one of" in output
    assert f"{seed}: accounts[0].numbers[0].msisdn: '12' has 2 digits" in output
    storage = ["--data-dir", str(tmp_path), "--database-url", database_url]
    served = CliRunner().invoke(main, ["serve", "--port", "0", *storage, "--seed", str(seed)])
    assert served.exit_code == 1 and "give exactly one of" in served.output
    assert "listening" not in served.output


def test_serve_seed_serves_the_seeded_data(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("RINGWAY_DATA_DIR", "RINGWAY_DATABASE_URL", "RINGWAY_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    seed = example(tmp_path)
    args = ("--database-url", database_url, "--seed", str(seed))
    with ringway_serve(tmp_path / "data", *args) as served:
        output = served.output()
        with httpx.Client(base_url=served.url, auth=("5eed0001", "seed-secret-0001")) as rest:
            app: dict[str, Any] = rest.get(f"/v2/applications/{IVR}").json()
            numbers = rest.get("/account/numbers").json()["numbers"]
            phone = rest.get("/_ringway/phones/447700900900").json()
    assert app["name"] == "IVR" and verifies(
        seed.parent / "keys" / "ivr.key", app["keys"]["public_key"]
    )
    assert {(n["msisdn"], n.get("app_id")) for n in numbers} == {
        ("447700900001", IVR), ("447700900002", CHAT), ("441632960500", IVR)}  # fmt: skip
    assert phone["behaviour"] == "busy"
    assert "15 created" in output and f"private key written to {seed.parent / 'keys'}" in output
    assert "api_secret:" not in output  # the seed made accounts: no random first one
    with ringway_serve(tmp_path / "data", *args) as served:
        assert "0 created, 0 updated, 15 kept" in served.output()
