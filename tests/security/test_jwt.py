"""Minting rules, acl matching and the public-key cache."""

from __future__ import annotations

import pytest

from ringway.security.jwt import PublicKeyCache, acl_allows, inspect, mint
from ringway.security.keys import generate_key_pair


@pytest.mark.parametrize("ttl", [29, 86_401])
def test_ttl_must_be_between_30_seconds_and_a_day(ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl"):
        mint("app", generate_key_pair().private_pem, ttl=ttl)


def test_minted_claims() -> None:
    claims = inspect(mint("app-1", generate_key_pair().private_pem, ttl=30))
    assert claims["exp"] - claims["iat"] == 30
    assert claims["application_id"] == "app-1"
    assert "nbf" not in claims and "sub" not in claims and "acl" not in claims


@pytest.mark.parametrize(
    ("pattern", "path", "allowed"),
    [
        ("/*/calls/**", "/v1/calls", True),  # ** matches zero or more segments
        ("/*/calls/**", "/v1/calls/abc/talk", True),
        ("/*/calls", "/v1/calls", True),
        ("/v1/calls", "/v1/calls/abc", False),
        ("/**", "/anything/at/all", True),
        ("/*/users/*", "/v1/calls/x", False),
    ],
)
def test_acl_paths_use_one_segment_and_any_rest_wildcards(
    pattern: str, path: str, allowed: bool
) -> None:
    assert acl_allows({"paths": {pattern: {}}}, "GET", path) is allowed


def test_acl_methods_and_malformed_acls() -> None:
    acl = {"paths": {"/v1/calls": {"methods": ["post"]}}}
    assert acl_allows(acl, "POST", "/v1/calls")
    assert not acl_allows(acl, "GET", "/v1/calls")
    assert not acl_allows("everything", "GET", "/v1/calls")
    assert not acl_allows({"paths": []}, "GET", "/v1/calls")


def test_the_key_cache_reloads_when_the_key_changes() -> None:
    cache = PublicKeyCache()
    first, second = generate_key_pair(), generate_key_pair()
    key = cache.get("app", first.public_pem)
    assert cache.get("app", first.public_pem) is key
    assert cache.get("app", second.public_pem).public_numbers() != key.public_numbers()
