"""What the inspector shows, read from the store and the webhook service as JSON-ready dicts."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any

from simulator.coupon_render import two_places
from simulator.inspector.paging import ALL_ORDER_STATUSES, Paging, total_pages
from simulator.models import Customer, Order
from simulator.render import format_money
from simulator.rest.notes import render_note
from simulator.store import PostQuery
from simulator.store.coupons import Coupon
from simulator.wcdates import format_wall
from simulator.webhooks import WebhookService
from simulator.webhooks.journal import DeliveryRecord
from simulator.wire.signing import WC_SIGNATURE_HEADER, verify_woocommerce

if TYPE_CHECKING:
    from simulator.app import Simulator


class InspectorData:
    """What the page shows, as plain JSON-ready dicts; secrets never enter them."""

    def __init__(self, sim: Simulator, service: WebhookService) -> None:
        self.sim = sim
        self.service = service

    # -------------------------------------------------------------- dates
    def _pair(self, name: str, timestamp: int | None, wall: int | None) -> dict[str, str | None]:
        """``name`` in store-local time and ``name_gmt`` in UTC, as the REST API writes them."""
        return {name: format_wall(wall), f"{name}_gmt": format_wall(timestamp)}

    def _instant(self, name: str, timestamp: float) -> dict[str, str | None]:
        whole = int(timestamp // 1)
        return self._pair(name, whole, self.sim.store.wall(whole))

    def clock(self) -> dict[str, Any]:
        clock, zone = self.sim.clock, self.sim.settings.zone
        now = clock.now()
        local = now.astimezone(zone)
        offset = local.strftime("%z")
        upcoming = clock.next_deadline()
        return {
            "iso": now.isoformat().replace("+00:00", "Z"),
            "gmt": now.strftime("%Y-%m-%d %H:%M:%S"),
            "local": local.strftime("%Y-%m-%d %H:%M:%S"),
            "timezone": self.sim.settings.timezone,
            "abbreviation": local.tzname() or "",
            "utc_offset": f"{offset[:3]}:{offset[3:]}",
            "frozen": clock.frozen,
            "sleepers": clock.pending(),
            "next_wake_gmt": (
                None if upcoming is None else upcoming.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            ),
        }

    def store_facts(self) -> dict[str, Any]:
        settings = self.sim.settings
        return {
            "site_name": settings.site_name,
            "site_url": settings.site_url,
            "api_url": settings.api_url,
            "timezone": settings.timezone,
            "woocommerce_version": settings.wc_version,
            "keys": [key.masked() for key in self.sim.keys.all()],
        }

    # -------------------------------------------------------------- customers
    def customer_row(self, customer: Customer) -> dict[str, Any]:
        return {
            "id": customer.id,
            "name": f"{customer.first_name} {customer.last_name}".strip(),
            "email": customer.email,
            "username": customer.username,
            "role": customer.role,
            "is_paying_customer": customer.is_paying_customer,
            **self._pair("date_created", customer.created, customer.created_wall),
            **self._pair("date_modified", customer.modified, customer.modified_wall),
        }

    def customers(self, paging: Paging) -> dict[str, Any]:
        """The customers ``GET /customers`` lists (role customer), newest change first."""
        records = customers_only(self.sim.store.customers)

        def newest(customer: Customer) -> tuple[int, int]:
            # A user never updated has no modified date; its creation is its last change.
            changed = customer.modified if customer.modified is not None else customer.created
            return changed, customer.id

        # nlargest keeps a page-sized heap: no full sort of a big store every refresh.
        top = heapq.nlargest(paging.start + paging.per_page, records, key=newest)
        rows = [self.customer_row(c) for c in top[paging.start :]]
        return self._page(paging, len(records), rows)

    # -------------------------------------------------------------- orders
    def order_row(self, order: Order) -> dict[str, Any]:
        customer = self.sim.store.customers.get(order.customer_id)
        billing = f"{order.billing.first_name} {order.billing.last_name}".strip()
        return {
            "id": order.id,
            "status": order.status,
            "currency": order.currency,
            "total": format_money(order.total, self.sim.settings.price_decimals),
            "customer_id": order.customer_id,
            "customer": billing or (customer.email if customer is not None else "Guest"),
            "items": sum(item.quantity for item in order.line_items),
            "refunded": format_money(
                self.sim.store.refund_table.refunded(order), self.sim.settings.price_decimals
            )
            if order.refunds
            else None,
            "notes": self.sim.store.notes.count(order.id),
            **self._pair("date_created", order.created, order.created_wall),
            **self._pair("date_modified", order.modified, order.modified_wall),
        }

    def order(self, order: Order) -> dict[str, Any]:
        """What GET /wc/v3/orders/{id} answers, then the order's notes (newest first) as
        its notes route lists them: where a person looks for what happened to it."""
        api_url = self.sim.settings.api_url
        notes = [render_note(n, api_url) for n in self.sim.store.notes.of_order(order.id)]
        return {**self.sim.renderer.order(order), "notes": notes}

    def orders(self, paging: Paging) -> dict[str, Any]:
        """Every order, trash included, newest modified first (the store's own index)."""
        query = PostQuery(
            page=paging.page,
            per_page=paging.per_page,
            orderby="modified",
            order="desc",
            statuses=ALL_ORDER_STATUSES,
        )
        found, total = self.sim.store.query_orders(query)
        return self._page(paging, total, [self.order_row(o) for o in found])

    # -------------------------------------------------------------- coupons
    def coupon_row(self, coupon: Coupon) -> dict[str, Any]:
        expires = coupon.expires
        return {
            "id": coupon.id,
            "code": coupon.code,
            "status": coupon.status,
            "discount_type": coupon.discount_type,
            "amount": two_places(coupon.amount),
            "usage_count": coupon.usage_count,
            "usage_limit": coupon.usage_limit or None,
            **self._pair(
                "date_expires", expires, None if expires is None else self.sim.store.wall(expires)
            ),
            **self._pair("date_modified", coupon.modified, coupon.modified_wall),
        }

    def coupons(self, paging: Paging) -> dict[str, Any]:
        """Every coupon, trash included, newest modified first."""
        records = sorted(
            self.sim.store.coupons.values(), key=lambda c: (c.modified, c.id), reverse=True
        )
        start = (paging.page - 1) * paging.per_page
        rows = [self.coupon_row(c) for c in records[start : start + paging.per_page]]
        return self._page(paging, len(records), rows)

    # -------------------------------------------------------------- webhooks
    def webhooks(self) -> list[dict[str, Any]]:
        zone_wall = self.sim.store.wall
        return [
            {
                "id": webhook.id,
                "name": webhook.name,
                "status": webhook.status,
                "topic": webhook.topic,
                "delivery_url": webhook.delivery_url,
                "failure_count": webhook.failure_count,
                "pending_delivery": webhook.pending_delivery,
                **self._pair("date_created", webhook.date_created, zone_wall(webhook.date_created)),
            }
            for webhook in self.service.all()
        ]

    # -------------------------------------------------------------- deliveries
    def signature_check(self, record: DeliveryRecord) -> str:
        """``valid``/``invalid`` against the webhook's secret, ``unsigned`` or ``unknown``.

        Recomputed with the webhook's current secret: a delivery sent before the
        secret was changed shows ✗, as a receiver holding the new secret would see it.
        """
        header = _header(record.request_headers, WC_SIGNATURE_HEADER)
        if record.kind == "ping" or header is None:
            return "unsigned"  # pings are form posts without a signature
        webhook = self.service.get(record.webhook_id)
        if webhook is None:
            return "unknown"  # deleted since: its secret is gone
        verified = verify_woocommerce(webhook.secret, record.request_body.encode("utf-8"), header)
        return "valid" if verified else "invalid"

    def delivery_row(self, record: DeliveryRecord) -> dict[str, Any]:
        return {
            "seq": record.seq,
            "kind": record.kind,
            "topic": record.topic,
            "webhook_id": record.webhook_id,
            "resource_id": record.resource_id,
            **self._instant("sent_at", record.sent_at),
            "status": record.status,
            "success": record.success,
            "duration_ms": round(record.duration * 1000, 1),
            "error": record.error,
            "faults": list(record.faults),
            "signature": self.signature_check(record),
        }

    def deliveries(self, paging: Paging) -> dict[str, Any]:
        """The journal, newest first."""
        entries = self.service.journal.entries()
        end = len(entries) - paging.start
        chosen = entries[max(0, end - paging.per_page) : max(0, end)]
        rows = [self.delivery_row(r) for r in reversed(chosen)]
        return self._page(paging, len(entries), rows)

    def delivery(self, seq: int) -> dict[str, Any] | None:
        for record in reversed(self.service.journal.entries()):
            if record.seq == seq:
                return {
                    **self.delivery_row(record),
                    "url": record.url,
                    "delivery_id": record.delivery_id,
                    "request": {
                        "method": "POST",
                        "url": record.url,
                        "headers": dict(record.request_headers),
                        "body": record.request_body,
                    },
                    "response": {"status": record.status, "body": record.response_body},
                }
        return None

    # -------------------------------------------------------------- faults
    def faults(self) -> list[dict[str, Any]]:
        return [fault.to_json() for fault in self.service.faults.all()]

    @staticmethod
    def _page(paging: Paging, total: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "page": paging.page,
            "per_page": paging.per_page,
            "total": total,
            "total_pages": total_pages(total, paging.per_page),
            "items": rows,
        }


def customers_only(users: Mapping[int, Customer]) -> list[Customer]:
    """The users ``GET /customers`` counts by default: role customer (not the administrator)."""
    return [user for user in users.values() if user.role == "customer"]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
