"""Applying a seed file (``domain/seed``) through the services, idempotently.

The whole file is checked before anything is written: its shape and values, then what only the
database and the disk tell (an application id or a number another account holds, the key
files). Then the file is the truth for what it names, and what it does not name is left alone:

- an account is created with the file's credentials; an existing one is given the file's
  ``api_secret`` (and ``signature_secret``, when the file has one) where they differ;
- an application is created with the file's id; an existing one (of that account) is replaced
  by the file's name, capabilities and privacy where they differ, and **its key is never
  touched**. A new application's public key is ``keys.public_key`` or the ``public_key_file``;
  with ``private_key_file``, the key in that file if it exists (so an application wiped by a
  reset comes back with the key its users already hold), else a generated pair whose private
  key is written there (mode 0600) before the application is stored;
- a number missing from the inventory is added to it, then bought if it is for sale, and linked
  to the file's ``app_id`` (none: unlinked) unless it already is;
- a phone's or a recipient's behaviour is set to the file's unless it already is.

Applying the same file again changes nothing: every item of the result is ``kept``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ringway.domain.applications import KeysIn, capabilities_dump
from ringway.domain.errors import LegacyError, ProblemError
from ringway.domain.faults import FaultSpec
from ringway.domain.numbers import NumberRange
from ringway.domain.seed import (
    Seed,
    SeedAccount,
    SeedApplication,
    SeedError,
    SeedNumber,
    SeedProblem,
    parse_seed,
)
from ringway.security.keys import normalize_public_key, public_key_of, write_private_key
from ringway.services.accounts import AccountError
from ringway.services.parties import Parties

if TYPE_CHECKING:
    from ringway.services.platform import Platform

Action = Literal["created", "updated", "kept"]
COST = "1.00"  # the monthly cost of a number a seed adds to the inventory


@dataclass(frozen=True)
class Applied:
    """What became of one thing the file names."""

    kind: Literal["account", "application", "number", "phone", "recipient", "fault"]
    account: str  # the api_key of the account it belongs to
    name: str  # the api_key, application id, msisdn or address
    action: Action
    private_key_file: Path | None = None  # an application's, as the file names it
    key_written: bool = False  # a generated private key was written to it just now


@dataclass
class SeedResult:
    file: Path
    applied: list[Applied] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(item.action != "kept" for item in self.applied)

    @property
    def applications(self) -> list[Applied]:
        return [item for item in self.applied if item.kind == "application"]

    def summary(self) -> str:
        """``3 created, 1 updated, 5 kept``."""
        counts = {a: sum(i.action == a for i in self.applied) for a in ("created", "updated")}
        counts["kept"] = len(self.applied) - sum(counts.values())
        return ", ".join(f"{n} {action}" for action, n in counts.items())


def load_seed(path: Path) -> Seed:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(str(path), [SeedProblem("", f"cannot read it: {exc}")]) from None
    return parse_seed(text, str(path))


def apply_seed(platform: Platform, path: Path) -> SeedResult:
    """Apply the seed file at ``path``; a ``SeedError`` (naming the file, each fault's path in
    it and why) before anything is written if it cannot be."""
    seed = load_seed(path)
    keys = _check(platform, seed, path)
    return _Applier(platform, path, keys).apply(seed)


def _check(platform: Platform, seed: Seed, file: Path) -> dict[str, str | None]:
    """What only the database and the disk tell against the file; the public key of each
    application to create (``None``: a pair to generate)."""
    problems: list[SeedProblem] = []
    keys: dict[str, str | None] = {}
    for i, account in enumerate(seed.accounts):
        owner = platform.accounts.find(account.api_key)
        ours = {app.id for app in account.applications}
        for j, app in enumerate(account.applications):
            at = f"accounts[{i}].applications[{j}]"
            stored = platform.applications.find(app.id)
            if stored is not None and (owner is None or stored.account_id != owner.id):
                problems.append(SeedProblem(f"{at}.id", "belongs to another account"))
            try:
                key = _public_key(app, file.parent, creating=stored is None)
            except _KeyProblem as problem:
                problems.append(SeedProblem(f"{at}.{problem.where}", problem.reason))
                continue
            if stored is None:
                keys[app.id] = key
        for j, number in enumerate(account.numbers):
            at = f"accounts[{i}].numbers[{j}]"
            known = platform.numbers.find(number.msisdn)
            holder = known.account_id if known is not None else None
            if holder is not None and (owner is None or holder != owner.id):
                problems.append(SeedProblem(f"{at}.msisdn", "is owned by another account"))
            elif known is not None and known.country != number.country:
                problems.append(SeedProblem(f"{at}.country", f"{number.msisdn} is in "
                                            f"{known.country}, not {number.country}"))  # fmt: skip
            if number.app_id is not None and number.app_id not in ours:
                linked = platform.applications.find(number.app_id)
                if linked is None or owner is None or linked.account_id != owner.id:
                    problems.append(SeedProblem(f"{at}.app_id",
                                                "is no application of this account"))  # fmt: skip
    if problems:
        raise SeedError(str(file), problems)
    return keys


class _KeyProblem(Exception):
    def __init__(self, where: str, reason: str) -> None:
        self.where, self.reason = where, reason


def _public_key(app: SeedApplication, base: Path, creating: bool) -> str | None:
    """The application's public key as the file gives it; ``None`` for a pair to generate (or,
    when the application exists, a private key file left alone)."""
    if app.keys is not None and app.keys.public_key:
        return _valid("keys.public_key", normalize_public_key, app.keys.public_key)
    if app.public_key_file is not None:
        pem = _read("public_key_file", base / app.public_key_file)
        return _valid("public_key_file", normalize_public_key, pem)
    assert app.private_key_file is not None
    path = base / app.private_key_file
    if not creating:
        return None
    if path.exists():
        return _valid("private_key_file", public_key_of, _read("private_key_file", path))
    folder = next(p for p in path.parents if p.exists())
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise _KeyProblem("private_key_file", f"cannot write {path}: {folder} is not a "
                          "folder this process may write in")  # fmt: skip
    return None


def _read(where: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _KeyProblem(where, f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _KeyProblem(where, f"{path} is not a PEM file (not UTF-8 text)") from None


def _valid(where: str, check: Callable[[str], str], pem: str) -> str:
    try:
        key = check(pem)
    except ValueError as exc:
        raise _KeyProblem(where, str(exc)) from None
    return key


class _Applier:
    def __init__(self, platform: Platform, file: Path, keys: dict[str, str | None]) -> None:
        self._platform = platform
        self._file = file
        self._keys = keys
        self._result = SeedResult(file)
        self._where = ""  # the item being applied, to name it if a race makes it fail

    def apply(self, seed: Seed) -> SeedResult:
        try:
            for i, account in enumerate(seed.accounts):
                self._where = f"accounts[{i}]"
                account_id = self._account(account)
                for j, app in enumerate(account.applications):
                    self._where = f"accounts[{i}].applications[{j}]"
                    self._application(account.api_key, account_id, app)
                for j, number in enumerate(account.numbers):
                    self._where = f"accounts[{i}].numbers[{j}]"
                    self._number(account.api_key, account_id, number)
                parties = (
                    ("phone", account.phones, self._platform.calls.phones),
                    ("recipient", account.recipients, self._platform.messages.recipients),
                )
                for kind, behaviours, store in parties:
                    self._where = f"accounts[{i}].{kind}s"
                    self._parties(kind, account.api_key, account_id, behaviours, store)
                self._where = f"accounts[{i}].faults"
                self._faults(account.api_key, account_id, account.faults)
        except (AccountError, LegacyError, ProblemError) as exc:  # another writer got there first
            raise SeedError(str(self._file), [SeedProblem(self._where, str(exc))]) from exc
        return self._result

    def _note(self, kind: Any, account: str, name: str, action: Action, **more: Any) -> None:
        self._result.applied.append(Applied(kind, account, name, action, **more))

    def _account(self, account: SeedAccount) -> str:
        accounts = self._platform.accounts
        stored = accounts.find(account.api_key)
        if stored is None:
            created = accounts.create(account.api_key, account.api_secret,
                                      account.signature_secret)  # fmt: skip
            self._note("account", account.api_key, account.api_key, "created")
            return created.account_id
        action: Action = "kept"
        if accounts.authenticate(account.api_key, account.api_secret) is None:
            accounts.rotate_secret(account.api_key, account.api_secret)
            action = "updated"
        wanted = account.signature_secret
        if wanted is not None and wanted != stored.signature_secret:
            accounts.set_signature_secret(account.api_key, wanted)
            action = "updated"
        self._note("account", account.api_key, account.api_key, action)
        return stored.id

    def _application(self, api_key: str, account_id: str, app: SeedApplication) -> None:
        applications = self._platform.applications
        key_file = self._file.parent / app.private_key_file if app.private_key_file else None
        stored = applications.find(app.id)
        if stored is not None:
            spec = app.model_copy(update={"keys": None})
            same = (stored.name, stored.capabilities, stored.improve_ai) == (
                app.name, capabilities_dump(app.capabilities), app.privacy.improve_ai)  # fmt: skip
            if not same:
                applications.replace(account_id, app.id, spec)
            self._note("application", api_key, app.id, "kept" if same else "updated",
                       private_key_file=key_file)  # fmt: skip
            return
        public_key, written = self._keys[app.id], False
        if public_key is None:
            assert key_file is not None
            private_key, public_key = self._platform.key_pool.take()
            key_file.parent.mkdir(parents=True, exist_ok=True)
            write_private_key(key_file, private_key)  # first: a key stored is a key held
            written = True
        spec = app.model_copy(update={"keys": KeysIn(public_key=public_key)})
        applications.create(account_id, spec, app.id)
        self._note("application", api_key, app.id, "created", private_key_file=key_file,
                   key_written=written)  # fmt: skip

    def _number(self, api_key: str, account_id: str, number: SeedNumber) -> None:
        numbers = self._platform.numbers
        country = number.country
        assert country is not None  # the model fills it in from the calling code
        known = numbers.find(number.msisdn)
        if known is None:
            numbers.seed([NumberRange(country, number.type, int(number.msisdn), 1,
                                      tuple(dict.fromkeys(number.features)), COST)])  # fmt: skip
        action: Action = "kept"
        if known is None or known.account_id is None:
            numbers.buy(account_id, country, number.msisdn)
            known, action = numbers.find(number.msisdn), "created"
        if known is None or known.app_id != number.app_id:
            numbers.link(account_id, country, number.msisdn, number.app_id)
            action = "created" if action == "created" else "updated"
        self._note("number", api_key, number.msisdn, action)

    def _faults(self, api_key: str, account_id: str, wanted: dict[str, FaultSpec]) -> None:
        """Each fault as the file says; one already set alike (with any seed, when the file
        gives none) is kept with its counts."""
        faults = self._platform.faults
        stored = {fault.name: fault.model_dump(include=set(FaultSpec.model_fields))
                  for fault in faults.list(account_id)}  # fmt: skip
        for name, spec in wanted.items():
            given = spec.model_dump(exclude={"seed"} if spec.seed is None else set())
            have = stored.get(name)
            action: Action = "kept"
            if have is None or {k: have[k] for k in given} != given:
                faults.put(account_id, name, spec)
                action = "updated" if have is not None else "created"
            self._note("fault", api_key, name, action)

    def _parties(
        self, kind: str, api_key: str, account_id: str, behaviours: dict[str, Any],
        store: Parties[Any],
    ) -> None:  # fmt: skip
        stored = store.all(account_id)
        for address, behaviour in behaviours.items():
            wanted = behaviour.model_dump(mode="json")
            action: Action = "kept"
            if stored.get(address) != wanted:
                store.set(account_id, address, behaviour)
                action = "updated" if address in stored else "created"
            self._note(kind, api_key, address, action)
