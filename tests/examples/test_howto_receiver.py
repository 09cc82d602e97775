"""How to: test your own notification sender against the receiver (``woosim_receiver``)."""

import json

import httpx
import pytest

from pytest_woosim.signing import CE_SIGNATURE_HEADER, sign_elements


def send(url: str, key: str, events: list[dict]) -> int:
    """A stand-in for the code under test: one signed Cloud Elements notification."""
    body = json.dumps({"message": {"elementKey": "woocommercerest", "events": events}}).encode()
    headers = {"Content-Type": "application/json", CE_SIGNATURE_HEADER: sign_elements(key, body)}
    return httpx.post(url, content=body, headers=headers).status_code


@pytest.mark.woosim
def test_signed_notifications_are_verified_and_failures_injected(woosim_receiver):
    event = {"objectType": "orders", "objectId": "42", "eventType": "UPDATED"}
    woosim_receiver.fail_next(1, status=503)
    assert send(woosim_receiver.url, woosim_receiver.signature_key, [event]) == 503
    assert send(woosim_receiver.url, woosim_receiver.signature_key, [event]) == 200
    assert send(woosim_receiver.url, "a wrong key", [event]) == 401

    assert woosim_receiver.wait_for_events(1) == [event]
    assert [n.verified for n in woosim_receiver.notifications] == [True, False]
    assert len(woosim_receiver.failed_attempts) == 1
