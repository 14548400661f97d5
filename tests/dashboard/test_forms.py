"""The application form's dotted field names made into a wire body, without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringway.dashboard.forms import application_body
from ringway.domain.applications import Application, parse_application
from ringway.domain.errors import ProblemError

ANSWER = "capabilities.voice.webhooks.answer_url.address"
CURRENT = Application(
    id="00000000-0000-4000-8000-000000000000", account_id="a", name="Now", public_key="",
    capabilities={"voice": {"webhooks": {"answer_url": {"address": "http://h/answer"}},
                            "region": "eu-west", "payments": {"gateways": []}},
                  "verify": {"webhooks": {"status_url": {"address": "http://h/v"}}}},
    improve_ai=True, created_at=dt.datetime.now(dt.UTC),
)  # fmt: skip
FIELDS = ["capabilities.voice.webhooks.answer_url.address", "capabilities.voice.region",
          "capabilities.voice.webhooks.event_url.connect_timeout", "capabilities.vbc.x",
          "capabilities.voice.payments.gateways.0.type", "capabilities.messages.version",
          "capabilities.rtc.webhooks.event_url.http_method", "capability.voice",
          "name"]  # fmt: skip
words = st.sampled_from(["webhooks", "address", "0", "", "x.y"]) | st.text(max_size=3)
# A real field's path, cut short or carried on, or any text at all.
names = st.builds(lambda field, cut, more: ".".join(field.split(".")[:cut] + more),
                  st.sampled_from(FIELDS), st.integers(1, 5), st.lists(words, max_size=3),
                  ) | st.text(max_size=12)  # fmt: skip
values = st.sampled_from(["", "x", "7", "http://h/a", "true", "9" * 5000]) | st.text(max_size=3)


def refused(form: dict[str, str], current: Application | None = None) -> set[str]:
    """The fields named by the form error of a form that makes no body."""
    with pytest.raises(ProblemError) as caught:
        application_body(form, current)
    return {p.name for p in caught.value.invalid_parameters}


@pytest.mark.parametrize("current", [None, CURRENT])
def test_a_value_where_the_form_has_an_object_is_refused_in_any_order(
    current: Application | None,
) -> None:
    base = {"name": "n", "capability.voice": "on", ANSWER: "http://h/a"}
    for form in ({**base, f"{ANSWER}.deeper": "1"}, {f"{ANSWER}.deeper": "1", **base}):
        assert refused(form, current) == {f"{ANSWER}.deeper"}
    ttl = "capabilities.voice.conversations_ttl"
    assert refused({**base, f"{ttl}.x": "1", ttl: "5"}, current) == {f"{ttl}.x"}


def test_a_path_into_a_stored_value_or_deeper_than_any_field_is_refused() -> None:
    form = {"name": "n", "capability.voice": "on", f"{ANSWER}.deeper": "1"}
    assert refused(form, CURRENT) == {f"{ANSWER}.deeper"}
    region = {"name": "n", "capability.voice": "on", "capabilities.voice.region.x": "1"}
    assert refused(region, CURRENT) == {"capabilities.voice.region.x"}
    deep = "capabilities.voice." + ".".join(["x"] * 10_000)
    assert refused({"name": "n", "capability.voice": "on", deep: "1"}) == {deep}


def test_a_value_where_the_api_wants_an_object_is_the_apis_to_refuse() -> None:
    body = application_body({"name": "n", "capability.voice": "on",
                             "capabilities.voice.webhooks": "x"})  # fmt: skip
    with pytest.raises(ProblemError) as caught:
        parse_application(body)
    assert [p.name for p in caught.value.invalid_parameters] == ["capabilities.voice.webhooks"]


@given(
    st.dictionaries(names, values, max_size=12),
    st.lists(st.sampled_from(["voice", "messages", "rtc", "vbc"]), min_size=1, unique=True),
    st.sampled_from([None, CURRENT]),
)
def test_any_form_makes_a_body_or_a_form_error(
    form: dict[str, str], ticked: list[str], current: Application | None
) -> None:
    form.update({f"capability.{name}": "on" for name in ticked})
    try:
        parse_application(application_body(form, current))
    except ProblemError as error:
        assert error.status == 400 and error.invalid_parameters
