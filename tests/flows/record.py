"""Record the business flows from a real store into ``fixtures/flows/<name>.json``.

    python -m tests.flows.record                   # every flow
    python -m tests.flows.record checkout-paid     # some flows

The store is named by the parity suite's variables (``WOOSIM_PARITY_URL`` with an
https URL, ``..._CK``/``..._CS``, ``..._CA_CERT``, ``..._HOOK_URL``, ``..._HOOK_LOG``,
``..._RUN_QUEUE``; see ``docs/parity.md``). Each flow is driven as a shop drives it:
the customer's side through the Store API (cart, coupon, checkout), the shop
manager's through the REST API (status changes, refunds). The webhooks of what a
flow needs first (its order, its coupon) are sent before the flow starts, so the
recording holds only what the flow itself did. The recorder touches only what it
makes (``flows`` in names, SKUs, codes and e-mails) and enables the offline
payment gateways ``cod`` and ``bacs``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.parity.backends import RealStore, real_stores_from_env
from tests.parity.checks import Response

from .sequence import (
    BUYER,
    COUPON,
    PRODUCT,
    SIGNUP,
    TOPICS,
    body_facts,
    delivery_facts,
    note_facts,
    stock_facts,
    write_recording,
)

WEBHOOK_NAME = "flows recording"


class ShopError(RuntimeError):
    pass


def _ok(answer: Response, what: str) -> Any:
    if answer.status >= 300:
        raise ShopError(f"{what}: HTTP {answer.status} {answer.body[:300]!r}")
    return answer.json()


@dataclass
class Shop:
    """The real store, spoken to as a shop's customers and manager do."""

    store: RealStore
    product_id: int = 0
    roles: dict[int, str] = field(default_factory=dict)
    #: How to check the store's certificate (the parity suite's CA_CERT variable).
    verify: ssl.SSLContext | bool = True
    browsers: list[httpx.AsyncClient] = field(default_factory=list)

    async def rest(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        answer = await self.store.request(
            method, f"wc/v3/{path}", body=body, params=list(params.items())
        )
        return _ok(answer, f"{method} {path}")

    async def _logged_in_browser(self) -> httpx.AsyncClient:
        browser = httpx.AsyncClient(timeout=60, verify=self.verify)
        self.browsers.append(browser)
        await browser.post(
            f"{self.store.site_url}/wp-login.php",
            data={"log": SIGNUP["username"], "pwd": SIGNUP["password"], "testcookie": "1"},
            cookies={"wordpress_test_cookie": "WP Cookie check"},
        )
        return browser

    async def store_api(
        self, path: str, token: str, body: Any, browser: httpx.AsyncClient | None = None
    ) -> tuple[Any, str]:
        """A Store API POST as a shopper's browser makes it (no key; a cart token or a
        logged-in session)."""
        answer = await (browser or self.store.client).post(
            f"{self.store.site_url}/wp-json/wc/store/v1/{path}",
            json=body,
            headers={"Cart-Token": token} if token else {},
        )
        if answer.status_code >= 300:
            raise ShopError(f"POST store/{path}: HTTP {answer.status_code} {answer.text[:300]}")
        return answer.json(), answer.headers.get("Cart-Token", token)

    async def checkout(
        self, quantity: int, payment_method: str, coupon: str = "", *, logged_in: bool = False
    ) -> int:
        """A shopper buys ``quantity`` widgets: cart, coupon, checkout. The order's id.

        A guest by default; ``logged_in``: the customer who signed up, logged in through
        wp-login.php (the Store API then wants the session's nonce, not a cart token).
        """
        browser = self.store.client
        token = ""
        if logged_in:
            browser = await self._logged_in_browser()
            cart = await browser.get(f"{self.store.site_url}/wp-json/wc/store/v1/cart")
            browser.headers["Nonce"] = cart.headers["Nonce"]
        else:
            cart = await browser.get(f"{self.store.site_url}/wp-json/wc/store/v1/cart")
            token = cart.headers["Cart-Token"]
        item = {"id": self.product_id, "quantity": quantity}
        await self.store_api("cart/add-item", token, item, browser)
        if coupon:
            await self.store_api("cart/apply-coupon", token, {"code": coupon}, browser)
        buyer = {**BUYER, "email": SIGNUP["email"]} if logged_in else BUYER
        shipping = {k: v for k, v in buyer.items() if k != "email"}
        order, _ = await self.store_api(
            "checkout",
            token,
            {
                "billing_address": buyer,
                "shipping_address": shipping,
                "payment_method": payment_method,
            },
            browser,
        )
        order_id = int(order["order_id"])
        self.roles[order_id] = "order"
        return order_id

    async def reset_stock(self) -> None:
        await self.rest("PUT", f"products/{self.product_id}", {"stock_quantity": 20})


@dataclass
class Flow:
    description: str
    #: What the flow needs first (its order, its coupon); returns the order id, if any.
    prepare: Callable[[Shop], Awaitable[int]]
    #: The flow itself, given the prepared order.
    run: Callable[[Shop, int], Awaitable[int]]
    shop_steps: list[str]


async def _fresh_stock(shop: Shop) -> int:
    await shop.reset_stock()
    return 0


async def _paid_order(shop: Shop) -> int:
    await shop.reset_stock()
    return await shop.checkout(2, "cod")


async def _on_hold_order(shop: Shop) -> int:
    await shop.reset_stock()
    return await shop.checkout(3, "bacs")


async def _pending_order(shop: Shop) -> int:
    await shop.reset_stock()
    order = await shop.rest(
        "POST",
        "orders",
        {
            "payment_method": "bacs",
            "payment_method_title": "Direct bank transfer",
            "billing": BUYER,
            "line_items": [{"product_id": shop.product_id, "quantity": 2}],
        },
    )
    shop.roles[int(order["id"])] = "order"
    return int(order["id"])


async def _with_coupon(shop: Shop) -> int:
    await shop.reset_stock()
    coupon = await shop.rest("POST", "coupons", COUPON)
    shop.roles[int(coupon["id"])] = "coupon"
    return 0


async def _drop_signup(shop: Shop) -> None:
    for customer in await shop.rest("GET", "customers", email=SIGNUP["email"]):
        await shop.rest("DELETE", f"customers/{customer['id']}", force="true")


async def _registered(shop: Shop) -> int:
    await shop.reset_stock()
    await _drop_signup(shop)
    customer = await shop.rest("POST", "customers", SIGNUP)
    shop.roles[int(customer["id"])] = "customer"
    return 0


async def _checkout_logged_in(shop: Shop, order_id: int) -> int:
    return await shop.checkout(2, "cod", logged_in=True)


async def _customer_paid_order(shop: Shop) -> int:
    await _registered(shop)
    return await shop.checkout(2, "cod", logged_in=True)


def _checkout_with(method: str, quantity: int) -> Callable[[Shop, int], Awaitable[int]]:
    async def run(shop: Shop, order_id: int) -> int:
        return await shop.checkout(quantity, method)

    return run


async def _checkout_cod(shop: Shop, order_id: int) -> int:
    return await shop.checkout(2, "cod")


async def _checkout_coupon(shop: Shop, order_id: int) -> int:
    return await shop.checkout(2, "cod", coupon=COUPON["code"])


def _set_status(status: str) -> Callable[[Shop, int], Awaitable[int]]:
    async def run(shop: Shop, order_id: int) -> int:
        await shop.rest("PUT", f"orders/{order_id}", {"status": status})
        return order_id

    return run


async def _no_signup(shop: Shop) -> int:
    await shop.reset_stock()
    await _drop_signup(shop)
    return 0


async def _signup(shop: Shop, order_id: int) -> int:
    customer = await shop.rest("POST", "customers", SIGNUP)
    shop.roles[int(customer["id"])] = "customer"
    return 0


def _refund(amount: str, whole: bool) -> Callable[[Shop, int], Awaitable[int]]:
    async def run(shop: Shop, order_id: int) -> int:
        body: dict[str, Any] = {"amount": amount, "reason": "flows refund", "api_refund": False}
        if whole:
            order = await shop.rest("GET", f"orders/{order_id}")
            body["line_items"] = [
                {"id": item["id"], "quantity": item["quantity"], "refund_total": item["total"]}
                for item in order["line_items"]
            ]
        refund = await shop.rest("POST", f"orders/{order_id}/refunds", body)
        shop.roles[int(refund["id"])] = "refund"
        return order_id

    return run


FLOWS: dict[str, Flow] = {
    "checkout-paid": Flow(
        "a guest checks out 2 widgets with cash on delivery",
        _fresh_stock,
        _checkout_cod,
        ["Store API: cart, add-item 2, checkout payment_method=cod"],
    ),
    "checkout-paid-customer": Flow(
        "a logged-in customer checks out 2 widgets with cash on delivery",
        _registered,
        _checkout_logged_in,
        ["wp-login.php as the customer, then Store API: cart, add-item 2, checkout cod"],
    ),
    "checkout-bacs": Flow(
        "a guest checks out 3 widgets by bank transfer",
        _fresh_stock,
        _checkout_with("bacs", 3),
        ["Store API: cart, add-item 3, checkout payment_method=bacs"],
    ),
    "checkout-cheque": Flow(
        "a guest checks out 1 widget by cheque",
        _fresh_stock,
        _checkout_with("cheque", 1),
        ["Store API: cart, add-item 1, checkout payment_method=cheque"],
    ),
    "order-completed-customer": Flow(
        "the shop completes a logged-in customer's processing order",
        _customer_paid_order,
        _set_status("completed"),
        ["REST: PUT orders/{id} status=completed"],
    ),
    "order-completed": Flow(
        "the shop completes a processing order",
        _paid_order,
        _set_status("completed"),
        ["REST: PUT orders/{id} status=completed"],
    ),
    "order-cancelled": Flow(
        "the shop cancels an order awaiting bank transfer (on-hold)",
        _on_hold_order,
        _set_status("cancelled"),
        ["REST: PUT orders/{id} status=cancelled"],
    ),
    "payment-failed": Flow(
        "the payment of a pending order fails",
        _pending_order,
        _set_status("failed"),
        ["REST: PUT orders/{id} status=failed"],
    ),
    "customer-signup": Flow(
        "a customer signs up",
        _no_signup,
        _signup,
        ["REST: POST customers email, first_name, last_name, username, password"],
    ),
    "refund-partial": Flow(
        "the shop refunds 5.00 of a processing order",
        _paid_order,
        _refund("5.00", whole=False),
        ["REST: POST orders/{id}/refunds amount=5.00 api_refund=false"],
    ),
    "refund-full": Flow(
        "the shop refunds a processing order in full, line by line",
        _paid_order,
        _refund("20.00", whole=True),
        ["REST: POST orders/{id}/refunds amount=20.00, every line, api_refund=false"],
    ),
    "coupon-applied": Flow(
        "a guest checks out 2 widgets with a 10 % coupon, cash on delivery",
        _with_coupon,
        _checkout_coupon,
        ["Store API: cart, add-item 2, apply-coupon flows10, checkout payment_method=cod"],
    ),
}


async def _clean(shop: Shop) -> None:
    """Remove what an earlier run left: webhooks, the signup customer, the coupon."""
    for hook in await shop.rest("GET", "webhooks", per_page="100"):
        if hook["name"] == WEBHOOK_NAME:
            await shop.rest("DELETE", f"webhooks/{hook['id']}", force="true")
    await _drop_signup(shop)
    for coupon in await shop.rest("GET", "coupons", code=COUPON["code"]):
        await shop.rest("DELETE", f"coupons/{coupon['id']}", force="true")


async def _setup(shop: Shop) -> None:
    for gateway in ("cod", "bacs", "cheque"):
        await shop.rest("PUT", f"payment_gateways/{gateway}", {"enabled": True})
    await _clean(shop)
    found = await shop.rest("GET", "products", sku=str(PRODUCT["sku"]))
    if found:
        shop.product_id = int(found[0]["id"])
        await shop.rest("PUT", f"products/{shop.product_id}", PRODUCT)
    else:
        shop.product_id = int((await shop.rest("POST", "products", PRODUCT))["id"])
    for topic in TOPICS:
        await shop.rest(
            "POST",
            "webhooks",
            {
                "name": WEBHOOK_NAME,
                "topic": topic,
                "delivery_url": shop.store.hook_url,
                "secret": "flows",
            },
        )


async def record_flow(shop: Shop, name: str, flow: Flow) -> dict[str, Any]:
    shop.roles = {shop.product_id: "product"}
    order_id = await flow.prepare(shop)
    await shop.store.run_queue(0)
    notes_before = (
        {n["id"] for n in await shop.rest("GET", f"orders/{order_id}/notes")} if order_id else set()
    )
    before = await shop.rest("GET", f"products/{shop.product_id}")
    mark = shop.store.deliveries_mark()
    order_id = await flow.run(shop, order_id)
    await shop.store.run_queue(1)
    deliveries = shop.store.deliveries_since(mark)
    webhooks = [
        delivery_facts(d.headers["x-wc-webhook-topic"], d.body, shop.roles)
        for d in deliveries
        if "x-wc-webhook-topic" in d.headers
    ]
    recording: dict[str, Any] = {
        "flow": name,
        "description": flow.description,
        "recorded_from": "a real WooCommerce 10.0.2 store (America/New_York, HPOS)",
        "shop_steps": flow.shop_steps,
        "webhooks": webhooks,
        "stock": stock_facts(before, await shop.rest("GET", f"products/{shop.product_id}")),
    }
    if order_id:
        order = await shop.rest("GET", f"orders/{order_id}")
        notes = await shop.rest("GET", f"orders/{order_id}/notes")
        recording["order"] = body_facts("order", order)
        recording["notes"] = note_facts(
            (n for n in notes if n["id"] not in notes_before), shop.roles
        )
    customers = [i for i, role in shop.roles.items() if role == "customer"]
    if customers:
        recording["customer"] = body_facts(
            "customer", await shop.rest("GET", f"customers/{customers[0]}")
        )
    return recording


async def main_async(names: list[str]) -> int:
    stores = real_stores_from_env()
    store = stores.get("https-basic")
    if store is None:
        print("set WOOSIM_PARITY_URL (an https URL) and the keys, see docs/parity.md")
        return 2
    await store.start()
    ca = os.environ.get("WOOSIM_PARITY_CA_CERT")
    shop = Shop(store, verify=ssl.create_default_context(cafile=ca) if ca else True)
    try:
        await _setup(shop)
        for name in names:
            recording = await record_flow(shop, name, FLOWS[name])
            path = write_recording(name, recording)
            topics = ", ".join(f"{w['topic']} ({w['record']})" for w in recording["webhooks"])
            print(f"{name}: {topics} -> {path.name}")
        await _clean(shop)
    finally:
        for browser in shop.browsers:
            await browser.aclose()
        await store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("flows", nargs="*", metavar="FLOW", help=", ".join(FLOWS))
    args = parser.parse_args(argv)
    unknown = [name for name in args.flows if name not in FLOWS]
    if unknown:
        parser.error(f"unknown flow {unknown[0]!r} (one of {', '.join(FLOWS)})")
    return asyncio.run(main_async(args.flows or list(FLOWS)))


if __name__ == "__main__":
    sys.exit(main())
