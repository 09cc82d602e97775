"""The windowed, gap-free scan of one resource: paging strategy and dedupe.

A poll run asks: which records changed in the window ``(lower, upper]``?
WooCommerce makes that harder than it looks:

* dates have one-second resolution and the store's date filters are strict
  (``modified_after=X`` means ``> X``), so a change in the same second as the
  previous watermark is invisible to a filter on the watermark itself;
* offset paging over a set that changes while we read it skips rows: a record
  modified during the scan leaves an earlier page and every later row shifts
  one place forward;
* customers have no date filters at all.

What this module does about it:

* **The watermark's second is read again.** The scan asks for records dated at
  or after the *start of the second* of ``lower`` (``modified_after`` =
  that second - 1 s, strict), so a change in the watermark's own second is
  fetched again next run; :func:`content_key` (record id + a hash of its
  content) then tells an already-emitted version from a new one, so nothing is
  emitted twice and a second change in the same second is still a change.
* **Keyset paging for date-filtered endpoints** (orders): every request is
  page 1 of ``orderby=modified&order=asc`` with ``modified_after`` moved to
  "the last second seen - 1 s". A record modified during the scan moves to a
  later second and is met again further on (or in the next run); nothing shifts
  under us because we never ask for "page 2". When more than ``page_size``
  records share one second the keyset cannot advance; that one second is then
  read in id order (below) and the keyset resumes after it.
* **Id-ordered scans with re-anchoring** (customers, and the one-second slices):
  ``orderby=id&order=asc`` with ``offset`` paging, each page overlapping the
  previous one by one record. If the first record of a page has an id beyond
  the last id seen, rows were deleted ahead of us and the set shifted: step back
  a page until the anchor is found again. Ids only grow, so new records only
  append. The scan ends at a short page or when a page reaches the store's
  ``X-WP-Total`` (a record added after that answer is dated after the poll
  started, so the next window holds it).
* **A light full scan** (:attr:`ScanSpec.light_fields`): a full scan reads
  only the id and the date fields of each record (``_fields``), and fetches
  the records dated inside the window in full, by ``include``, one request per
  page that has any. Every record is still looked at every run; what is not
  read is the content of the records that did not change. A record whose
  light dates do not read is fetched in full too, so the full record decides.

The scan yields :class:`Change` batches (one per page) and never touches
durable state; the poller decides what is committed and when.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cached_property, lru_cache
from typing import Any, Protocol

from pytest_woosim.poller.storeclient import Page, StoreUnavailable
from simulator.clock import Clock

log = logging.getLogger("woosim.scan")

#: WooCommerce's date format on the wire: no fraction, no zone.
WC_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"

#: Fields left out of the content hash: ``_links`` depends on the address the
#: store was reached at, not on the record.
VOLATILE_FIELDS = frozenset({"_links"})

ONE_SECOND = timedelta(seconds=1)


class PageSource(Protocol):
    """Anything that can fetch one page of a list endpoint (the store client)."""

    async def list_page(
        self, endpoint: str, params: Mapping[str, str | int | float | bool]
    ) -> Page:
        """Fetch one page; raise ``StoreUnavailable`` for transient failures."""
        ...


class DateUnreadable(ValueError):
    """A record's date field is missing or does not parse with the configured pattern."""

    def __init__(self, field_name: str, value: object, reason: str) -> None:
        super().__init__(f"{field_name}={value!r}: {reason}")
        self.field_name = field_name
        self.value = value
        self.reason = reason


#: Reads the date the window applies to from a record; raises :class:`DateUnreadable`.
DateOf = Callable[[Mapping[str, Any]], datetime]

#: Given candidate content keys, returns those already emitted by earlier runs.
AlreadySeen = Callable[[Sequence[str]], Awaitable[set[str]]]


class Strategy(Enum):
    """How a resource is paged."""

    #: orders: server-side window on ``date_modified_gmt``, keyset paging.
    MODIFIED_KEYSET = "modified"
    #: orders filtered on their created date (``filterByUpdatedDate: false``).
    CREATED_KEYSET = "created"
    #: customers (no date filters in WooCommerce) and anything else: every page, by id.
    FULL_BY_ID = "full"


