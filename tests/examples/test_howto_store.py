"""How to: use the fake store in a test (the ``woosim`` fixture)."""

import pytest


@pytest.mark.woosim(customers=2, orders=5, seed="docs")
def test_the_store_comes_reset_with_the_markers_data(woosim):
    orders = woosim.client.get("orders", params={"per_page": 100}).json()
    assert len(orders) == 5

    customer = woosim.create_customer(first_name="Ada", email="ada@example.com")
    order = woosim.create_order(customer_id=customer["id"], status="processing")
    woosim.update_order(order["id"], status="completed")

    fetched = woosim.client.get(f"orders/{order['id']}").json()
    assert fetched["status"] == "completed"
    assert fetched["customer_id"] == customer["id"]


@pytest.mark.woosim
def test_faults_make_the_store_fail(woosim):
    woosim.faults.add("status", status=503, count=1, path="/wp-json/wc/v3/orders")
    assert woosim.client.get("orders").status_code == 503
    assert woosim.client.get("orders").status_code == 200
