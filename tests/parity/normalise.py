"""Every normalisation rule of the parity suite, in one place, each with its reason.

A snapshot must say the same thing on every recording and on every store, so what
differs for reasons that are not WooCommerce's behaviour is replaced by a
placeholder. Nothing else may rewrite values: if a rule is missing here, add it here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

#: The store's zone: the recorded store and the fake both run in New York.
STORE_ZONE = ZoneInfo("America/New_York")

# --------------------------------------------------------------------------- headers
#: Integrator-facing response headers, compared by shape. Everything else is left
#: out on purpose: ``Date``, ``Content-Length`` (follow from time and body),
#: ``Host`` and ``Connection: close`` (php -S artefacts), ``Server`` and
#: ``Transfer-Encoding: chunked`` (nginx artefacts), ``Keep-Alive``, ``Vary``,
#: ``X-Powered-By``, ``X-Robots-Tag``, ``Access-Control-*`` and ``Expires`` /
#: ``Cache-Control`` (WordPress core's, not WooCommerce's API contract).
RESPONSE_HEADERS = (
    "content-type",
    "x-wp-total",
    "x-wp-totalpages",
    "link",
    "allow",
    "location",
    "x-wc-store-api-nonce",
)

#: Headers of a webhook delivery or ping that a receiver reads; ``Host``, ``Content-Length``,
#: ``Connection``, ``Accept-Encoding`` and ``Referer`` are transport artefacts (WordPress'
#: HTTP client vs ours).
DELIVERY_HEADERS = (
    "content-type",
    "user-agent",
    "x-wc-webhook-source",
    "x-wc-webhook-topic",
    "x-wc-webhook-resource",
    "x-wc-webhook-event",
    "x-wc-webhook-signature",
    "x-wc-webhook-id",
    "x-wc-webhook-delivery-id",
)

# --------------------------------------------------------------------------- patterns
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_PATH_ID = re.compile(r"/(orders|customers|products|webhooks|coupons|refunds|notes)/(\d+)")
#: A restock note names the product by id ("Item #283 stock increased from 17 to 18.").
_ITEM_NOTE = re.compile(r"^Item #(\d+) ")
_HEX = re.compile(r"^[0-9a-f]{32,64}$")
_ORDER_KEY = re.compile(r"^wc_order_[A-Za-z0-9]+$")
_GRAVATAR = re.compile(r"gravatar\.com/avatar/[0-9a-f]+")
_CONSUMER_KEY = re.compile(r"\b(ck|cs)_[0-9a-f]{40}\b")
_ORDER_PAY = re.compile(r"order-pay/\d+/")
_ORDER_KEY_ARG = re.compile(r"key=wc_order_[A-Za-z0-9]+")
_PING_BODY = re.compile(r"^webhook_id=(\d+)$")
_BASE64_SHA256 = re.compile(r"^[A-Za-z0-9+/]{43}=$")
_PRODUCT_P = re.compile(r"([?&]p=)(\d+)")
_UNIX_TIME = re.compile(r"^1\d{9}$")
_OAUTH_ARG = re.compile(r"(oauth_(?:timestamp|nonce|signature)=)[^&>]+")
#: A coupon line's ``coupon_info`` meta: JSON ``[coupon id, code, type, amount]``.
_COUPON_INFO = re.compile(r'^\[(\d+),(".*)$')
#: Term routes (``/products/categories/16``) and variation routes (``/variations/29``):
#: term ids count apart from post ids, and a variation is a post like a product.
_TERM_PATH = re.compile(r"/products/(categories|tags)/(\d+)")
_VARIATION_PATH = re.compile(r"/variations/(\d+)")
#: Symbol kinds of term ids, by route.
TERM_KINDS = {"categories": "cats", "tags": "tags"}
#: A PHP error's file (``data.error`` of WordPress' fatal error handler) lies under the
#: store's own install directory.
_INSTALL_DIR = re.compile(r"/\S*?(?=/wp-(?:content|includes|admin)/\S*\.php\b)")
_ITEM_ID = re.compile(r"([?&](?:include|exclude|parent|customer|product)(?:%5B\d*%5D)?=)(\d+)")

#: Query parameters whose ids are of one kind.
_QUERY_ID_KINDS = {"customer": "customers", "product": "products"}

#: Fields holding ids of a given resource kind (``id`` itself depends on where it sits).
ID_FIELDS = {
    "customer_id": "customers",
    "product_id": "products",
    "variation_id": "products",
    "webhook_id": "webhooks",
    "resource_id": "products",  # product_invalid_sku's data.resource_id
    "related_ids": "products",
    "upsell_ids": "products",
    "cross_sell_ids": "products",
    "grouped_products": "products",
    "variations": "products",
    "product_ids": "products",
    "excluded_product_ids": "products",
    "used_by": "customers",
    "new_draft_order_id": "orders",
    # A product category's parent is a category (tags have none).
    "parent": "cats",
}


def _id_list(value: list[Any]) -> str:
    return "<ids>" if all(isinstance(v, int) for v in value) else "<not ids>"


#: Kinds whose ids are WordPress post ids (one sequence).
POST_KINDS = ("orders", "products", "refunds")

#: Meta keys whose value is an order item id as a string (a refund line's
#: ``_refunded_item_id``): auto-increment values, like ids.
ID_META_KEYS = frozenset({"_refunded_item_id"})

#: Lists whose content is random: compared by type only.
#: ``related_ids``: WooCommerce picks related products at random and caches the pick
#: for a day, so two reads of one product differ.
RANDOM_LISTS: dict[str, Callable[[list[Any]], Any]] = {"related_ids": _id_list}


class Symbols:
    """Ids the scenario created, by kind, under the names the scenario gave them.

    Rule: an id becomes its symbolic name (``<order:first>``) because auto-increment
    values depend on what the store held before; an id the scenario did not name
    (line items, meta rows, notes) becomes ``<id>``.
    """

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[int, str]] = {}
        #: Every URL of the store (a real one can be reached over https while its home
        #: URL is http) and the receiver's URL.
        self.site_urls: list[str] = []
        self.hook_urls: list[str] = []
        self.secrets: dict[int, str] = {}

    def name(self, kind: str, ident: int, label: str) -> None:
        self.by_kind.setdefault(kind, {})[ident] = f"<{kind[:-1]}:{label}>"

    def lookup(self, kind: str | None, ident: int) -> str:
        if ident == 0:
            return 0  # type: ignore[return-value]  # 0 means "none" in WooCommerce: keep it
        if kind is not None and ident in self.by_kind.get(kind, {}):
            return self.by_kind[kind][ident]
        return "<id>"

    def any_kind(self, ident: int) -> str:
        """The name of an id whose kind is not known (an action's argument, ``include=``).
        Posts (orders, products, refunds) share one id sequence, users and webhooks have
        their own, so a post id can equal a webhook id by chance: a post wins."""
        posts = [self.by_kind[k][ident] for k in POST_KINDS if ident in self.by_kind.get(k, {})]
        if len(posts) == 1:
            return posts[0]
        names = [n[ident] for n in self.by_kind.values() if ident in n]
        return names[0] if len(names) == 1 else "<id>"

    def path_ids(self, text: str) -> str:
        """Ids inside URLs and paths (``/orders/123``, ``include%5B0%5D=123``)."""

        def in_path(match: re.Match[str]) -> str:
            kind, ident = match.group(1), int(match.group(2))
            return f"/{kind}/{self.lookup(kind, ident)}"

        def in_query(match: re.Match[str]) -> str:
            ident = int(match.group(2))
            # customer= and product= name their kind: users and posts count ids
            # separately, so the same number can be a customer and an order.
            hint = _QUERY_ID_KINDS.get(match.group(1).lstrip("?&").split("%5B")[0].rstrip("="))
            if hint is not None and ident in self.by_kind.get(hint, {}):
                return match.group(1) + self.by_kind[hint][ident]
            return match.group(1) + self.any_kind(ident)

        def in_permalink(match: re.Match[str]) -> str:
            return match.group(1) + self.lookup("products", int(match.group(2)))

        def in_term_path(match: re.Match[str]) -> str:
            kind = TERM_KINDS[match.group(1)]
            return f"/products/{match.group(1)}/{self.lookup(kind, int(match.group(2)))}"

        def in_variation_path(match: re.Match[str]) -> str:
            return f"/variations/{self.lookup('products', int(match.group(1)))}"

        text = _TERM_PATH.sub(in_term_path, text)
        text = _VARIATION_PATH.sub(in_variation_path, text)
        text = _PRODUCT_P.sub(in_permalink, _PATH_ID.sub(in_path, text))
        return _ITEM_ID.sub(in_query, text)


def normalise_text(text: str, symbols: Symbols) -> str:
    """Rules for free text (values, headers, URLs)."""
    # Receiver and hosts: every store and its receiver live at their own URLs.
    for url in symbols.hook_urls:
        text = text.replace(url, "<hook>")
    for url in symbols.site_urls:
        text = text.replace(url, "<site>").replace(url.replace("/", "\\/"), "<site>")
    # A ping's form body names the webhook by id.
    ping = _PING_BODY.match(text)
    if ping:
        return f"webhook_id={symbols.lookup('webhooks', int(ping.group(1)))}"
    # payment_url carries the order id and its random key.
    text = _ORDER_KEY_ARG.sub("key=wc_order_<random>", _ORDER_PAY.sub("order-pay/<id>/", text))
    # A coupon line's coupon_info names the coupon by id (see Symbols).
    info = _COUPON_INFO.match(text)
    if info:
        return f"[{symbols.lookup('coupons', int(info.group(1)))},{info.group(2)}"
    # Ids in paths and query strings: auto-increment values (see Symbols).
    text = symbols.path_ids(text)
    # A restock note names the product by its auto-increment id.
    text = _ITEM_NOTE.sub(lambda m: f"Item #{symbols.lookup('products', int(m.group(1)))} ", text)
    # OAuth parameters a store echoes (Link): fresh per request.
    text = _OAUTH_ARG.sub(r"\1<oauth>", text)
    # API keys never belong in a snapshot, and differ per store.
    text = _CONSUMER_KEY.sub(r"<\1_key>", text)
    # Gravatar URLs hash the e-mail address; the hash is the client's business.
    text = _GRAVATAR.sub("gravatar.com/avatar/<md5>", text)
    # Random order keys (wc_order_ + 13 random characters).
    if _ORDER_KEY.match(text):
        return "wc_order_<random>"
    # Cart hashes, delivery ids, generated secrets: random or derived from secrets.
    if _HEX.match(text):
        return f"<hex{len(text)}>"
    # Unix times as strings (_wp_trash_meta_time): the moment of the run.
    if _UNIX_TIME.match(text):
        return "<unix time>"
    # Wall-clock instants: compared by the local/GMT rule in date_checks(), not by value.
    if _DATETIME.match(text):
        return "<datetime>"
    return text


def normalise_value(value: Any, symbols: Symbols, key: str = "", kind: str | None = None) -> Any:
    """A JSON leaf, normalised; ``key`` is its field name, ``kind`` the resource of ``id``."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if key == "id":
            return symbols.lookup(kind, value)
        if key in ID_FIELDS:
            return symbols.lookup(ID_FIELDS[key], value)
        if key == "parent_id":
            return symbols.lookup(kind, value)
        if key == "arg":
            # An action delivery's argument: the id of whatever record fired it.
            return symbols.any_kind(value)
        return value
    if isinstance(value, str):
        if key == "number" and value.isdigit():
            # An order's number is its id as a string.
            return symbols.lookup("orders", int(value))
        if key == "secret" and value:
            # A generated webhook secret is random; a given one is the scenario's own.
            return value if value.startswith("parity-") else "<random secret>"
        if key in ("file", "message") and _INSTALL_DIR.search(value):
            # A PHP error names files under the store's install directory, and its stack
            # trace follows how PHP is served (php -S, FPM, a router script): the error
            # and where it happened stay, the trace goes.
            return _INSTALL_DIR.sub("<wp>", value.partition("\nStack trace:")[0])
        if key in ("name",) and value.startswith("Webhook created on "):
            # Default webhook names carry the creation date in the site's locale.
            return "Webhook created on <date>"
        return normalise_text(value, symbols)
    return value


def date_rule(local: str | None, gmt: str | None) -> str:
    """``date_x`` must be ``date_x_gmt`` seen from New York; say whether it is.

    Dates differ on every run, so the value is replaced by the relation between the
    pair, which is what integrators depend on.
    """
    if local is None or gmt is None:
        return f"local={'null' if local is None else 'set'} gmt={'null' if gmt is None else 'set'}"
    try:
        lt = datetime.strptime(local, "%Y-%m-%dT%H:%M:%S")
        gt = datetime.strptime(gmt, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return "unparsable"
    offset = STORE_ZONE.utcoffset(gt)
    if lt - gt == offset:
        return "local=gmt+store offset"
    if lt == gt:
        return "local=gmt"
    return f"local=gmt{(lt - gt) / timedelta(hours=1):+g}h"


def header_shape(name: str, value: str, symbols: Symbols) -> Any:
    """A response or delivery header as a snapshot holds it."""
    if name == "link":
        # One entry per link, in order: URL normalised, relation kept.
        return [normalise_text(part.strip(), symbols) for part in value.split(",")]
    if name == "allow":
        return ", ".join(sorted(m.strip() for m in value.split(",")))
    if name == "x-wc-webhook-delivery-id":
        return f"<hex{len(value)}>" if _HEX.match(value) else "<other>"
    if name == "x-wc-webhook-signature":
        # Changes with every body; whether it is right is the ``signature`` check.
        return "<base64 sha256>" if _BASE64_SHA256.match(value) else "<other>"
    if name == "x-wc-webhook-id":
        return symbols.lookup("webhooks", int(value)) if value.isdigit() else value
    if name == "x-wc-webhook-source":
        return normalise_text(value, symbols)
    return normalise_text(value, symbols)


def signature_state(headers: Mapping[str, str], body: bytes, secret: str | None) -> str:
    """Whether ``X-WC-Webhook-Signature`` is base64 HMAC-SHA256 of the raw body under the
    webhook's secret (the signature itself changes with every body)."""
    given = headers.get("x-wc-webhook-signature")
    if given is None:
        return "absent"
    if secret is None:
        return "unknown secret"
    want = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return "valid" if hmac.compare_digest(given, want) else "invalid"
