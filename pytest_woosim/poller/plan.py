"""What the poller reads for each configured resource: its plan.

A :class:`ResourcePlan` is built once from an instance's configuration
(:func:`plans_from_config`): the store endpoint, how to page it
(:func:`strategy_for`), and the configured date fields with the ``SimpleDateFormat``
port that reads them. The :class:`~pytest_woosim.poller.poller.Poller` runs plans;
the relay's reconciliation builds its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from pytest_woosim.instance.javadate import DateCodec
from pytest_woosim.outbox.notifications import EventType
from pytest_woosim.poller.scan import DateUnreadable, Strategy, read_path

if TYPE_CHECKING:
    from pytest_woosim.instance.config import Configuration, ResourcePolling


@dataclass(frozen=True)
class DateField:
    """One configured date field: its JSON path, how to parse it and the zone it assumes."""

    path: str
    parse: Callable[[Any], datetime]
    timezone: str = "GMT"
    pattern: str = "yyyy-MM-dd'T'HH:mm:ss"
    #: The path when it names one top-level field: read with one dict lookup.
    _field: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_field", self.path if _top_level(self.path) else None)

    def read(self, record: Mapping[str, Any]) -> datetime:
        """The field's instant; :class:`DateUnreadable` when missing or not parsable."""
        # Every record of every full scan comes here (twice for a created date).
        name = self._field
        if name is not None and type(record) is dict:
            value = record.get(name)
        else:
            value = read_path(record, self.path)
        if value is None or value == "":
            raise DateUnreadable(self.path, value, "no value")
        try:
            return self.parse(value)
        except Exception as exc:  # the codec's own error type, whatever it is
            raise DateUnreadable(self.path, value, str(exc) or type(exc).__name__) from exc


@dataclass(frozen=True)
class ResourcePlan:
    """Everything the poller needs to know about one configured resource."""

    resource: str  # the Cloud Elements name: objectType of its events
    endpoint: str  # the store endpoint, e.g. "orders"
    id_field: str
    updated: DateField
    created: DateField
    strategy: Strategy = Strategy.FULL_BY_ID
    page_size: int = 100
    poll_delay: float = 0.0
    filter_by_updated_date: bool = True
    filter_by_current_date: bool = False
    created_check_tolerance: float = 10.0
    detect_deletions: bool = False
    #: Also read the trash (``status=trash``) over the same window: trashed records
    #: become DELETED events. One more request per run (more with many trashed).
    trash_scan: bool = False
    extra_params: Mapping[str, str] = field(default_factory=dict)

    @property
    def light_fields(self) -> tuple[str, ...]:
        """What a full scan reads of every record before it reads the changed ones in
        full (:attr:`~pytest_woosim.poller.scan.ScanSpec.light_fields`): the id, the
        date fields and the ``_gmt`` twins the zone check compares them with.

        Empty (every page read in full) for a scan by date, which reads only changed
        records anyway, or when a configured path is not a top-level field.
        """
        if self.strategy is not Strategy.FULL_BY_ID:
            return ()
        names = [self.id_field]
        for date in (self.updated, self.created):
            names.append(date.path)
            if not date.path.endswith("_gmt"):
                names.append(date.path + "_gmt")
        if not all(_top_level(name) for name in names):
            return ()
        return tuple(dict.fromkeys(names))

    def filter_date(self, record: Mapping[str, Any]) -> datetime:
        """The date the window applies to.

        ``filterByUpdatedDate`` (default) filters on the updated date. A record
        whose updated date is empty but whose created date reads (a customer that
        was never modified shows ``date_modified: null`` on some stores) is taken
        at its creation: its last change IS its creation. With
        ``filterByUpdatedDate: false`` Cloud Elements filters on the created date.
        """
        if not self.filter_by_updated_date:
            return self.created.read(record)
        try:
            return self.updated.read(record)
        except DateUnreadable as exc:
            if exc.value is None:
                try:
                    return self.created.read(record)
                except DateUnreadable:
                    pass
            raise

    def event_type(self, record: Mapping[str, Any], updated: datetime) -> EventType:
        """CREATED when created and updated are the same within the tolerance, else UPDATED.

        Cloud Elements: "same updated and created times => CREATED; created earlier
        than updated => UPDATED", widened by ``createdCheckTolerance`` seconds. A
        created date that cannot be read gives UNKNOWN: we cannot tell, and say so.
        """
        try:
            created = self.created.read(record)
        except DateUnreadable:
            return EventType.UNKNOWN
        gap = (updated - created).total_seconds()
        return EventType.CREATED if gap <= self.created_check_tolerance else EventType.UPDATED


def _top_level(path: str) -> bool:
    """A path naming one top-level field, as ``_fields`` names it."""
    return bool(path) and not any(mark in path for mark in ".[]'\" ")


