"""Building Cloud Elements notifications: batching, ids, exact bytes, signature header."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pytest_woosim.outbox.notifications import (
    POLLING_MAX_EVENTS,
    WEBHOOK_MAX_EVENTS,
    Event,
    EventType,
    Notification,
    build_notifications,
)
from simulator.wire.signing import (
    CE_ID_HEADER,
    CE_SIGNATURE_HEADER,
    sign_elements,
    verify_elements,
)

WHEN = datetime(2024, 3, 10, 6, 0, 5, 123456, tzinfo=UTC)


def _events(n: int) -> list[Event]:
    return [Event("customers", 100 + i, "UPDATED", WHEN) for i in range(n)]


def _raw(n: int) -> dict[str, object]:
    return {
        "instance_id": 42,
        "objectType": "customers",
        "customers": [{"id": 100 + i, "email": f"c{i}@example.com"} for i in range(n)],
    }


def test_25_polling_events_make_three_notifications_each_with_the_full_raw() -> None:
    raw = _raw(25)
    notes = build_notifications(_events(25), raw, instance_id=42, max_events=POLLING_MAX_EVENTS)
    messages = [json.loads(n.body)["message"] for n in notes]
    assert [len(m["events"]) for m in messages] == [10, 10, 5]
    assert all(m["raw"] == raw for m in messages)
    ids = [e["objectId"] for m in messages for e in m["events"]]
    assert ids == [str(100 + i) for i in range(25)]


def test_webhook_batches_hold_twenty() -> None:
    notes = build_notifications(_events(41), _raw(41), instance_id=1, max_events=WEBHOOK_MAX_EVENTS)
    assert [len(n.message()["events"]) for n in notes] == [20, 20, 1]


def test_message_shape_and_event_fields() -> None:
    (note,) = build_notifications(
        [Event("orders", 727, EventType.CREATED, WHEN)],
        {"id": 727},
        instance_id=42,
        max_events=10,
    )
    message = json.loads(note.body)["message"]
    assert list(message) == ["eventId", "instanceId", "instance_id", "elementKey", "events", "raw"]
    assert message["eventId"] == note.id
    assert message["instanceId"] == 42
    assert message["instance_id"] == 42
    assert message["elementKey"] == "woocommercerest"
    assert message["events"] == [
        {
            "objectType": "orders",
            "objectId": "727",
            "eventType": "CREATED",
            "elementKey": "woocommercerest",
            "date": "2024-03-10T06:00:05Z",
        }
    ]


def test_optional_fields_only_when_given() -> None:
    (plain,) = build_notifications(_events(1), {}, instance_id=1, max_events=10)
    assert "instanceName" not in plain.message()
    (named,) = build_notifications(
        _events(1), {}, instance_id=1, max_events=10, instance_name="shop", instance_tags=["a"]
    )
    assert named.message()["instanceName"] == "shop"
    assert named.message()["instanceTags"] == ["a"]


def test_body_is_compact_utf8_json() -> None:
    (note,) = build_notifications(
        _events(1), {"name": "Zoë", "url": "https://x/y"}, instance_id=1, max_events=10
    )
    assert b'"name":"Zo\xc3\xab"' in note.body
    assert b'"url":"https://x/y"' in note.body
    assert b", " not in note.body and b": " not in note.body


def test_lone_surrogate_in_raw_still_gives_valid_json() -> None:
    raw = json.loads('{"bad": "\\ud800"}')
    (note,) = build_notifications(_events(1), raw, instance_id=1, max_events=10)
    assert json.loads(note.body)["message"]["raw"] == raw


def test_ids_are_unique_across_notifications_and_builds() -> None:
    first = build_notifications(_events(30), _raw(1), instance_id=1, max_events=10)
    second = build_notifications(_events(30), _raw(1), instance_id=1, max_events=10)
    ids = [n.id for n in first + second]
    assert len(set(ids)) == len(ids) == 6


def test_no_events_no_notifications() -> None:
    assert build_notifications([], _raw(0), instance_id=1, max_events=10) == []


def test_headers_without_key_have_no_signature() -> None:
    (note,) = build_notifications(_events(1), {}, instance_id=1, max_events=10)
    headers = note.headers(None)
    assert headers == {"Content-Type": "application/json", CE_ID_HEADER: note.id}
    assert CE_SIGNATURE_HEADER not in note.headers("")


def test_headers_with_key_sign_the_exact_bytes() -> None:
    (note,) = build_notifications(_events(3), _raw(3), instance_id=1, max_events=10)
    headers = note.headers("s3cret")
    assert headers[CE_ID_HEADER] == note.id
    assert headers[CE_SIGNATURE_HEADER] == sign_elements("s3cret", note.body)
    assert verify_elements("s3cret", note.body, headers[CE_SIGNATURE_HEADER])
    assert not verify_elements("other", note.body, headers[CE_SIGNATURE_HEADER])
    # The header is stable across retries: same bytes, same id, same signature.
    assert note.headers("s3cret") == headers


def test_cloud_elements_documented_test_vector() -> None:
    body = b"<INSERT_EVENT_NOTIFICATION_RESPONSE_BODY>"
    note = Notification("id-1", body)
    expected = "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ="
    assert note.headers("MySecretEventSignatureKey")[CE_SIGNATURE_HEADER] == expected
    assert verify_elements("MySecretEventSignatureKey", body, expected)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", 1, "CREATED", WHEN), "object_type"),
        (("customers", 1, "MOVED", WHEN), "event_type"),
        (("customers", 1, "CREATED", "2024-03-10T06:00:00"), "date"),
        (("customers", 1, "CREATED", "yesterdayZ"), "date"),
    ],
)
def test_bad_events_name_the_field(args: tuple[str, int, str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Event(*args)  # type: ignore[arg-type]


def test_event_accepts_lowercase_type_and_z_string() -> None:
    event = Event("products", "9", "deleted", "2024-03-10T06:00:00Z")
    assert event.event_type is EventType.DELETED
    assert event.date == "2024-03-10T06:00:00Z"


def test_max_events_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_events"):
        build_notifications(_events(1), {}, instance_id=1, max_events=0)
