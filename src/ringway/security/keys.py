"""RSA key pairs: generation, a pool of ready pairs, and public-key checks."""

from __future__ import annotations

import threading
from collections import deque
from typing import NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class KeyPair(NamedTuple):
    private_pem: str
    public_pem: str


def generate_key_pair() -> KeyPair:
    """A fresh RSA-2048 pair: PKCS#8 private key and SubjectPublicKeyInfo public key, as PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return KeyPair(private_pem, public_pem_of(key.public_key()))


def public_pem_of(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def normalize_public_key(pem: str) -> str:
    """Return the canonical PEM of an RSA public key, or raise ``ValueError`` saying why not."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValueError("must be an RSA public key in PEM format") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("must be an RSA public key, not another key type")
    if key.key_size < 1024:
        raise ValueError("must be an RSA key of at least 1024 bits")
    return public_pem_of(key)


class KeyPool:
    """Keeps up to ``size`` key pairs ready, refilled by a background thread.

    OpenSSL releases the GIL while it generates keys, so refilling does not stall the event
    loop. ``take`` never waits on the thread: with the pool empty it generates inline.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._ready: deque[KeyPair] = deque()
        self._wanted = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._size and self._thread is None:
            self._thread = threading.Thread(target=self._fill, name="ringway-keypool", daemon=True)
            self._thread.start()
            self._wanted.set()

    def stop(self) -> None:
        self._stopped = True
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def take(self) -> KeyPair:
        try:
            pair = self._ready.popleft()
        except IndexError:
            pair = generate_key_pair()
        self._wanted.set()
        return pair

    def __len__(self) -> int:
        return len(self._ready)

    def _fill(self) -> None:
        while not self._stopped:
            self._wanted.wait()
            self._wanted.clear()
            while not self._stopped and len(self._ready) < self._size:
                self._ready.append(generate_key_pair())
