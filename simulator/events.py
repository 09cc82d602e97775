"""What happened in the store, as WooCommerce's action hooks would announce it.

The store emits a :class:`StoreEvent` for every change, whichever path made it
(REST, control plane, generator). Webhooks subscribe; the store knows nothing
about webhooks. ``resource``/``event`` follow WooCommerce topics:
``order.updated`` is ``StoreEvent("order", "updated", 727)``. An action hook that
takes a record id (for ``action.*`` topics) is ``StoreEvent("action", "", 727,
"woocommerce_order_status_processing")``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Listener = Callable[["StoreEvent"], None]


@dataclass(frozen=True)
class StoreEvent:
    resource: str  # customer | order | product | coupon | action
    event: str  # created | updated | deleted | restored
    resource_id: int
    hook: str = ""


class EventBus:
    """Synchronous fan-out; listeners must be quick (they only enqueue)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: StoreEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
