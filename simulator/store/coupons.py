"""The coupons table: their records and every change to them, as WooCommerce 10.0.2 does it.

A coupon is a ``shop_coupon`` post: it takes its id from the posts sequence, has a
post status (``publish``, ``draft``, ``pending``, ``private``, ``future``, ``trash``),
and fires the hooks of a post (see ``webhooks/model.py``). Codes are stored lower
case and trimmed; a code names a coupon only while the coupon is published.

Nothing here knows of HTTP: the routes hand in parsed fields and get records or a
:class:`RestError` back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.errors import RestError
from simulator.models import MetaItem
from simulator.store.core import changes_records

if TYPE_CHECKING:
    from simulator.store.core import StoreCore
    from simulator.store.queries import DateFilter

#: wc_get_coupon_types().
DISCOUNT_TYPES = ("percent", "fixed_cart", "fixed_product")
#: Post statuses WP_Query knows; a ``status`` filter naming none of them is ignored.
#: (A coupon written over REST is always published: WooCommerce 10.0.2's data store
#: creates ``publish`` posts and never writes ``post_status`` on update.)
KNOWN_STATUSES = frozenset(
    {"publish", "future", "draft", "pending", "private", "trash", "auto-draft", "inherit"}
)


@dataclass(slots=True)
class Coupon:
    """One coupon. Instants are whole UTC seconds; ``*_wall`` the store's wall clock."""

    id: int
    code: str
    created: int
    created_wall: int
    modified: int
    modified_wall: int
    status: str = "publish"
    #: As stored by wc_format_decimal() without places: "10", "12.5", "" (none).
    amount: str = "0"
    discount_type: str = "fixed_cart"
    description: str = ""
    expires: int | None = None
    usage_count: int = 0
    individual_use: bool = False
    product_ids: tuple[int, ...] = ()
    excluded_product_ids: tuple[int, ...] = ()
    usage_limit: int = 0
    usage_limit_per_user: int = 0
    limit_usage_to_x_items: int | None = None
    free_shipping: bool = False
    product_categories: tuple[int, ...] = ()
    excluded_product_categories: tuple[int, ...] = ()
    exclude_sale_items: bool = False
    minimum_amount: str = ""
    maximum_amount: str = ""
    email_restrictions: tuple[str, ...] = ()
    #: One entry per use: a customer's id (as text) or a guest's billing e-mail.
    used_by: tuple[str, ...] = ()
    meta_data: tuple[MetaItem, ...] = ()
    status_before_trash: str = ""
    cached: bytes | None = None

    @property
    def amount_value(self) -> float:
        return decimal_value(self.amount)

    def short_info(self) -> list[Any]:
        """WC_Coupon::get_short_info() (the ``coupon_info`` meta of a coupon line)."""
        info: list[Any] = [
            self.id,
            self.code,
            None if self.discount_type == "fixed_cart" else self.discount_type,
            php_float(self.amount_value),
        ]
        if self.free_shipping:
            info.append(True)
        return info


def php_float(value: float) -> int | float:
    """A PHP float as json_encode writes it on this store: ``10.0`` is ``10``."""
    return int(value) if value == int(value) else value


def format_code(value: str) -> str:
    """wc_format_coupon_code(): entities decoded, tags stripped, trimmed, lower case."""
    text = html.unescape(str(value))
    text = re.sub(r"<[^>]*>", "", text)
    return text.strip().lower()


def format_decimal(value: Any) -> str:
    """wc_format_decimal( $value ) without places: keeps digits, '.', ',' and '-'."""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
        return text.removesuffix(".0") if isinstance(value, float) else text
    return re.sub(r"[^0-9.,\-]", "", str(value).strip())


_LEADING_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def decimal_value(text: str) -> float:
    """PHP's (float) of a numeric-prefix string: "12.5" → 12.5, "" → 0, "1,5" → 1."""
    match = _LEADING_NUMBER.match(text)
    return float(match.group(0)) if match else 0.0


