"""Key pairs, the key pool and public-key checks."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ringway.security.keys import KeyPool, generate_key_pair, normalize_public_key


def test_generated_pairs_are_rsa_2048_pkcs8() -> None:
    pair = generate_key_pair()
    key = serialization.load_pem_private_key(pair.private_pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert pair.private_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert pair.private_pem.endswith("\n")


def test_a_pkcs1_public_key_is_accepted_and_normalised() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pkcs1 = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    normalised = normalize_public_key("\r\n" + pkcs1.decode().replace("\n", "\r\n"))
    assert normalised.startswith("-----BEGIN PUBLIC KEY-----")
    assert serialization.load_pem_public_key(normalised.encode()).public_numbers() == (
        key.public_numbers()
    )


def test_a_non_key_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="RSA public key in PEM"):
        normalize_public_key("hello")


def test_the_pool_fills_in_the_background_and_hands_out_distinct_pairs() -> None:
    pool = KeyPool(3)
    pool.start()
    deadline = time.monotonic() + 20
    while len(pool) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    pool.stop()
    assert len(pool) == 3
    pairs = [pool.take() for _ in range(3)]
    assert len(pool) == 0  # all three came from the pool, none was generated on the spot
    assert len({p.public_pem for p in pairs}) == 3


def test_an_empty_pool_still_hands_out_a_pair() -> None:
    pool = KeyPool(0)
    assert pool.take().public_pem.startswith("-----BEGIN PUBLIC KEY-----")