# For each keyset strategy: the store's filter parameters, its order-by value and
# the GMT field that the store compares (with ``dates_are_gmt=true``).
_KEYSET_PARAMS: dict[Strategy, tuple[str, str, str, str]] = {
    Strategy.MODIFIED_KEYSET: (
        "modified_after",
        "modified_before",
        "modified",
        "date_modified_gmt",
    ),
    Strategy.CREATED_KEYSET: ("after", "before", "date", "date_created_gmt"),
}


@dataclass(frozen=True)
class Window:
    """The poll window ``(lower, upper]``.

    ``lower`` is ``lastPollDate - pollDelay`` (``None``: from the beginning, a
    backfill); ``upper`` is the poll start. ``cap_upper`` applies the upper bound
    (Cloud Elements' ``filterByCurrentDate``); without it records changed while
    the run is under way are taken too (and deduplicated next run).
    """

    lower: datetime | None
    upper: datetime
    cap_upper: bool = False

    @property
    def first_second(self) -> datetime | None:
        """The earliest record date (whole second) the scan accepts."""
        return None if self.lower is None else floor_second(self.lower)

    @property
    def last_second(self) -> datetime | None:
        """The latest record date (whole second) accepted, when capped."""
        return floor_second(self.upper) if self.cap_upper else None

    def admits(self, date: datetime) -> bool:
        """Is a record dated ``date`` (one-second resolution) inside the window?

        The lower bound is inclusive at second resolution on purpose: a record
        dated in the watermark's own second may have changed after the previous
        run read it. Content dedupe removes what was already emitted.
        """
        # Called for every record: the bounds are worked out once per window, and a
        # date already on the second (the store's, always) is not copied to floor it.
        first, last = self._bounds
        second = date.replace(microsecond=0) if date.microsecond else date
        if first is not None and second < first:
            return False
        return not (last is not None and second > last)

    @cached_property
    def _bounds(self) -> tuple[datetime | None, datetime | None]:
        return self.first_second, self.last_second


