"""The webhook record and WooCommerce's rules about topics, statuses and URLs.

Everything here mirrors ``WC_Webhook`` and ``wc-webhook-functions.php``: which
topics are valid, which hooks a topic listens to, how a status is coerced and
what a delivery URL must look like. No I/O, no HTTP.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: wc_get_webhook_statuses(): active delivers, paused was paused by an admin,
#: disabled was switched off after consecutive failures.
STATUSES = ("active", "paused", "disabled")

RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")

#: Topics wc_is_webhook_valid_topic() refuses even though they look like custom actions.
BLOCKED_TOPICS = frozenset(
    {
        "action.woocommerce_login_credentials",
        "action.woocommerce_product_csv_importer_check_import_file_path",
        "action.woocommerce_webhook_should_deliver",
    }
)

#: WC_Webhook::get_default_topic_hooks() as WooCommerce 10.0.2 lists them (a real store's
#: ``hooks`` field).
TOPIC_HOOKS: dict[str, tuple[str, ...]] = {
    "coupon.created": ("woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"),
    "coupon.updated": ("woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"),
    "coupon.deleted": ("wp_trash_post",),
    "coupon.restored": ("untrashed_post",),
    "customer.created": (
        "user_register",
        "woocommerce_created_customer",
        "woocommerce_new_customer",
    ),
    "customer.updated": ("profile_update", "woocommerce_update_customer"),
    "customer.deleted": ("delete_user",),
    "order.created": ("woocommerce_new_order",),
    "order.updated": (
        "woocommerce_update_order",
        "woocommerce_order_refunded",
    ),
    "order.deleted": ("wp_trash_post", "woocommerce_trash_order"),
    "order.restored": ("untrashed_post", "woocommerce_untrash_order"),
    "product.created": (
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ),
    "product.updated": (
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ),
    "product.deleted": ("wp_trash_post",),
    "product.restored": ("untrashed_post",),
}

#: wp_generate_password( 50, true, true ) draws from these characters.
_PASSWORD_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|"
)

# Characters FILTER_VALIDATE_URL accepts (RFC 3986 reserved + unreserved + '%').
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9\-_]*[A-Za-z0-9])?$")


def is_valid_topic(topic: str) -> bool:
    """wc_is_webhook_valid_topic(), including its prefix test and split on '.'."""
    if topic in BLOCKED_TOPICS:
        return False
    if topic.startswith(("action.woocommerce_", "action.wc_")):
        return True
    parts = topic.split(".")
    if len(parts) < 2:
        return False
    # Like PHP's explode(): 'order.updated.x' validates on its first two parts.
    return parts[0] in RESOURCES and parts[1] in EVENTS


#: Changes that fire more than their own topic's hook. Creating an order (over REST, at
#: checkout) saves it twice, so woocommerce_update_order follows woocommerce_new_order;
#: creating a customer saves the new user again (profile_update). A real WooCommerce
#: 10.0.2 store queues both deliveries, created first. Creating a product fires only
#: its own hook.
_ALSO_FIRES: dict[str, tuple[str, ...]] = {
    "order.created": ("order.updated",),
    "customer.created": ("customer.updated",),
    # Trashing or restoring a post fires wp_trash_post / untrashed_post, which both the
    # product and the coupon topics listen to: a trashed product fires coupon.deleted
    # and a trashed coupon product.deleted (recorded), each with the post's id.
    "product.deleted": ("coupon.deleted",),
    "coupon.deleted": ("product.deleted",),
    "product.restored": ("coupon.restored",),
    "coupon.restored": ("product.restored",),
}


@functools.cache
def topics_fired_by(resource: str, event: str) -> tuple[str, ...]:
    """The topics a store change fires, in the order the real store fires their hooks."""
    topic = f"{resource}.{event}"
    return (topic, *_ALSO_FIRES.get(topic, ()))


# Cached: every delivery reads its webhook's resource and event.
@functools.lru_cache(maxsize=1024)
def topic_resource(topic: str) -> str:
    return topic.split(".")[0]


@functools.lru_cache(maxsize=1024)
def topic_event(topic: str) -> str:
    parts = topic.split(".")
    return parts[1] if len(parts) > 1 else ""


def topic_hooks(topic: str) -> list[str]:
    """WC_Webhook::get_hooks(): the action name for action topics, else the map entry."""
    if topic_resource(topic) == "action":
        return [topic_event(topic)]
    return list(TOPIC_HOOKS.get(topic, ()))


def coerce_status(status: str) -> str:
    """WC_Webhook::set_status(): anything unknown becomes ``disabled``."""
    return status if status in STATUSES else "disabled"


def is_valid_status(status: str) -> bool:
    """wc_is_webhook_valid_status()."""
    return status in STATUSES


def is_valid_delivery_url(url: str) -> bool:
    """wc_is_valid_url(): starts with http:// or https:// and passes FILTER_VALIDATE_URL."""
    if not url.startswith(("http://", "https://")):
        return False
    if not _URL_CHARS.match(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if not host:
        return False
    if port is not None and not 0 <= port <= 65535:
        return False
    if host.startswith("[") or ":" in host:
        try:
            ipaddress.IPv6Address(host.strip("[]"))
        except ValueError:
            return False
        return True
    return all(_HOST_LABEL.match(label) for label in host.rstrip(".").split("."))


def generate_secret() -> str:
    """wp_generate_password( 50, true, true ): 50 characters including specials."""
    return "".join(secrets.choice(_PASSWORD_CHARS) for _ in range(50))


#: The fields that decide which events a webhook takes: setting one moves
#: :func:`subscription_changes`, so indexes built from them know to rebuild.
_SUBSCRIPTION_FIELDS = frozenset({"topic", "status"})
_subscription_changes = 0


def subscription_changes() -> int:
    """A number that moves whenever any webhook's topic or status is set."""
    return _subscription_changes


@dataclass(slots=True)
class Webhook:
    """One row of ``wc_webhooks``. Instants are whole UTC seconds."""

    id: int
    name: str
    topic: str
    delivery_url: str
    #: Write-only: never rendered, logged or shown in a repr.
    secret: str = field(repr=False)
    status: str = "active"
    user_id: int = 1
    #: ``wp_api_v3`` is stored as 3 (REST v3 creates v3 webhooks).
    api_version: int = 3
    failure_count: int = 0
    pending_delivery: bool = True
    date_created: int = 0
    date_modified: int | None = None

    @property
    def resource(self) -> str:
        return topic_resource(self.topic)

    @property
    def event(self) -> str:
        return topic_event(self.topic)

    @property
    def hooks(self) -> list[str]:
        return topic_hooks(self.topic)

    @property
    def api_version_name(self) -> str:
        return f"wp_api_v{self.api_version}" if self.api_version > 0 else "legacy_v3"

    def is_active(self) -> bool:
        return self.status == "active"

    def __setattr__(self, name: str, value: object) -> None:
        # Every path that changes a topic or status (REST, control plane, the failure
        # count, a test setting it directly) reaches the subscription indexes this way.
        object.__setattr__(self, name, value)
        if name in _SUBSCRIPTION_FIELDS:
            global _subscription_changes
            _subscription_changes += 1


__all__ = [
    "BLOCKED_TOPICS",
    "EVENTS",
    "RESOURCES",
    "STATUSES",
    "TOPIC_HOOKS",
    "Webhook",
    "coerce_status",
    "generate_secret",
    "is_valid_delivery_url",
    "is_valid_status",
    "is_valid_topic",
    "subscription_changes",
    "topic_event",
    "topic_hooks",
    "topic_resource",
]
