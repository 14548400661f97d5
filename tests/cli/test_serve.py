"""``ringway serve`` as a user starts it: first account, TLS, and what it prints."""

from __future__ import annotations

import ssl
import urllib.request
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.servers import ringway_serve

ENV = {
    "RINGWAY_API_KEY": "5e7e0001",
    "RINGWAY_API_SECRET": "ServeSecret00001",
    "RINGWAY_SIGNATURE_SECRET": "signature-secret-for-the-serve-tests-0000000001",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RINGWAY_DATA_DIR", "RINGWAY_DATABASE_URL", *ENV):
        monkeypatch.delenv(name, raising=False)


def test_an_empty_database_gets_an_account_printed_once(tmp_path: Path) -> None:
    with ringway_serve(tmp_path) as served:
        first = served.output()
        with httpx.Client(base_url=served.url) as client:
            assert client.get("/_ringway/health").json()["status"] == "ok"
            assert client.get("/sign-in").status_code == 200
    assert "api_key:" in first and "api_secret:" in first and "signature_secret:" in first
    assert f"dashboard: {served.url}/" in first
    assert (tmp_path / "ringway.db").exists()
    with ringway_serve(tmp_path) as served:
        assert "api_secret" not in served.output()


def test_environment_credentials_become_the_first_account(tmp_path: Path) -> None:
    with (
        ringway_serve(tmp_path, env=ENV) as served,
        httpx.Client(base_url=served.url) as client,
    ):
        auth = (ENV["RINGWAY_API_KEY"], ENV["RINGWAY_API_SECRET"])
        assert client.get("/v2/applications", auth=auth).status_code == 200
        assert ENV["RINGWAY_SIGNATURE_SECRET"] in served.output()


def test_secrets_sent_in_requests_never_reach_the_log(tmp_path: Path) -> None:
    with ringway_serve(tmp_path, env=ENV) as served, httpx.Client(base_url=served.url) as client:
        before = served.output()
        for secret in ("LeakCandidate001", "LeakCandidate002"):
            client.get("/v2/applications", auth=(ENV["RINGWAY_API_KEY"], secret))
            client.get("/v1/applications", params={"api_key": "x", "api_secret": secret})
            client.post("/v1/applications", data={"api_key": "x", "api_secret": secret})
    after = served.output()
    assert "LeakCandidate" not in after
    assert after.count(ENV["RINGWAY_API_SECRET"]) == before.count(ENV["RINGWAY_API_SECRET"]) == 1


def test_tls_creates_a_local_ca_and_prints_how_to_trust_it(tmp_path: Path) -> None:
    with ringway_serve(tmp_path, "--tls", env=ENV) as served:
        ca = tmp_path / "tls" / "ca.pem"
        output = served.output()
        assert f"REQUESTS_CA_BUNDLE={ca}" in output
        assert f"NODE_EXTRA_CA_CERTS={ca}" in output
        assert served.url.startswith("https://127.0.0.1:")
        port = served.url.rsplit(":", 1)[1]
        context = ssl.create_default_context(cafile=str(ca))
        for host in ("127.0.0.1", "localhost"):
            with urllib.request.urlopen(
                f"https://{host}:{port}/_ringway/health", context=context
            ) as r:
                assert r.status == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{served.url}/_ringway/health")  # not trusted without the CA
    certificate = x509.load_pem_x509_certificate((tmp_path / "tls" / "server.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    # A second start reuses the same CA.
    before = ca.read_bytes()
    with ringway_serve(tmp_path, "--tls", env=ENV):
        assert ca.read_bytes() == before
