"""Signed parameters: what the Python SDK (``vonage-http-client``) sends verifies, though it
signs fields it does not send; anything else that differs does not."""

from __future__ import annotations

import time

import pytest
from vonage_http_client.auth import Auth

from ringway.security.sig import sign, signing_string, verify

SECRET = "a-signature-secret-of-some-length"


def python_sdk_request(method: str) -> dict[str, str]:
    """The form the SDK posts for a text: it signs its whole message model (absent fields as
    ``None``, ``sig`` too) and then sends only the fields that have values."""
    auth = Auth(api_key="cafe0001", signature_secret=SECRET, signature_method=method)
    model = dict.fromkeys(["sig", "client-ref", "type", "ttl", "status-report-req", "callback",
                           "message-class", "body", "udh", "protocol-id", "account-ref",
                           "entity-id", "content-id", "trusted-number"])  # fmt: skip
    params = {"to": "447700900123", "from": "Ringway", "text": "a&b=c", **model,
              "api_key": "cafe0001"}  # fmt: skip
    params["sig"] = auth.sign_params(params)
    return {key: str(value) for key, value in params.items() if value is not None}


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_what_the_python_sdk_sends_verifies_though_a_strict_check_fails(method: str) -> None:
    sent = python_sdk_request(method)
    assert verify(sent, SECRET)
    assert sent["sig"] != sign(sent, SECRET, method)  # the defect tolerated
    assert not verify({**sent, "text": "a&b=d"}, SECRET)
    assert not verify(sent, SECRET + "x")


def test_the_string_is_sorted_and_cleaned() -> None:
    assert signing_string({"b": "x=y", "a": "1&2", "sig": "ignored"}) == "&a=1_2&b=x_y"


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_freshness_and_case(method: str) -> None:
    params = {"api_key": "k", "to": "447700900123", "timestamp": str(int(time.time()))}
    signed = {**params, "sig": sign(params, SECRET, method).upper()}
    assert verify(signed, SECRET)
    assert not verify(signed, SECRET, now=time.time() + 301)
    assert not verify({**signed, "timestamp": "soon"}, SECRET)
    without_time = {k: v for k, v in params.items() if k != "timestamp"}
    assert not verify({**without_time, "sig": sign(without_time, SECRET, method)}, SECRET)
