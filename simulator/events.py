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
#: ``wants(hook)``: whether a listener takes the action event for ``hook``.
HookFilter = Callable[[str], bool]


@dataclass(frozen=True)
class StoreEvent:
    resource: str  # customer | order | product | coupon | action
    event: str  # created | updated | deleted | restored
    resource_id: int
    hook: str = ""


class EventBus:
    """Synchronous fan-out; listeners must be quick (they only enqueue).

    A change fires several action hooks; a listener that takes only some of them says
    which with ``hooks``, so the store can skip building the events no one takes.
    """

    def __init__(self) -> None:
        self._listeners: list[tuple[Listener, HookFilter | None]] = []
        #: The listeners' filters; None when one of them takes every action event.
        self._hook_filters: tuple[HookFilter, ...] | None = ()

    def subscribe(self, listener: Listener, *, hooks: HookFilter | None = None) -> None:
        """Call ``listener`` for every event; ``hooks`` limits the action events it needs
        (it still gets them when another listener wants them)."""
        self._listeners.append((listener, hooks))
        self._refresh_filters()

    def unsubscribe(self, listener: Listener) -> None:
        for index, (subscribed, _) in enumerate(self._listeners):
            if subscribed == listener:
                del self._listeners[index]
                self._refresh_filters()
                return

    def wants_hook(self, hook: str) -> bool:
        """Whether any listener takes the action event for ``hook``."""
        filters = self._hook_filters  # asked for every action hook a change fires
        return filters is None or any(wants(hook) for wants in filters)

    def _refresh_filters(self) -> None:
        filters = [hooks for _, hooks in self._listeners]
        self._hook_filters = None if None in filters else tuple(f for f in filters if f)

    def emit(self, event: StoreEvent) -> None:
        for listener, _ in list(self._listeners):
            listener(event)
