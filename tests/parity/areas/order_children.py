"""What the refunds and notes areas share: their records, cleanup and OPTIONS checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..scenario import Scenario

API = "wc/v3"
DOMAIN = "parity.example"
SECRET = "parity-secret-1"


def billing(prefix: str, label: str) -> dict[str, str]:
    """A billing address whose e-mail (``prefix-label@parity.example``) marks the order ours."""
    return {
        "first_name": label.title(),
        "last_name": "Parity",
        "address_1": "1 Main St",
        "city": "New York",
        "state": "NY",
        "postcode": "10001",
        "country": "US",
        "email": f"{prefix}-{label}@{DOMAIN}",
        "phone": "555-0100",
    }


async def purge(s: Scenario, prefix: str) -> None:
    """Force-delete the webhooks, orders and products an earlier run left (``prefix``)."""
    await s._purge("webhooks", [("search", prefix)], lambda r: r["name"].startswith(prefix))
    for status in ("any", "trash"):
        await s._purge(
            "orders",
            [("search", f"{prefix}-"), ("status", status)],
            lambda r: (r.get("billing") or {}).get("email", "").startswith(f"{prefix}-"),
        )
        # Product search reads words of the name ("Parity Refunds Widget"), not the SKU.
        await s._purge(
            "products",
            [("search", prefix.replace("-", " ")), ("status", status)],
            lambda r: str(r.get("sku", "")).startswith(prefix),
        )


async def hooks(s: Scenario, area: str, prefix: str, topics: tuple[str, ...]) -> list[int]:
    """One active webhook per topic, named ``prefix topic``; their pings are recorded."""
    mark = s.b.deliveries_mark()
    made = []
    for topic in topics:
        created = await s.create(
            area,
            f"webhook {topic}",
            "webhooks",
            f"{prefix}-{topic}",
            {
                "name": f"{prefix} {topic}",
                "topic": topic,
                "delivery_url": s.b.hook_url,
                "secret": SECRET,
                "status": "active",
            },
        )
        if "id" in created:
            made.append(int(created["id"]))
    s.deliveries(area, "pings", mark)
    return made


class Queue:
    """Runs the store's webhook queue and records what our webhooks delivered since the
    run before: a real store may send some already during the request that queued them
    (Action Scheduler's async runner starts at the end of a request), before a mark
    taken at the queue run would see them."""

    def __init__(self, s: Scenario, area: str) -> None:
        self.s = s
        self.area = area
        self.mark = s.b.deliveries_mark()

    async def run(self, step: str, expected: int) -> None:
        arrived = self.s.b.deliveries_mark() - self.mark
        await self.s.b.run_queue(max(0, expected - arrived))
        self.s.deliveries(self.area, step, self.mark)
        self.mark = self.s.b.deliveries_mark()


async def drop_hooks(s: Scenario, ids: list[int]) -> None:
    for ident in ids:
        await s.raw("DELETE", f"{API}/webhooks/{ident}", params=[("force", "true")])
        s.webhooks.discard(ident)


async def options(s: Scenario, area: str, step: str, path: str) -> None:
    response = await s.raw("OPTIONS", path)
    body: Any = response.json()
    s.rec.add(area, step, "status", response.status)
    s.rec.add(area, step, "header allow", response.headers.get("allow"))
    s.rec.add(area, step, "keys $", list(body) if isinstance(body, dict) else body)
    if isinstance(body, dict):
        s.rec.add(area, step, "value $.methods", body.get("methods"))
        schema = body.get("schema") or {}
        s.rec.add(area, step, "value $.schema.title", schema.get("title"))
        s.rec.add(area, step, "schema properties", list(schema.get("properties", {})))
        for n, endpoint in enumerate(body.get("endpoints", [])):
            s.rec.add(area, step, f"endpoint {n} methods", endpoint.get("methods"))
            s.rec.add(area, step, f"endpoint {n} args", sorted(endpoint.get("args", {})))
