"""How to: test polling end to end (``woosim_instance``, ``woosim_poller``, ``woosim_receiver``)."""

import pytest


@pytest.mark.woosim(start="2024-06-03T09:00:00Z")
def test_a_change_arrives_once_after_the_next_poll(
    woosim, woosim_clock, woosim_instance, woosim_poller, woosim_receiver
):
    instance = woosim_instance(vendor="polling", resources=["orders"], refresh_interval=5)
    poller = woosim_poller(instance)  # has polled once when it returns

    woosim_clock.advance(30)
    order = woosim.create_order(customer_note="gift wrap")
    woosim_clock.advance(5 * 60)  # the next poll, on the virtual clock

    events = woosim_receiver.wait_for_events(1)
    assert [(e["objectType"], e["objectId"], e["eventType"]) for e in events] == [
        ("orders", str(order["id"]), "CREATED")
    ]
    assert all(n.verified for n in woosim_receiver.notifications)

    woosim_clock.advance(60 * 60)  # twelve more polls, nothing new
    assert poller.stats["polls"] == 2 + 12
    assert len(woosim_receiver.events) == 1
