"""Caches in separate processes stay coherent: a write through one is seen by the next read
through another (SQLite ``data_version``; PostgreSQL LISTEN/NOTIFY)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ringway.security.jwt import mint
from ringway.security.keys import generate_key_pair
from tests.servers import RINGWAY, ringway_serve

KEY, SECRET = "c0ffee01", "CoherentSecret01"
ENV = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET}


@contextmanager
def two_processes(database_url: str, tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    """Two ``ringway serve`` on one database: a client of the first, signed in, and the
    second's URL."""
    args = ["--database-url", database_url]
    with (
        ringway_serve(tmp_path / "a", *args, env=ENV) as server_a,
        ringway_serve(tmp_path / "b", *args, env=ENV) as server_b,
        httpx.Client(base_url=server_a.url, auth=(KEY, SECRET)) as a,
    ):
        yield a, server_b.url


def test_a_write_through_one_process_is_read_through_another(
    database_url: str, tmp_path: Path
) -> None:
    with (
        two_processes(database_url, tmp_path) as (a, b_url),
        httpx.Client(base_url=b_url, auth=(KEY, SECRET)) as b,
    ):
        app = a.post("/v2/applications", json={"name": "v0"}).json()
        path = f"/v2/applications/{app['id']}"
        listed = "/v2/applications?page_size=10"
        for version in range(1, 21):
            assert b.get(path).json()["name"] == f"v{version - 1}"  # fills b's cache
            assert names(b.get(listed)) == [f"v{version - 1}"]  # and its rendered page
            assert a.put(path, json={"name": f"v{version}"}).status_code == 200
            assert b.get(path).json()["name"] == f"v{version}"
            assert names(b.get(listed)) == [f"v{version}"]
        assert a.delete(path).status_code == 204
        assert b.get(path).status_code == 404
        assert names(b.get(listed)) == []


def names(page: httpx.Response) -> list[str]:
    return [app["name"] for app in page.json()["_embedded"]["applications"]]


def test_a_token_another_process_remembers_is_refused_once_its_key_or_application_goes(
    database_url: str, tmp_path: Path
) -> None:
    with (
        two_processes(database_url, tmp_path) as (a, b_url),
        httpx.Client(base_url=b_url) as b,
    ):
        app = a.post("/v2/applications", json={"name": "jwt"}).json()

        def listed(token: str) -> int:
            return b.get("/v1/calls", headers={"Authorization": f"Bearer {token}"}).status_code

        token = mint(app["id"], app["keys"]["private_key"])
        assert [listed(token) for _ in range(3)] == [200, 200, 200]  # b has verified it
        fresh = generate_key_pair()
        rekeyed = a.put(f"/v2/applications/{app['id']}",
                        json={"name": "jwt", "keys": {"public_key": fresh.public_pem}})  # fmt: skip
        assert rekeyed.status_code == 200, rekeyed.text
        assert listed(token) == 401
        token = mint(app["id"], fresh.private_pem)
        assert [listed(token) for _ in range(2)] == [200, 200]
        assert a.delete(f"/v2/applications/{app['id']}").status_code == 204
        assert listed(token) == 401


def test_a_rotated_secret_stops_working_at_once_in_a_running_server(
    database_url: str, tmp_path: Path
) -> None:
    with (
        ringway_serve(tmp_path, "--database-url", database_url, env=ENV) as served,
        httpx.Client(base_url=served.url) as client,
    ):
        assert client.get("/v2/applications", auth=(KEY, SECRET)).status_code == 200
        subprocess.run(
            [
                *RINGWAY,
                "accounts",
                "rotate-secret",
                KEY,
                "--api-secret",
                "RotatedSecret002",
                "--data-dir",
                str(tmp_path),
                "--database-url",
                database_url,
            ],
            check=True,
            capture_output=True,
        )
        assert client.get("/v2/applications", auth=(KEY, SECRET)).status_code == 401
        assert client.get("/v2/applications", auth=(KEY, "RotatedSecret002")).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_several_workers_share_one_database(database_url: str, tmp_path: Path) -> None:
    with (
        ringway_serve(
            tmp_path, "--database-url", database_url, "--workers", "2", env=ENV
        ) as served,
        httpx.Client(base_url=served.url, auth=(KEY, SECRET)) as client,
    ):
        app = client.post("/v2/applications", json={"name": "n0"}).json()
        path = f"/v2/applications/{app['id']}"
        for version in range(1, 31):
            # A fresh connection each time, so requests spread over both workers.
            with httpx.Client(base_url=served.url, auth=(KEY, SECRET)) as fresh:
                assert fresh.put(path, json={"name": f"n{version}"}).status_code == 200
            with httpx.Client(base_url=served.url, auth=(KEY, SECRET)) as fresh:
                assert fresh.get(path).json()["name"] == f"n{version}"