def strategy_for(endpoint: str, filter_field: str) -> Strategy:
    """The paging strategy for a resource: push the window to the store when it can filter.

    Orders filter server-side on ``date_modified``/``date_created`` (we always
    ask in UTC against the ``_gmt`` columns, the safe recipe). Customers have no
    date filters; products and coupons are read in full too (their date filters
    are not part of what our stores promise), so all three are scanned by id.
    """
    base = filter_field.removesuffix("_gmt")
    if endpoint == "orders" and base == "date_modified":
        return Strategy.MODIFIED_KEYSET
    if endpoint == "orders" and base == "date_created":
        return Strategy.CREATED_KEYSET
    return Strategy.FULL_BY_ID


def date_field(path: str, pattern: str, timezone: str) -> DateField:
    """A configured date field, read with the ``SimpleDateFormat`` port (or ``milliseconds``)."""
    codec = DateCodec(pattern, timezone)
    return DateField(path=path, parse=_remembering(codec.parse), timezone=timezone, pattern=pattern)


#: Date strings remembered per field: a full scan reads the same records' dates every run.
_REMEMBERED_DATES = 4096


def _remembering(parse: Callable[[Any], datetime]) -> Callable[[Any], datetime]:
    """``parse`` with its answers for strings kept (a pattern and zone parse a string
    the same way every time); failures are not kept, they raise again."""
    answers: dict[str, datetime] = {}

    def parse_remembered(value: Any) -> datetime:
        if not isinstance(value, str):
            return parse(value)
        answer = answers.get(value)
        if answer is None:
            answer = parse(value)
            if len(answers) >= _REMEMBERED_DATES:
                answers.clear()
            answers[value] = answer
        return answer

    return parse_remembered


def plan_for(
    resource: str, polling: ResourcePolling, *, detect_deletions: bool = False
) -> tuple[ResourcePlan | None, list[str]]:
    """The plan of one configured resource, or None (with the reason) if it cannot be polled.

    Deletion detection is on when asked for here or by the resource's own
    ``"detectDeletions": true`` (an extension key; Cloud Elements has none).
    """
    notes: list[str] = []
    target = polling.target
    if not target.supported:
        return None, [f"{resource}: not polled: {target.note}"]
    dates = polling.dates
    updated = date_field(dates.updated_field, dates.updated_format, dates.updated_timezone)
    created = date_field(dates.created_field, dates.created_format, dates.created_timezone)
    filter_field = updated.path if polling.filter_by_updated_date else created.path
    extra_params: dict[str, str] = {}
    for name, value in parse_qsl(target.query, keep_blank_values=True):
        if name == "where" or "${" in value:
            # A Cloud Elements where-clause means nothing to WooCommerce; the poller
            # applies the window itself (and pushes it to the store where it can).
            notes.append(
                f"{resource}: url parameter {name!r} ignored; the poller applies the window"
            )
            continue
        extra_params[name] = value
    extension = (polling.model_extra or {}).get("detectDeletions")
    wants_deletions = detect_deletions or extension in (True, "true", "True", 1)
    strategy = strategy_for(target.endpoint, filter_field)
    if wants_deletions and strategy is not Strategy.FULL_BY_ID:
        notes.append(
            f"{resource}: deletion detection needs a full scan; {target.endpoint} is read by date"
        )
    plan = ResourcePlan(
        resource=resource,
        endpoint=target.endpoint,
        id_field=polling.id_field,
        updated=updated,
        created=created,
        strategy=strategy,
        page_size=polling.page_size,
        poll_delay=float(polling.poll_delay),
        filter_by_updated_date=bool(polling.filter_by_updated_date),
        filter_by_current_date=bool(polling.filter_by_current_date),
        created_check_tolerance=float(polling.created_check_tolerance),
        detect_deletions=wants_deletions,
        # Orders read by date: their trash is read the same way. (A URL that picks
        # its own statuses says what it wants to see.)
        trash_scan=strategy is not Strategy.FULL_BY_ID and "status" not in extra_params,
        extra_params=extra_params,
    )
    return plan, notes


def plans_from_config(
    configuration: Configuration, *, detect_deletions: bool = False
) -> tuple[list[ResourcePlan], list[str]]:
    """Plans for the configured resources, in order, plus notes on what was left out."""
    plans: list[ResourcePlan] = []
    notes: list[str] = []
    for resource, polling in configuration.resources.items():
        plan, plan_notes = plan_for(resource, polling, detect_deletions=detect_deletions)
        notes.extend(plan_notes)
        if plan is not None:
            plans.append(plan)
    return plans, notes


__all__ = [
    "DateField",
    "ResourcePlan",
    "date_field",
    "plan_for",
    "plans_from_config",
    "strategy_for",
]
