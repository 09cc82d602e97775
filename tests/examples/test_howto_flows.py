"""How to: run a shop's flow and test what your integration receives (``woosim.trigger``)."""

import pytest


@pytest.mark.woosim
def test_a_checkout_reaches_my_webhook_handler_as_a_real_store_sends_it(
    woosim, woosim_webhook_receiver
):
    for topic in ("order.created", "order.updated", "product.updated"):
        woosim.create_webhook(topic, woosim_webhook_receiver.url)

    report = woosim.trigger("checkout-paid", quantity=2)  # a guest pays on delivery

    deliveries = woosim_webhook_receiver.wait_for_deliveries(3)
    # The draft order is saved before it is "created", as in a real store.
    assert [d.topic for d in deliveries] == ["order.updated", "order.created", "product.updated"]
    assert deliveries[1].payload["id"] == report["order"]
    assert deliveries[1].payload["status"] == "processing"
    assert deliveries[1].payload["date_paid"] is None  # cash on delivery: paid on completion


@pytest.mark.woosim
def test_completing_an_order(woosim):
    report = woosim.trigger("order-completed")  # makes the processing order it needs first
    order = woosim.client.get(f"orders/{report['order']}").json()
    assert order["status"] == "completed" and order["date_paid"] and order["date_completed"]
    assert report["notes"][-1]["note"] == "Order status changed from Processing to Completed."
