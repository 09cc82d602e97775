"""Where webhooks live: the ``wc_webhooks`` table and WC_Webhook_Data_Store's queries."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from simulator.clock import Clock
from simulator.errors import RestError
from simulator.params import php_empty
from simulator.webhooks.model import (
    Webhook,
    coerce_status,
    generate_secret,
    is_valid_delivery_url,
    is_valid_status,
    is_valid_topic,
    subscription_changes,
)

_POST_TYPE = "shop_webhook"
INVALID_TOPIC_ON_CREATE = "Webhook topic is required and must be valid."
INVALID_TOPIC = "Webhook topic must be valid."
INVALID_URL = "Webhook delivery URL must be a valid URL starting with http:// or https://."
INVALID_STATUS = "Webhook status must be valid."

#: search_webhooks() orderby mapping (the REST layer only lets date, id and title through).
_ORDER_COLUMNS = {"date": "date", "id": "id", "title": "name"}


@dataclass
class WebhookQuery:
    """The arguments of WC_Webhook_Data_Store::search_webhooks()."""

    status: str = ""  # '' = every status
    search: str = ""
    include: list[int] = field(default_factory=list)
    exclude: list[int] = field(default_factory=list)
    #: Inclusive bounds on date_created_gmt, as naive UTC readings (MySQL BETWEEN).
    after: datetime | None = None
    before: datetime | None = None
    orderby: str = "date"
    order: str = "desc"
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True)
class Subscriptions:
    """Which active webhooks take which events, ids in ascending order (the order the
    store queues their deliveries in)."""

    #: Topic (``order.updated``) -> webhooks with exactly that topic.
    by_topic: dict[str, tuple[int, ...]]
    #: Action hook (``woocommerce_update_order``) -> the ``action.<hook>`` webhooks.
    by_hook: dict[str, tuple[int, ...]]


@dataclass
class SearchResult:
    webhooks: list[Webhook]
    total: int
    max_pages: int


class WebhookRegistry:
    """All webhooks of the store, by id. Safe to use from any thread."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._by_id: dict[int, Webhook] = {}
        self._next_id = 1
        #: Moves on every insert and removal; with the webhooks' own change count it says
        #: when the subscription index is stale.
        self._version = 0
        self._subscriptions: tuple[int, int, Subscriptions] | None = None

    def now(self) -> int:
        return int(self._clock.timestamp())

    # ------------------------------------------------------------------ CRUD with WC's rules
    def create(
        self,
        *,
        topic: object,
        delivery_url: object,
        secret: object = None,
        name: object = None,
        user_id: int = 1,
    ) -> Webhook:
        """WC_REST_Webhooks_V1_Controller::create_item() up to the save (the ping is separate).

        The status is always ``active``: create_item never applies the body's status.
        """
        if php_empty(topic) or not is_valid_topic(str(topic).lower()):
            raise invalid("topic", INVALID_TOPIC_ON_CREATE)
        if php_empty(delivery_url) or not is_valid_delivery_url(str(delivery_url)):
            raise invalid("delivery_url", INVALID_URL)
        webhook = Webhook(
            id=0,
            name=str(name) if not php_empty(name) else self._default_name(),
            topic=_stored_topic(str(topic)),
            delivery_url=str(delivery_url),
            secret=str(secret) if not php_empty(secret) else generate_secret(),
            status="active",
            user_id=user_id,
            pending_delivery=True,
        )
        return self.add(webhook)

    def update(
        self,
        webhook_id: int,
        *,
        topic: object = None,
        delivery_url: object = None,
        secret: object = None,
        status: object = None,
        name: object = None,
    ) -> tuple[Webhook, bool]:
        """WC_REST_Webhooks_V1_Controller::update_item(); returns (webhook, delivery_url changed).

        Checks run in the controller's order and nothing is stored unless all pass.
        """
        current = self.get(webhook_id)
        if current is None:
            raise RestError(f"woocommerce_rest_{_POST_TYPE}_invalid_id", "ID is invalid.", 400)
        changes: dict[str, object] = {}
        if not php_empty(topic):
            if not is_valid_topic(str(topic).lower()):
                raise invalid("topic", INVALID_TOPIC)
            changes["topic"] = _stored_topic(str(topic))
        if not php_empty(delivery_url):
            if not is_valid_delivery_url(str(delivery_url)):
                raise invalid("delivery_url", INVALID_URL)
            changes["delivery_url"] = str(delivery_url)
        if not php_empty(secret):
            changes["secret"] = str(secret)
        if not php_empty(status):
            if not is_valid_status(str(status).lower()):
                raise invalid("status", INVALID_STATUS)
            # set_status() turns a differently-cased 'ACTIVE' into 'disabled', as WC does.
            changes["status"] = coerce_status(str(status))
        if not php_empty(name):
            changes["name"] = str(name)
        with self._lock:
            url_changed = changes.get("delivery_url", current.delivery_url) != current.delivery_url
            for key, value in changes.items():
                setattr(current, key, value)
            self.touch(current)
        return current, url_changed

    def delete(self, webhook_id: int) -> Webhook:
        """Remove for good (webhooks have no trash); 404 when unknown, as delete_item."""
        removed = self.remove(webhook_id)
        if removed is None:
            raise RestError(f"woocommerce_rest_{_POST_TYPE}_invalid_id", "Invalid ID.", 404)
        return removed

    def _default_name(self) -> str:
        # 'Webhook created on %s' with date 'M d, Y @ h:i A' in PHP's default zone (UTC in WP).
        return "Webhook created on " + self._clock.now().strftime("%b %d, %Y @ %I:%M %p")

    # ------------------------------------------------------------------ storage
    def add(self, webhook: Webhook) -> Webhook:
        """Insert ``webhook``, giving it the next id and its creation date."""
        with self._lock:
            webhook.id = self._next_id
            self._next_id += 1
            webhook.date_created = self.now()
            self._by_id[webhook.id] = webhook
            self._version += 1
        return webhook

    def get(self, webhook_id: int) -> Webhook | None:
        return self._by_id.get(webhook_id)

    def all(self) -> list[Webhook]:
        with self._lock:
            return list(self._by_id.values())

    def touch(self, webhook: Webhook) -> None:
        """WC_Webhook_Data_Store::update() stamps date_modified on every save."""
        webhook.date_modified = self.now()

    def remove(self, webhook_id: int) -> Webhook | None:
        with self._lock:
            self._version += 1
            return self._by_id.pop(webhook_id, None)

    def clear(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._version += 1
            # An emptied table (TRUNCATE) starts its ids again, which keeps tests repeatable.
            self._next_id = 1

    def __len__(self) -> int:
        return len(self._by_id)

    def subscriptions(self) -> Subscriptions:
        """The active webhooks by the events they take; rebuilt only after a webhook was
        added, removed, or had its topic or status set (every store change asks)."""
        cached = self._subscriptions
        # Read before building: a change made meanwhile moves the key, so the next
        # call rebuilds rather than keeping an index that misses it.
        version, changes = self._version, subscription_changes()
        if cached is not None and cached[0] == version and cached[1] == changes:
            return cached[2]
        by_topic: dict[str, list[int]] = {}
        by_hook: dict[str, list[int]] = {}
        for webhook in sorted(self.all(), key=lambda w: w.id):
            if not webhook.is_active() or not is_valid_topic(webhook.topic):
                continue
            by_topic.setdefault(webhook.topic, []).append(webhook.id)
            if webhook.resource == "action":
                by_hook.setdefault(webhook.event, []).append(webhook.id)
        built = Subscriptions(
            {topic: tuple(ids) for topic, ids in by_topic.items()},
            {hook: tuple(ids) for hook, ids in by_hook.items()},
        )
        self._subscriptions = (version, changes, built)
        return built

    def search(self, query: WebhookQuery) -> SearchResult:
        with self._lock:
            rows: Iterable[Webhook] = list(self._by_id.values())
        if query.status:
            rows = [w for w in rows if w.status == query.status]
        if query.search:
            # `name` LIKE '%term%' under MySQL's case-insensitive collation.
            needle = query.search.strip().casefold()
            rows = [w for w in rows if needle in w.name.casefold()]
        if query.include:
            wanted = set(query.include)
            rows = [w for w in rows if w.id in wanted]
        if query.exclude:
            unwanted = set(query.exclude)
            rows = [w for w in rows if w.id not in unwanted]
        if query.after is not None or query.before is not None:
            low = _naive_seconds(query.after) if query.after is not None else -math.inf
            high = _naive_seconds(query.before) if query.before is not None else self.now()
            rows = [w for w in rows if low <= w.date_created <= high]
        matched = list(rows)
        column = _ORDER_COLUMNS.get(query.orderby, "id")
        descending = query.order.lower() != "asc"
        if column == "name":
            matched.sort(key=lambda w: (w.name.casefold(), w.id), reverse=descending)
        elif column == "date":
            matched.sort(key=lambda w: (w.date_created, w.id), reverse=descending)
        else:
            matched.sort(key=lambda w: w.id, reverse=descending)
        total = len(matched)
        page = matched[query.offset :] if query.offset > 0 else matched
        if query.limit > -1:
            page = page[: query.limit]
        # search_webhooks: 'max_num_pages' => $args['limit'] > 1 ? ceil( total / limit ) : 1
        max_pages = math.ceil(total / query.limit) if query.limit > 1 else 1
        return SearchResult(page, total, max_pages)


def invalid(field_name: str, message: str) -> RestError:
    """The controller's 400 for a bad topic, delivery_url or status."""
    return RestError(f"woocommerce_rest_{_POST_TYPE}_invalid_{field_name}", message, 400)


def _stored_topic(topic: str) -> str:
    """set_topic(): wc_clean() then validated again as given; an invalid one is stored as ''."""
    cleaned = " ".join(topic.split())
    return cleaned if is_valid_topic(cleaned) else ""


def _naive_seconds(value: datetime) -> float:
    """STR_TO_DATE() keeps the wall reading and drops any zone suffix."""
    return value.replace(tzinfo=UTC).timestamp()


__all__ = ["SearchResult", "Subscriptions", "WebhookQuery", "WebhookRegistry", "invalid"]