@dataclass(frozen=True)
class ScanSpec:
    """What to scan and how."""

    resource: str  # the Cloud Elements resource name (key of the poller configuration)
    endpoint: str  # the store endpoint, e.g. "orders"
    id_field: str
    strategy: Strategy
    page_size: int = 100
    extra_params: Mapping[str, str] = field(default_factory=dict)
    #: For a FULL_BY_ID scan: the fields (``_fields``) that tell whether a record is
    #: inside the window (its id and date fields); records that are are then read
    #: in full by ``include``. Empty: every page is read in full.
    light_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A record version inside the window that no earlier run emitted."""

    key: str
    record_id: str
    date: datetime
    record: dict[str, Any]


@dataclass
class ScanStats:
    requests: int = 0
    records_read: int = 0
    changes: int = 0
    duplicates: int = 0
    outside_window: int = 0
    unreadable_dates: int = 0
    retries: int = 0
    #: every id met by a complete FULL_BY_ID scan (for deletion detection)
    all_ids: set[str] = field(default_factory=set)
    complete: bool = False


@dataclass(frozen=True)
class Backoff:
    """Retrying a page request on transient store errors, on the shared clock."""

    attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 60.0
    #: A store's ``Retry-After`` is honoured up to this many seconds, so one odd
    #: header cannot stall the instance's polling for days.
    max_retry_after: float = 3600.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Delay before retry ``attempt`` (1-based); ``Retry-After`` wins when given."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return float(min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


def floor_second(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)


def format_wc_gmt(instant: datetime) -> str:
    """A UTC instant as the store expects it with ``dates_are_gmt=true``: no suffix."""
    return instant.astimezone(UTC).strftime(WC_DATE_FORMAT)


def parse_wc_gmt(value: object) -> datetime | None:
    """Parse a ``*_gmt`` field of a WooCommerce record (UTC, no zone)."""
    if not isinstance(value, str):
        return None
    text = value[:19]
    if _CANONICAL_DATE.fullmatch(text) is not None:
        # The store's own shape, where fromisoformat reads what strptime reads, ~20x
        # faster; anything else (single digits, other separators) takes strptime's way.
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            return None
    try:
        return datetime.strptime(text, WC_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


_CANONICAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", re.ASCII)


def read_path(record: Mapping[str, Any], path: str) -> Any:
    """Read a dotted (``user.id``) or bracket (``['Modified Time']``) path."""
    parts = _path_parts(path)
    if len(parts) == 1 and type(record) is dict:
        return record.get(parts[0])  # a top-level field of a decoded record: most reads
    value: Any = record
    for part in parts:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


@lru_cache(maxsize=256)
def _path_parts(path: str) -> tuple[str, ...]:
    """The parts of a path, split once: paths come from configuration, records are many."""
    return tuple(_split_path(path))


def _split_path(path: str) -> list[str]:
    parts: list[str] = []
    i = 0
    current = ""
    while i < len(path):
        ch = path[i]
        if ch == "[":
            if current:
                parts.append(current)
                current = ""
            end = path.find("]", i)
            if end < 0:
                end = len(path)
            parts.append(path[i + 1 : end].strip().strip("'\""))
            i = end + 1
        elif ch == ".":
            if current:
                parts.append(current)
                current = ""
            i += 1
        else:
            current += ch
            i += 1
    if current:
        parts.append(current)
    return parts


def record_id(record: Mapping[str, Any], id_field: str) -> str:
    value = read_path(record, id_field)
    return "" if value is None else str(value)


#: The content hash's JSON: keys sorted, no spaces, text as it is (one encoder for
#: every key: ``json.dumps`` with options builds a new one per call).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_key(resource: str, record: Mapping[str, Any], id_field: str = "id") -> str:
    """The dedupe key of one record version: resource, id and a hash of the content.

    The hash covers the whole record except :data:`VOLATILE_FIELDS`, with keys
    sorted, so the same content gives the same key whichever way it arrived (a
    REST page or a webhook body).
    """
    content = record
    if not VOLATILE_FIELDS.isdisjoint(record):
        # A C-level copy less the few volatile fields (key order does not matter:
        # the dump sorts): a dictcomp over every field cost several times more.
        content = dict(record)
        for name in VOLATILE_FIELDS:
            content.pop(name, None)
    canonical = _CANONICAL_JSON.encode(content)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
    return f"{resource}:{record_id(record, id_field)}:{digest}"


class ResourceScan:
    """One scan of one resource over one window. Iterate :meth:`batches` once."""

    def __init__(
        self,
        source: PageSource,
        spec: ScanSpec,
        window: Window,
        *,
        date_of: DateOf,
        already_seen: AlreadySeen | None,
        clock: Clock,
        backoff: Backoff | None = None,
        inspect: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        """``inspect`` is shown the first record of every page (configuration checks).
        ``already_seen`` drops versions emitted by earlier runs; None leaves that to the
        caller (the poller decides it in the transaction that stores the events)."""
        if not 1 <= spec.page_size <= 100:
            raise ValueError(f"pageSize must be between 1 and 100, got {spec.page_size}")
        self.source = source
        self.spec = spec
        self.window = window
        self.date_of = date_of
        self.already_seen = already_seen
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.inspect = inspect
        self.stats = ScanStats()
        self._emitted: set[str] = set()

    # ------------------------------------------------------------------ driving
    async def batches(self) -> AsyncIterator[list[Change]]:
        """Yield the new changes page by page; ``stats.complete`` is set at the end."""
        light = self.spec.strategy is Strategy.FULL_BY_ID and bool(self.spec.light_fields)
        if self.spec.strategy is Strategy.FULL_BY_ID:
            pages = self._id_ordered({}, light=light)
        else:
            pages = self._keyset()
        async for records in pages:
            if light:
                records = await self._in_full(records)
            changes = await self._select(records)
            if changes:
                yield changes
        self.stats.complete = True

    async def _in_full(self, light: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The full records of a light page's records that may be inside the window."""
        if self.inspect is not None and light:
            # The light fields include each date's ``_gmt`` twin for this check.
            self.inspect(light[0])
        id_field = self.spec.id_field
        date_of, admits = self.date_of, self.window.admits
        ids = []
        for record in light:
            try:
                inside = admits(date_of(record))
            except DateUnreadable:
                inside = True  # let the full record decide (and be counted if it does not read)
            if inside and (rid := _numeric_id(record, id_field)) is not None:
                ids.append(str(rid))
        if not ids:
            return []
        page = await self._fetch(
            {"include": ",".join(ids), "orderby": "id", "order": "asc", "per_page": len(ids)}
        )
        # A record changed since the light page may now be dated after the window:
        # _select drops it and the next run reads it. One deleted since is gone.
        return page.records

    # ------------------------------------------------------------------ fetching
    async def _fetch(self, params: Mapping[str, str | int | float | bool]) -> Page:
        query = {**self.spec.extra_params, **params}
        attempt = 0
        while True:
            try:
                self.stats.requests += 1
                return await self.source.list_page(self.spec.endpoint, query)
            except StoreUnavailable as exc:
                attempt += 1
                if attempt >= self.backoff.attempts:
                    raise
                delay = self.backoff.delay(attempt, exc.retry_after)
                self.stats.retries += 1
                log.warning(
                    "store unavailable for %s (%s); retry %d in %.0f s",
                    self.spec.resource,
                    exc.reason,
                    attempt,
                    delay,
                )
                await self.clock.sleep(delay)

    async def _keyset(self) -> AsyncIterator[list[dict[str, Any]]]:
        after_param, before_param, orderby, gmt_field = _KEYSET_PARAMS[self.spec.strategy]
        size = self.spec.page_size
        first = self.window.first_second
        after = None if first is None else first - ONE_SECOND
        bounds: dict[str, str] = {}
        last = self.window.last_second
        if last is not None:
            bounds[before_param] = format_wc_gmt(last + ONE_SECOND)
        while True:
            params: dict[str, str | int | float | bool] = {
                "orderby": orderby,
                "order": "asc",
                "per_page": size,
                "page": 1,
                "dates_are_gmt": "true",
                **bounds,
            }
            if after is not None:
                params[after_param] = format_wc_gmt(after)
            page = await self._fetch(params)
            records = page.records
            self.stats.records_read += len(records)
            yield records
            if not records or (len(records) < size and not page.has_next):
                return
            first_second = self._gmt_second(records[0], gmt_field)
            last_second = self._gmt_second(records[-1], gmt_field)
            if first_second < last_second:
                # Re-read the last second: it may hold more records than this page showed.
                after = last_second - ONE_SECOND
                continue
            # A full page inside one second: the keyset cannot move. Read that
            # second in id order, then continue after it.
            log.info(
                "%s: more than %d records modified at %s; reading that second by id",
                self.spec.resource,
                size,
                last_second.isoformat(),
            )
            one_second = {
                after_param: format_wc_gmt(last_second - ONE_SECOND),
                before_param: format_wc_gmt(last_second + ONE_SECOND),
                "dates_are_gmt": "true",
            }
            async for slice_records in self._id_ordered(one_second):
                yield slice_records
            after = last_second
            if last is not None and after >= last:
                return

    async def _id_ordered(
        self, filters: Mapping[str, str], *, light: bool = False
    ) -> AsyncIterator[list[dict[str, Any]]]:
        size = self.spec.page_size
        # One record of overlap shows whether the set shifted under us; a page of
        # one record cannot overlap and still advance.
        overlap = 1 if size > 1 else 0
        offset = 0
        last_id: int | None = None
        ids = self.stats.all_ids
        full_scan = not filters
        while True:
            params: dict[str, str | int | float | bool] = {
                "orderby": "id",
                "order": "asc",
                "per_page": size,
                "offset": offset,
                **filters,
            }
            if light:
                params["_fields"] = ",".join(self.spec.light_fields)
            page = await self._fetch(params)
            records = page.records
            if offset > 0 and last_id is not None and records and overlap:
                head = _numeric_id(records[0], self.spec.id_field)
                if head is not None and head > last_id:
                    # Records before our position were deleted: the rows moved
                    # forward and we may have stepped over some. Go back.
                    step = max(1, size - overlap)
                    log.info(
                        "%s: rows shifted during the scan (anchor id %d not found at offset %d);"
                        " stepping back",
                        self.spec.resource,
                        last_id,
                        offset,
                    )
                    offset = max(0, offset - step)
                    continue
            fresh = []
            id_field = self.spec.id_field
            for record in records:
                value = read_path(record, id_field)
                rid = _numeric(value)
                if last_id is not None and rid is not None and rid <= last_id:
                    continue
                fresh.append(record)
                if full_scan:
                    ids.add("" if value is None else str(value))  # as record_id() gives it
            self.stats.records_read += len(fresh)
            if fresh:
                yield fresh
            for record in reversed(records):
                rid = _numeric_id(record, self.spec.id_field)
                if rid is not None:
                    last_id = rid if last_id is None else max(last_id, rid)
                    break
            # With ``offset`` WooCommerce still computes its Link header and
            # X-WP-TotalPages from ``page`` (1), so they cannot say where the end
            # is; a short page does, and so does X-WP-Total (the count of the whole
            # query, whatever the offset): a full last page needs no empty one after it.
            if len(records) < size:
                return
            if page.total is not None and offset + len(records) >= page.total:
                return
            offset += len(records) - overlap

    def _gmt_second(self, record: Mapping[str, Any], gmt_field: str) -> datetime:
        value = parse_wc_gmt(record.get(gmt_field))
        if value is None:
            raise StoreUnavailable(
                f"{self.spec.endpoint}: record {record_id(record, self.spec.id_field)} has no "
                f"readable {gmt_field}; cannot page by date"
            )
        return value

    # ------------------------------------------------------------------ selecting
    async def _select(self, records: Sequence[dict[str, Any]]) -> list[Change]:
        candidates: list[Change] = []
        if self.inspect is not None and records:
            # A sample, not every record: the checks are about configuration.
            self.inspect(records[0])
        for record in records:
            rid = record_id(record, self.spec.id_field)
            try:
                date = self.date_of(record)
            except DateUnreadable as exc:
                self.stats.unreadable_dates += 1
                log.warning(
                    "%s %s skipped: %s=%r does not parse (%s)",
                    self.spec.resource,
                    rid,
                    exc.field_name,
                    exc.value,
                    exc.reason,
                )
                continue
            if not self.window.admits(date):
                self.stats.outside_window += 1
                continue
            key = content_key(self.spec.resource, record, self.spec.id_field)
            if key in self._emitted:
                self.stats.duplicates += 1
                continue
            self._emitted.add(key)
            candidates.append(Change(key, rid, date, record))
        if not candidates or self.already_seen is None:
            self.stats.changes += len(candidates)
            return candidates
        seen = await self.already_seen([c.key for c in candidates])
        fresh = [c for c in candidates if c.key not in seen]
        self.stats.duplicates += len(candidates) - len(fresh)
        self.stats.changes += len(fresh)
        return fresh


def _numeric_id(record: Mapping[str, Any], id_field: str) -> int | None:
    return _numeric(read_path(record, id_field))


def _numeric(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


__all__ = [
    "VOLATILE_FIELDS",
    "AlreadySeen",
    "Backoff",
    "Change",
    "DateOf",
    "DateUnreadable",
    "PageSource",
    "ResourceScan",
    "ScanSpec",
    "ScanStats",
    "Strategy",
    "Window",
    "content_key",
    "floor_second",
    "format_wc_gmt",
    "parse_wc_gmt",
    "read_path",
    "record_id",
]
