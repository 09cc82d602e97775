"""The README's plugin example, exactly as printed there."""

from datetime import timedelta

import pytest


@pytest.mark.woosim
def test_a_change_reaches_my_callback(
    woosim, woosim_clock, woosim_instance, woosim_poller, woosim_receiver
):
    woosim_clock.freeze()
    poller = woosim_poller(
        woosim_instance(vendor="polling", resources=["orders"], refresh_interval=5)
    )
    woosim.create_order(status="processing")
    woosim_clock.advance(timedelta(minutes=5))
    event = woosim_receiver.wait_for_events(1)[0]
    assert (event["objectType"], event["eventType"]) == ("orders", "CREATED")
    assert poller.reports
