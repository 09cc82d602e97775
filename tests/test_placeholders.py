"""URL placeholders: every documented form, found by the closing brace, query percent-encoded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pytest_woosim.instance.placeholders import (
    PlaceholderError,
    encode_query,
    expand_url,
    find_placeholders,
)

LAST_POLL = datetime(2017, 3, 21, 16, 9, 28, 123456, tzinfo=UTC)


def query_of(url: str) -> str:
    return url.partition("?")[2]


def test_gmt_date_inside_ceql_quotes() -> None:
    url = "/hubs/ecommerce/orders?where=date_modified_gmt>='${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'"
    assert expand_url(url, LAST_POLL) == (
        "/hubs/ecommerce/orders?where=date_modified_gmt%3E%3D%272017-03-21T16:09:28Z%27"
    )


def test_date_uses_the_default_zone() -> None:
    url = "/x?since=${date:yyyy-MM-dd HH:mm}"
    assert query_of(expand_url(url, LAST_POLL)) == "since=2017-03-21%2016:09"
    assert (
        query_of(expand_url(url, LAST_POLL, default_timezone="EST")) == "since=2017-03-21%2011:09"
    )


def test_bare_date_is_iso_with_offset() -> None:
    assert query_of(expand_url("/x?d=${date}", LAST_POLL)) == "d=2017-03-21T16:09:28Z"
    assert (
        query_of(expand_url("/x?d=${date}", LAST_POLL, default_timezone="GMT+05:30"))
        == "d=2017-03-21T21:39:28%2B05:30"
    )


@pytest.mark.parametrize(
    ("placeholder", "text"),
    [
        ("${dateTimeZone:America/Denver:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}", "2017-03-21T10:09:28.123Z"),
        ("${DateTimeZone:PST:yyyy-MM-dd HH:mm z}", "2017-03-21 09:09 PDT"),
        ("${dateTimeZone:-6:00:HH:mm XXX}", "10:09 -06:00"),
        ("${dateTimeZone:GMT-06:00:HH:mm}", "10:09"),
        ("${dateTimeZone:+0530:HH:mm}", "21:39"),
        ("${dateTimeZone:EST:HH:mm}", "11:09"),
    ],
)
def test_date_time_zone(placeholder: str, text: str) -> None:
    found = find_placeholders(placeholder)
    assert len(found) == 1
    assert found[0].render(LAST_POLL) == text


@pytest.mark.parametrize(
    ("placeholder", "text"),
    [
        ("${epoch}", "1490112568123"),
        ("${epoch:ms}", "1490112568123"),
        ("${epoch:s}", "1490112568"),
        ("${epoch:us}", "1490112568123456"),
        ("${milliseconds}", "1490112568123"),
    ],
)
def test_epoch_forms(placeholder: str, text: str) -> None:
    assert expand_url(f"/hubs/ecommerce/orders?after={placeholder}", LAST_POLL) == (
        f"/hubs/ecommerce/orders?after={text}"
    )


def test_naive_last_poll_is_utc() -> None:
    assert expand_url("/x?e=${epoch:s}", LAST_POLL.replace(tzinfo=None)) == "/x?e=1490112568"


def test_several_placeholders_and_path_untouched() -> None:
    url = "/hubs/ecommerce/orders?a=${epoch:s}&b=${gmtDate:yyyy}&c=plain value"
    assert (
        expand_url(url, LAST_POLL) == "/hubs/ecommerce/orders?a=1490112568&b=2017&c=plain%20value"
    )
    assert expand_url("/hubs/ecommerce/orders", LAST_POLL) == "/hubs/ecommerce/orders"


def test_query_encoding_keeps_existing_escapes_and_delimiters() -> None:
    assert encode_query("where=a%20b c+d&x") == "where=a%20b%20c%2Bd&x"
    assert encode_query("q=100%") == "q=100%25"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/x?d=${gmtDate:yyyy-MM-dd", "unterminated placeholder"),
        ("/x?d=${lastPoll:yyyy}", "unknown placeholder 'lastPoll'"),
        ("/x?d=${epoch:ns}", "unknown epoch unit 'ns'"),
        ("/x?d=${milliseconds:s}", "takes no argument"),
        ("/x?d=${gmtDate:yyyy-MM-dd'T'HH:mm:ss'}", "Unterminated quote"),
        ("/x?d=${date:}", "the date format is empty"),
        ("/x?d=${dateTimeZone:EST}", "expected ${dateTimeZone:ZONE:FORMAT}"),
        ("/x?d=${dateTimeZone::yyyy}", "the zone is empty"),
    ],
)
def test_bad_placeholders(url: str, message: str) -> None:
    with pytest.raises(PlaceholderError, match=message.replace("$", r"\$").replace("{", r"\{")):
        expand_url(url, LAST_POLL)
