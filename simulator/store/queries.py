"""List queries: what a list request asks for, and how records are filtered, sorted and paged.

The parameters WP_Query and WP_User_Query get, and the functions that answer
them over a resource's records and indexes. Nothing here changes a record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from simulator.models import Customer, Order, Product
from simulator.store.indexes import DateIndexes, SortedIndex
from simulator.store.slugs import sanitize_title


@dataclass(slots=True)
class DateFilter:
    """after/before (created) and modified_after/modified_before, already in wall seconds."""

    after: int | None = None
    before: int | None = None
    modified_after: int | None = None
    modified_before: int | None = None
    #: dates_are_gmt: compare against the *_gmt columns (the bound stays site-local wall time).
    gmt: bool = False

    @property
    def active(self) -> bool:
        return any(
            v is not None
            for v in (self.after, self.before, self.modified_after, self.modified_before)
        )


@dataclass(slots=True)
class PostQuery:
    """A list query on orders or products (the parameters WP_Query gets)."""

    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    statuses: frozenset[str] | None = None  # None = any status except trash
    include: list[int] = field(default_factory=list)
    exclude: frozenset[int] = frozenset()
    parent: list[int] = field(default_factory=list)
    parent_exclude: frozenset[int] = frozenset()
    search: str = ""
    dates: DateFilter = field(default_factory=DateFilter)
    # orders only
    customer: int | None = None
    product: int | None = None
    # products only
    sku: str = ""
    type: str = ""
    featured: bool | None = None
    on_sale: bool | None = None
    stock_status: str = ""
    min_price: int | None = None
    max_price: int | None = None
    category: frozenset[int] | None = None
    tag: frozenset[int] | None = None
    slug: str | None = None
    search_sku: str = ""
    #: "" is the standard class; None = no filter.
    tax_class: str | None = None
    exclude_statuses: frozenset[str] = frozenset()
    include_types: frozenset[str] | None = None
    exclude_types: frozenset[str] = frozenset()
    downloadable: bool | None = None
    virtual: bool | None = None
    #: A taxonomy filter (tag, shipping class, brand) naming terms the store does not
    #: have: nothing matches.
    unknown_term: bool = False


@dataclass(slots=True)
class CustomerQuery:
    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "asc"
    orderby: str = "name"
    role: str = "customer"
    email: str = ""
    search: str = ""
    include: list[int] = field(default_factory=list)
    exclude: frozenset[int] = frozenset()


def find_customers(
    customers: Mapping[int, Customer], query: CustomerQuery
) -> tuple[list[Customer], int]:
    """One page of the customers ``query`` matches, and how many match in all."""
    if query.include:
        pool: Iterable[Customer] = (
            customers[i] for i in dict.fromkeys(query.include) if i in customers
        )
    else:
        pool = customers.values()
    term = query.search.strip("*").lower()
    email = query.email.lower()
    matches = [
        c
        for c in pool
        if (query.role == "all" or c.role == query.role)
        and c.id not in query.exclude
        and (not email or c.email.lower() == email)
        and (not term or _customer_matches(c, term))
    ]
    reverse = query.order == "desc"
    if query.orderby == "include" and query.include:
        position = {cid: n for n, cid in enumerate(query.include)}
        matches.sort(key=lambda c: position[c.id], reverse=reverse)
    elif query.orderby == "id":
        matches.sort(key=lambda c: c.id, reverse=reverse)
    elif query.orderby == "registered_date":
        matches.sort(key=lambda c: (c.created, c.id), reverse=reverse)
    else:
        # display_name under a case-insensitive collation; MySQL leaves ties in
        # no particular order, we break them by id so pages are stable.
        matches.sort(key=lambda c: (c.display_name.casefold(), c.id), reverse=reverse)
    total = len(matches)
    start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
    return matches[start : start + query.per_page], total


def _status_ok(query: PostQuery) -> Any:
    statuses = query.statuses
    if statuses is None or "any" in statuses:
        extra = statuses - {"any"} if statuses else frozenset()
        return lambda status: status != "trash" or status in extra
    return lambda status: status in statuses


def order_predicate(query: PostQuery, orders_by_product: Mapping[int, set[int]]) -> Any:
    """The per-order check for ``query`` (``only_status`` and ``status_ok`` let the
    fast path skip calling it)."""
    status_ok = _status_ok(query)
    checks: list[Any] = []
    if query.exclude:
        checks.append(lambda o: o.id not in query.exclude)
    if query.parent:
        parents = set(query.parent)
        checks.append(lambda o: o.parent_id in parents)
    if query.parent_exclude:
        checks.append(lambda o: o.parent_id not in query.parent_exclude)
    if query.customer is not None:
        customer = query.customer
        checks.append(lambda o: o.customer_id == customer)
    if query.product is not None:
        having = orders_by_product.get(query.product, set())
        checks.append(lambda o: o.id in having)
    if query.search:
        term = query.search.lower()
        checks.append(lambda o: _order_matches(o, term))
    checks.extend(_date_checks(query.dates))

    def predicate(order: Order) -> bool:
        return status_ok(order.status) and all(check(order) for check in checks)

    predicate.only_status = not checks  # type: ignore[attr-defined]
    predicate.status_ok = status_ok  # type: ignore[attr-defined]
    return predicate


def product_predicate(query: PostQuery) -> Any:
    """The per-product check for ``query``."""
    status_ok = _status_ok(query)
    checks: list[Any] = []
    if query.exclude:
        checks.append(lambda p: p.id not in query.exclude)
    if query.search:
        term = query.search.lower()
        checks.append(
            lambda p: (
                term in p.name.lower()
                or term in p.description.lower()
                or term in p.short_description.lower()
            )
        )
    if query.sku:
        skus = {s.strip() for s in query.sku.split(",")}
        checks.append(lambda p: p.sku in skus)
    if query.slug is not None:
        checks.append(lambda p: p.slug == query.slug)
    if query.search_sku:
        part = query.search_sku.lower()
        checks.append(lambda p: part in p.sku.lower())
    if query.tax_class is not None:
        checks.append(lambda p: p.tax_class == query.tax_class)
    if query.exclude_statuses:
        checks.append(lambda p: p.status not in query.exclude_statuses)
    if query.include_types is not None:
        checks.append(lambda p: p.type in query.include_types)  # type: ignore[operator]
    if query.exclude_types:
        checks.append(lambda p: p.type not in query.exclude_types)
    if query.downloadable is not None:
        checks.append(lambda p: p.downloadable == query.downloadable)
    if query.virtual is not None:
        checks.append(lambda p: p.virtual == query.virtual)
    if query.unknown_term:
        checks.append(lambda p: False)
    if query.tag is not None:
        tags = query.tag
        checks.append(lambda p: any(t.id in tags for t in p.tags))
    if query.type:
        checks.append(lambda p: p.type == query.type)
    if query.featured is not None:
        checks.append(lambda p: p.featured == query.featured)
    if query.on_sale is not None:
        checks.append(lambda p: (p.sale_price is not None) == query.on_sale)
    if query.stock_status:
        checks.append(lambda p: p.stock_status == query.stock_status)
    if query.min_price is not None:
        low = query.min_price
        checks.append(lambda p: p.price is not None and p.price >= low)
    if query.max_price is not None:
        high = query.max_price
        checks.append(lambda p: p.price is not None and p.price <= high)
    if query.category is not None:
        wanted = query.category
        checks.append(lambda p: any(c.id in wanted for c in p.categories))
    checks.extend(_date_checks(query.dates))

    def predicate(product: Product) -> bool:
        return status_ok(product.status) and all(check(product) for check in checks)

    predicate.only_status = not checks  # type: ignore[attr-defined]
    return predicate


def _status_total(counts: Counter[str], query: PostQuery) -> int | None:
    """Matching count from the status counters, when only the status filters (orders)."""
    statuses = query.statuses
    if statuses is None or "any" in statuses:
        total = sum(n for status, n in counts.items() if status != "trash")
        if statuses and "trash" in statuses:
            total += counts["trash"]
        return total
    return sum(counts[s] for s in statuses)


def query_posts(
    records: Mapping[int, Any],
    dates: DateIndexes,
    query: PostQuery,
    predicate: Any,
    *,
    status_counts: Counter[str] | None = None,
    by_customer: Mapping[int, set[int]] | None = None,
    by_product: Mapping[int, set[int]] | None = None,
) -> tuple[list[Any], int]:
    """One page of the posts (orders or products) ``query`` matches, and how many match.

    Orders pass their status counters and their customer and product links:
    with them a status-only query is answered from an index without a scan, and a
    narrow customer or product filter reads only that customer's or product's orders.
    """
    start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
    descending = query.order == "desc"
    ordered_index = {
        "date": dates.created_local,
        "modified": dates.modified_local,
    }.get(query.orderby)
    # Fast path: only a status filter and an order an index already holds.
    if (
        status_counts is not None
        and not query.include
        and predicate.only_status
        and (ordered_index is not None or query.orderby == "id")
    ):
        total = _status_total(status_counts, query)
        assert total is not None
        status_ok = predicate.status_ok  # the only check: no per-record predicate call
        if total == len(records) and all(status_ok(s) for s, n in status_counts.items() if n):
            # Every record matches (no trash, the default list): the page is a slice.
            return _slice(records, ordered_index, start, query.per_page, descending), total
        if ordered_index is not None:
            ids: Iterable[int] = ordered_index.ids(0, len(ordered_index), descending=descending)
        else:
            ids = reversed(records) if descending else iter(records)
        page: list[Any] = []
        skipped = 0
        for record_id in ids:
            record = records[record_id]
            if not status_ok(record.status):
                continue
            if skipped < start:
                skipped += 1
                continue
            page.append(record)
            if len(page) >= query.per_page:
                break
        return page, total

    candidates = _candidates(records, dates, query, by_customer, by_product)
    matches = [r for r in candidates if predicate(r)]
    _sort_posts(matches, query)
    return matches[start : start + query.per_page], len(matches)


def _slice(
    records: Mapping[int, Any],
    index: SortedIndex | None,
    start: int,
    count: int,
    descending: bool,
) -> list[Any]:
    """Records at positions [start, start + count) of ``index`` (or of id order when
    None), counted from its end when ``descending``."""
    size = len(records)
    if index is None:
        ordered = reversed(records) if descending else iter(records)
        return [records[i] for i in islice(ordered, start, start + count)]
    if descending:
        low, high = max(0, size - start - count), max(0, size - start)
    else:
        low, high = min(start, size), min(start + count, size)
    return [records[i] for i in index.id_slice(low, high, descending=descending)]


def _candidates(
    records: Mapping[int, Any],
    dates: DateIndexes,
    query: PostQuery,
    by_customer: Mapping[int, set[int]] | None,
    by_product: Mapping[int, set[int]] | None,
) -> Iterable[Any]:
    if query.include:
        return [records[i] for i in dict.fromkeys(query.include) if i in records]
    spans: list[tuple[SortedIndex, int, int]] = []
    window = query.dates
    created = dates.created_gmt if window.gmt else dates.created_local
    modified = dates.modified_gmt if window.gmt else dates.modified_local
    if window.after is not None or window.before is not None:
        spans.append((created, *created.span(window.after, window.before)))
    if window.modified_after is not None or window.modified_before is not None:
        spans.append((modified, *modified.span(window.modified_after, window.modified_before)))
    if query.customer is not None and by_customer is not None:
        owned = by_customer.get(query.customer, set())
        if not spans or len(owned) < min(end - begin for _, begin, end in spans):
            return [records[i] for i in owned]
    if query.product is not None and by_product is not None:
        having = by_product.get(query.product, set())
        if not spans or len(having) < min(end - begin for _, begin, end in spans):
            return [records[i] for i in having]
    if not spans:
        return records.values()
    index, begin, end = min(spans, key=lambda s: s[2] - s[1])
    return [records[i] for i in index.ids(begin, end)]


def _customer_matches(customer: Customer, term: str) -> bool:
    # WP_User_Query search columns: e-mail when the term has "@", login and ID
    # when numeric, otherwise login, URL, e-mail, nicename and display name.
    if "@" in term:
        return term in customer.email.lower()
    if term.isdigit():
        return term in customer.username.lower() or str(customer.id) == term
    return (
        term in customer.username.lower()
        or term in customer.email.lower()
        or term in customer.display_name.lower()
    )


def _order_matches(order: Order, term: str) -> bool:
    # wc_order_search: the order id, billing/shipping address indexes, item names.
    if term.isdigit() and int(term) == order.id:
        return True
    if term in order.billing.text().lower() or term in order.shipping.text().lower():
        return True
    return any(term in name.lower() for name in order.line_names)  # lines stay unbuilt


def _date_checks(window: DateFilter) -> list[Any]:
    """Per-record checks for every date bound (strict, on the column WP would use)."""
    checks: list[Any] = []
    gmt = window.gmt
    if window.after is not None:
        after = window.after
        checks.append((lambda r: r.created > after) if gmt else (lambda r: r.created_wall > after))
    if window.before is not None:
        before = window.before
        checks.append(
            (lambda r: r.created < before) if gmt else (lambda r: r.created_wall < before)
        )
    if window.modified_after is not None:
        m_after = window.modified_after
        checks.append(
            (lambda r: r.modified > m_after) if gmt else (lambda r: r.modified_wall > m_after)
        )
    if window.modified_before is not None:
        m_before = window.modified_before
        checks.append(
            (lambda r: r.modified < m_before) if gmt else (lambda r: r.modified_wall < m_before)
        )
    return checks


def _order_title(record: Any) -> str:
    # Orders' post_title is "Order &ndash; Mon dd, YYYY @ hh:mm AM" (local time).
    from simulator.wcdates import naive_wall

    if isinstance(record, Order):
        return "Order &ndash; " + naive_wall(record.created_wall).strftime("%b %d, %Y @ %I:%M %p")
    return str(record.name)


def _sort_posts(matches: list[Any], query: PostQuery) -> None:
    reverse = query.order == "desc"
    orderby = query.orderby
    if orderby == "include" and query.include:
        position = {rid: n for n, rid in enumerate(query.include)}
        matches.sort(key=lambda r: position.get(r.id, 0), reverse=reverse)
    elif orderby == "id":
        matches.sort(key=lambda r: r.id, reverse=reverse)
    elif orderby == "modified":
        matches.sort(key=lambda r: (r.modified_wall, r.id), reverse=reverse)
    elif orderby in ("title", "slug"):
        # WP sorts by the single column; ties are broken by id for stable pages.
        if orderby == "title":
            matches.sort(key=lambda r: (_order_title(r).casefold(), r.id), reverse=reverse)
        else:
            matches.sort(
                key=lambda r: (
                    sanitize_title(_order_title(r)) if isinstance(r, Order) else r.slug,
                    r.id,
                ),
                reverse=reverse,
            )
    elif orderby == "price":
        matches.sort(key=lambda r: (r.price or 0, r.id), reverse=reverse)
    elif orderby == "popularity":
        matches.sort(key=lambda r: (r.total_sales, r.id), reverse=reverse)
    elif orderby == "menu_order":
        # WooCommerce asks for "menu_order title", both in the requested direction
        # (every product here has menu_order 0, so the title decides).
        matches.sort(key=lambda r: (_order_title(r).casefold(), r.id), reverse=reverse)
    else:
        # "date" (and "rating", which this store has no reviews for): post_date, then ID.
        matches.sort(key=lambda r: (r.created_wall, r.id), reverse=reverse)