def is_numeric(text: str) -> bool:
    """PHP's is_numeric() for the strings wc_format_decimal() leaves."""
    return bool(re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*", text))


_EMAIL_LOCAL = re.compile(r"^[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_EMAIL_LABEL = re.compile(r"^[a-z0-9-]+$", re.IGNORECASE)


def sanitize_email(value: str) -> str:
    """WordPress' sanitize_email(): the address, or "" when it cannot be one."""
    text = value.strip()
    if len(text) < 6 or text.count("@") != 1 or text.index("@") == 0:
        return ""
    local, domain = text.split("@")
    if not _EMAIL_LOCAL.match(local):
        return ""
    labels = [label.strip("-") for label in domain.strip(".").split(".")]
    labels = [label for label in labels if label and _EMAIL_LABEL.match(label)]
    if len(labels) < 2:
        return ""
    return f"{local}@{'.'.join(labels)}"


def data_error(code: str, message: str) -> RestError:
    """A setter's WC_Data_Exception as the REST controller answers it."""
    return RestError(code, message, 400)


class CouponTable:
    """The store's coupons (ids, clock and events are the core's)."""

    def __init__(self, core: StoreCore) -> None:
        self.core = core
        self.records: dict[int, Coupon] = {}

    # ------------------------------------------------------------------ reading
    def get(self, coupon_id: int, *, missing_status: int = 404) -> Coupon:
        coupon = self.records.get(coupon_id)
        if coupon is None:
            raise RestError(
                "woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.", missing_status
            )
        return coupon

    def id_by_code(self, code: str, exclude: int = 0) -> int:
        """wc_get_coupon_id_by_code(): the newest *published* coupon with that code, any case."""
        wanted = code.lower()
        found = [
            c
            for c in self.records.values()
            if c.status == "publish" and c.code.lower() == wanted and c.id != exclude
        ]
        if not found:
            return 0
        return max(found, key=lambda c: (c.created, c.id)).id

    # ------------------------------------------------------------------ writing
    @changes_records
    def create(self, fields: Mapping[str, Any], *, emit: bool = True) -> Coupon:
        core = self.core
        now = core.now()
        coupon = Coupon(
            id=0,
            code="",
            created=now,
            created_wall=core.wall(now),
            modified=now,
            modified_wall=core.wall(now),
        )
        self._apply(coupon, fields)
        coupon.id = core.next_post_id()
        self.records[coupon.id] = coupon
        core.emit_change("coupon", "created", coupon.id, emit)
        return coupon

    @changes_records
    def insert(self, coupon: Coupon, *, emit: bool = True) -> Coupon:
        """Add a ready record (the generator's); its id must be free."""
        self.records[coupon.id] = coupon
        self.core.emit_change("coupon", "created", coupon.id, emit)
        return coupon

    @changes_records
    def update(self, coupon_id: int, fields: Mapping[str, Any], *, emit: bool = True) -> Coupon:
        coupon = self.get(coupon_id, missing_status=400)
        before = (coupon.code, coupon.description)
        self._apply(coupon, fields)
        if (coupon.code, coupon.description) != before:
            # The data store updates the post (and its modified date) only when the
            # code or the description changed; other fields are post meta.
            self._touch(coupon)
        self.core.emit_change("coupon", "updated", coupon.id, emit)
        return coupon

    @changes_records
    def trash(self, coupon_id: int, *, emit: bool = True) -> Coupon:
        coupon = self.get(coupon_id)
        if coupon.status == "trash":
            raise RestError(
                "woocommerce_rest_already_trashed", "The shop_coupon has already been deleted.", 410
            )
        # wp_trash_post() records what untrashing needs as post meta (the REST answer
        # shows it): the status, the time and the slug (the code).
        core = self.core
        coupon.meta_data = (
            *coupon.meta_data,
            *core.trash_meta(coupon.status),
            MetaItem(core.next_meta_id(), "_wp_desired_post_slug", slug_of(coupon.code)),
        )
        coupon.status_before_trash = coupon.status
        coupon.status = "trash"
        self._touch(coupon)
        # wp_trash_post: every post topic listening to it fires (see webhooks.model).
        self.core.emit_change("coupon", "deleted", coupon.id, emit)
        return coupon

    @changes_records
    def delete(self, coupon_id: int) -> Coupon:
        """Force delete: wp_delete_post() fires no topic a webhook listens to."""
        return self.records.pop(self.get(coupon_id).id)

    def _touch(self, coupon: Coupon) -> None:
        now = self.core.now()
        coupon.modified, coupon.modified_wall = now, self.core.wall(now)
        coupon.cached = None

    def _apply(self, coupon: Coupon, fields: Mapping[str, Any]) -> None:
        """prepare_object_for_database(): the writable fields in schema order, each setter's
        check as it comes (so ``amount`` is checked against the type the coupon had)."""
        for name, value in fields.items():
            if value is None:
                continue  # a null value is left alone
            if name == "code":
                code = format_code(value)
                if self.id_by_code(code, exclude=coupon.id):
                    raise RestError(
                        "woocommerce_rest_coupon_code_already_exists",
                        "The coupon code already exists",
                        400,
                    )
                coupon.code = code
            elif name == "amount":
                amount = format_decimal(value)
                number = decimal_value(amount) if is_numeric(amount) else 0.0
                if not is_numeric(amount):
                    amount = "0"
                if number < 0 or (coupon.discount_type == "percent" and number > 100):
                    raise data_error("coupon_invalid_amount", "Invalid discount amount.")
                coupon.amount = amount
            elif name == "status":
                continue  # never written (see KNOWN_STATUSES)
            elif name in ("minimum_amount", "maximum_amount"):
                amount = format_decimal(value)
                if (
                    name == "maximum_amount"
                    and decimal_value(amount)
                    and decimal_value(coupon.minimum_amount) > decimal_value(amount)
                ):
                    raise data_error(
                        "coupon_invalid_maximum_amount", "Invalid maximum spend value."
                    )
                setattr(coupon, name, amount)
            elif name == "email_restrictions":
                # sanitize_email() empties what is no address; the empties are dropped.
                emails = tuple(e for e in (sanitize_email(str(v).lower()) for v in value) if e)
                coupon.email_restrictions = emails
            elif name in ("usage_limit", "usage_limit_per_user"):
                setattr(coupon, name, abs(int(value)))
            elif name == "limit_usage_to_x_items":
                coupon.limit_usage_to_x_items = abs(int(value))
            elif name in (
                "product_ids",
                "excluded_product_ids",
                "product_categories",
                "excluded_product_categories",
            ):
                ids: list[int] = []
                for v in value:
                    if abs(int(v)) and abs(int(v)) not in ids:
                        ids.append(abs(int(v)))
                setattr(coupon, name, tuple(ids))
            elif name == "meta_data":
                coupon.meta_data = self.core.apply_meta(coupon.meta_data, value)
            elif name == "expires":
                coupon.expires = value if value != "" else None
            else:
                setattr(coupon, name, value)
        if coupon.discount_type == "percent" and coupon.amount_value > 100:
            # Read back, a percentage over 100 fails set_amount() and stays 0 (recorded:
            # a percent coupon created with amount 150 answers "0.00").
            coupon.amount = "0"
        coupon.cached = None

    # ------------------------------------------------------------------ usage
    @changes_records
    def increase_usage(self, coupon: Coupon, used_by: str) -> None:
        coupon.usage_count += 1
        if used_by:
            coupon.used_by = (*coupon.used_by, used_by)
        coupon.cached = None

    @changes_records
    def decrease_usage(self, coupon: Coupon, used_by: str) -> None:
        coupon.usage_count = max(0, coupon.usage_count - 1)
        if used_by and used_by in coupon.used_by:
            kept = list(coupon.used_by)
            kept.remove(used_by)
            coupon.used_by = tuple(kept)
        coupon.cached = None

    # ------------------------------------------------------------------ listing
    def query(self, query: CouponQuery) -> tuple[list[Coupon], int]:
        """WP_Query over shop_coupon posts: filters, order, then the page."""
        matches = [c for c in self.records.values() if query.matches(c)]
        reverse = query.order == "desc"
        if query.orderby == "include" and query.include:
            # post__in order, whatever ``order`` says (recorded).
            position = {rid: n for n, rid in enumerate(query.include)}
            matches.sort(key=lambda c: position.get(c.id, 0))
        elif query.orderby == "id":
            matches.sort(key=lambda c: c.id, reverse=reverse)
        elif query.orderby == "modified":
            matches.sort(key=lambda c: (c.modified_wall, c.id), reverse=reverse)
        elif query.orderby == "title":
            matches.sort(key=lambda c: (c.code.casefold(), c.id), reverse=reverse)
        elif query.orderby == "slug":
            matches.sort(key=lambda c: (slug_of(c.code), c.id), reverse=reverse)
        else:
            matches.sort(key=lambda c: (c.created_wall, c.id), reverse=reverse)
        total = len(matches)
        start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
        return matches[start : start + query.per_page], total


def slug_of(code: str) -> str:
    return re.sub(r"[^a-z0-9_\-]+", "-", code.lower()).strip("-")


@dataclass
class CouponQuery:
    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    include: Sequence[int] = ()
    exclude: frozenset[int] = frozenset()
    search: str = ""
    #: None: WP_Query's default for a logged-in manager (published and private);
    #: ``any`` takes every status but trash.
    statuses: frozenset[str] | None = None
    #: ``code``: the one id wc_get_coupon_id_by_code() found (0: none), or None.
    code_id: int | None = None
    dates: DateFilter | None = None

    def matches(self, coupon: Coupon) -> bool:
        statuses = self.statuses if self.statuses is not None else frozenset({"publish", "private"})
        if coupon.status not in statuses and not ("any" in statuses and coupon.status != "trash"):
            return False
        if self.code_id is not None and coupon.id != self.code_id:
            return False
        if self.include and coupon.id not in self.include:
            return False
        if coupon.id in self.exclude:
            return False
        if self.search:
            term = self.search.lower()
            if term not in coupon.code.lower() and term not in coupon.description.lower():
                return False
        if self.dates is not None and self.dates.active:
            return _in_window(coupon, self.dates)
        return True


def _in_window(coupon: Coupon, window: DateFilter) -> bool:
    """after/before on post_date, modified_* on post_modified (local, or GMT columns)."""
    created = coupon.created if window.gmt else coupon.created_wall
    modified = coupon.modified if window.gmt else coupon.modified_wall
    if window.after is not None and not created > window.after:
        return False
    if window.before is not None and not created < window.before:
        return False
    if window.modified_after is not None and not modified > window.modified_after:
        return False
    return not (window.modified_before is not None and not modified < window.modified_before)
