"""Credential generation and hashing."""

from __future__ import annotations

from ringway.security import secrets


def test_secrets_are_hashed_with_a_salt_and_checked() -> None:
    secret = secrets.new_api_secret()
    salt_a, salt_b = secrets.new_salt(), secrets.new_salt()
    hash_a = secrets.hash_secret(secret, salt_a)
    assert secret not in hash_a
    assert hash_a != secrets.hash_secret(secret, salt_b)
    assert secrets.secret_matches(secret, salt_a, hash_a)
    assert not secrets.secret_matches(secret + "x", salt_a, hash_a)


def test_generated_credentials_have_the_vonage_shapes() -> None:
    assert len(secrets.new_api_key()) == 8
    assert len(secrets.new_api_secret()) == 16
    assert secrets.new_api_secret() != secrets.new_api_secret()
