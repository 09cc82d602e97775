"""Reconciliation for the webhook relay: a poll that emits what WooCommerce's webhooks missed.

WooCommerce never retries a webhook, drops it when its queue runner fails, and
disables a webhook after repeated failures. With ``--reconcile`` the relay also runs
the reference :class:`~pytest_woosim.poller.poller.Poller` over customers, orders,
products and discounts (coupons), into the SAME outbox (so one sender delivers both,
in order) and with the SAME dedupe keys: the relay records the poller's content key
of every webhook body, and checks it, so a record version seen by webhook and by
poll is one event.

The poll reads the ``_gmt`` date fields (UTC whatever the store's time zone), and
starts at the relay's first start (no backfill); its watermarks live in the state
file like the poller's.
"""

from __future__ import annotations

from datetime import datetime

from pytest_woosim.instance.config import InstanceConfig, instance_slug
from pytest_woosim.outbox.state import StateStore
from pytest_woosim.poller.plan import ResourcePlan, date_field, strategy_for
from pytest_woosim.poller.poller import Poller
from pytest_woosim.poller.storeclient import StoreClient
from simulator.clock import Clock

#: Cloud Elements resource → WooCommerce endpoint of what the relay reconciles.
RECONCILED = {
    "customers": "customers",
    "orders": "orders",
    "products": "products",
    "discounts": "coupons",
}
WC_PATTERN = "yyyy-MM-dd'T'HH:mm:ss"


def reconcile_plans(page_size: int = 100) -> list[ResourcePlan]:
    """One plan per reconciled resource, on ``date_modified_gmt``/``date_created_gmt``."""
    return [
        ResourcePlan(
            resource=resource,
            endpoint=endpoint,
            id_field="id",
            updated=date_field("date_modified_gmt", WC_PATTERN, "GMT"),
            created=date_field("date_created_gmt", WC_PATTERN, "GMT"),
            strategy=strategy_for(endpoint, "date_modified_gmt"),
            page_size=page_size,
        )
        for resource, endpoint in RECONCILED.items()
    ]


class Reconciliation:
    """The relay's background poll; ``run()`` until cancelled."""

    def __init__(self, poller: Poller, store: StoreClient) -> None:
        self.poller = poller
        self.store = store

    async def run(self) -> None:
        try:
            await self.poller.run()
        finally:
            await self.poller.stop()
            await self.store.aclose()


def reconciler_for(
    config: InstanceConfig,
    *,
    state: StateStore,
    clock: Clock,
    instance_id: int | str | None = None,
    created_at: datetime | None = None,
    lease_ttl: float | None = None,
) -> Reconciliation:
    """The reconciliation poll of a webhook instance (same instance key as its relay)."""
    conf = config.configuration
    if not conf.callback_url:
        raise ValueError(
            'configuration."event.notification.callback.url" is required to relay events'
        )
    store = StoreClient(conf.store_url, conf.api_key, conf.api_secret.get_secret_value())
    poller = Poller(
        instance_id=instance_slug(config.name) if instance_id is None else instance_id,
        resources=reconcile_plans(),
        source=store,
        state=state,
        clock=clock,
        callback_url=conf.callback_url,
        refresh_interval=conf.refresh_interval,
        created_at=created_at,
        # No sender here: the relay's sender delivers the instance's one outbox.
        sender=None,
        filter_response_nulls=bool(conf.filter_response_nulls),
    )
    if lease_ttl is not None:
        poller.lease_ttl = lease_ttl
    return Reconciliation(poller, store)


__all__ = ["RECONCILED", "Reconciliation", "reconcile_plans", "reconciler_for"]
