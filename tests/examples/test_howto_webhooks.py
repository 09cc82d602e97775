"""How to: test webhooks end to end (``woosim_relay``, ``woosim.deliveries``)."""

import pytest


@pytest.mark.woosim
def test_store_webhooks_become_signed_notifications(
    woosim, woosim_instance, woosim_relay, woosim_receiver
):
    relay = woosim_relay(woosim_instance(vendor="webhook"))
    assert "customer.created" in relay.webhook_ids

    customer = woosim.create_customer(first_name="Grace")
    events = woosim_receiver.wait_for_events(1)
    assert events[0]["objectId"] == str(customer["id"])
    assert events[0]["eventType"] == "CREATED"
    assert woosim_receiver.notifications[0].verified

    deliveries = woosim.wait_for_deliveries(1)
    assert deliveries[0]["topic"] == "customer.created"
    assert deliveries[0]["response"]["status"] == 200
