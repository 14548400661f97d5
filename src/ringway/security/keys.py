"""RSA key pairs: generation, a pool of ready pairs, and public-key checks."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from pathlib import Path
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


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """The RSA public key of a PEM, or ``ValueError`` saying why not."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValueError("must be an RSA public key in PEM format") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("must be an RSA public key, not another key type")
    return key


def normalize_public_key(pem: str) -> str:
    """Return the canonical PEM of an RSA public key, or raise ``ValueError`` saying why not."""
    key = load_public_key(pem)
    if key.key_size < 1024:
        raise ValueError("must be an RSA key of at least 1024 bits")
    return public_pem_of(key)


def public_key_of(private_pem: str) -> str:
    """The public PEM of an RSA private key in PEM, or ``ValueError`` saying why not."""
    try:
        key = serialization.load_pem_private_key(private_pem.strip().encode(), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValueError("must be an unencrypted RSA private key in PEM format") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("must be an RSA private key, not another key type")
    return public_pem_of(key.public_key())


def write_private_key(path: Path, pem: str) -> None:
    """Write a private key that only its owner can read (mode 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)


def _lower_priority() -> None:
    """Run the calling thread at the lowest CPU priority, so it only uses idle time and never
    delays the event loop (Linux schedules threads individually; elsewhere this is skipped)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class KeyPool:
    """Keeps up to ``size`` key pairs ready, refilled by background threads.

    OpenSSL releases the GIL while it generates keys, so refilling does not stall the event
    loop, and several threads use several cores (one makes only ~15-25 pairs a second here).
    ``take`` never waits on them: with the pool empty it generates inline.
    """

    def __init__(self, size: int, threads: int = 1) -> None:
        self._size = size
        self._thread_count = threads
        self._ready: deque[KeyPair] = deque()
        self._wanted = threading.Event()
        self._stopped = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if not self._size or self._threads:
            return
        for index in range(self._thread_count):
            thread = threading.Thread(
                target=self._fill, name=f"ringway-keypool-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._wanted.set()

    def stop(self) -> None:
        self._stopped = True
        self._wanted.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

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
        _lower_priority()
        while not self._stopped:
            self._wanted.wait()
            while not self._stopped and len(self._ready) < self._size:
                self._ready.append(generate_key_pair())
            if len(self._ready) >= self._size:
                self._wanted.clear()
