"""The reference poller: Cloud Elements polling for WooCommerce, done right, on the shared clock.

One :class:`Poller` per instance. Every ``refresh_interval`` minutes it polls each
configured resource in turn (runs never overlap), turns what changed into
Cloud Elements events (:mod:`pytest_woosim.poller.events`) and puts their
notifications in the durable outbox (:mod:`pytest_woosim.poller.commit`), from
which the :class:`~pytest_woosim.outbox.sender.Sender` delivers them in order, with the
Cloud Elements retry schedule, never dropping one.

Window (Cloud Elements' semantics, spec "the poller"): per resource
``(lastPollDate - pollDelay, pollStart]``; the watermark is the poll START time
and moves only when the resource was read completely, in the same transaction
that stores its notifications (:meth:`State.commit_window`). The first run
starts at the instance's creation time (no backfill) unless told otherwise.

Choices where Cloud Elements' behaviour is not documented (UNVERIFIED in the spec):

* the watermark is kept per instance AND resource, and moves only when that
  resource was read completely; a store error skips the resource for this run
  (its watermark stays, the next run covers the gap) and the run goes on;
* the first window starts at the instance's creation time (no backfill); that
  time is stored with the state so a restart does not move it;
* the window's lower bound is read at one-second resolution INCLUSIVE (Cloud
  Elements compares strictly "after"), because WooCommerce dates have no
  fraction; content dedupe makes the overlap harmless;
* runs never overlap; a changed refresh interval applies from the next run;
* polling by date cannot see deletions: DELETED events come only from the
  optional id-diff of full scans (off by default).

Where Cloud Elements leaves gaps, this poller closes them (see
:mod:`pytest_woosim.poller.scan`): the watermark's own second is read again and
content-based dedupe keeps every change exactly once; orders are read with
keyset paging so changes during a scan are not skipped; customers (no date
filter in WooCommerce) are read in full in id order and filtered here: their
ids and dates only, then the changed ones in full.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from pytest_woosim.instance.config import instance_slug
from pytest_woosim.outbox.notifications import ELEMENT_KEY
from pytest_woosim.outbox.state import Lease, LeaseLostError, SharedState, StateStore, Watermark
from pytest_woosim.outbox.worker_sender import DEFAULT_CLAIM_TTL, AnySender, sender_for
from pytest_woosim.poller.commit import (
    SEEN_PRUNE_EVERY,
    SEEN_PRUNE_MARGIN,
    Committed,
    SeenPruning,
    commit_window,
)
from pytest_woosim.poller.date_checks import ZoneWarnings
from pytest_woosim.poller.events import InstanceNotifications
from pytest_woosim.poller.id_sets import compress_ids, expand_ids, id_sort_key
from pytest_woosim.poller.plan import ResourcePlan, plans_from_config
from pytest_woosim.poller.reports import PollReport, ResourceReport
from pytest_woosim.poller.scan import (
    Backoff,
    Change,
    PageSource,
    ResourceScan,
    ScanSpec,
    Strategy,
    Window,
)
from pytest_woosim.poller.storeclient import StoreClient, StoreError
from simulator.clock import Clock

if TYPE_CHECKING:
    from pytest_woosim.instance.config import InstanceConfig

log = logging.getLogger("woosim.poller")

#: Events put in the outbox per transaction while a large window is still being
#: read. The watermark does not move with these checkpoints; a crash before the
#: final commit re-reads the window and the stored dedupe keys drop what was sent.
CHECKPOINT_EVENTS = 1000

#: State kv key holding the instance's creation time (the first window's start).
CREATED_AT_KEY = "poller.created_at"


# ---------------------------------------------------------------------- the poller


class Poller:
    """Polls one instance's resources and fills its outbox.

    ``created_at`` is the instance's creation time (default: the clock's now at
    construction); the first window of a resource starts there. ``backfill=True``
    starts from the beginning instead; ``start`` gives an explicit first instant.
    ``sender`` (optional) is started and stopped with :meth:`run`/:meth:`stop`.
    """

    def __init__(
        self,
        *,
        instance_id: int | str,
        resources: Sequence[ResourcePlan],
        source: PageSource,
        state: StateStore,
        clock: Clock,
        callback_url: str,
        refresh_interval: float = 15,
        created_at: datetime | None = None,
        backfill: bool = False,
        start: datetime | None = None,
        sender: AnySender | None = None,
        element_key: str = ELEMENT_KEY,
        filter_response_nulls: bool = False,
        backoff: Backoff | None = None,
        instance_key: str | None = None,
        instance_name: str | None = None,
        lease_ttl: float = DEFAULT_CLAIM_TTL,
    ) -> None:
        if not resources:
            raise ValueError("a polling instance needs at least one resource to poll")
        #: What notifications carry as ``instanceId``/``instance_id`` (numeric for a
        #: registered instance); the state rows are keyed by ``instance``.
        self.instance_id = instance_id
        self.instance = instance_key if instance_key is not None else str(instance_id)
        self.instance_name = instance_name
        self.resources = list(resources)
        self.source = source
        self.state = state
        #: The state as shared by worker processes (leases), else None: asked once here,
        #: as a runtime Protocol check is costly and the state does not change.
        self._shared: SharedState | None = state if isinstance(state, SharedState) else None
        self.clock = clock
        self.callback_url = callback_url
        self.created_at = created_at or clock.now()
        self.backfill = backfill
        self.start = start
        self.sender = sender
        self.element_key = element_key
        self.filter_response_nulls = filter_response_nulls
        self.backoff = backoff or Backoff()
        #: Clock seconds a poll lease lives (workers on a shared database): the holder
        #: renews it every poll; another worker takes over when it is not renewed.
        self.lease_ttl = lease_ttl
        self.warnings: list[str] = []
        #: Why the instance is unhealthy (a detected date-field mismatch loses events):
        #: ``/healthz`` answers 503 while this is not empty.
        self.health_problems: list[str] = []
        self.reports: list[PollReport] = []
        self._refresh_minutes = _check_interval(refresh_interval)
        self._run_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._zone_warnings = ZoneWarnings()
        self._owned_store: StoreClient | None = None
        self._seen_pruning = SeenPruning()

    @classmethod
    def from_config(
        cls,
        config: InstanceConfig,
        *,
        state: StateStore,
        clock: Clock,
        instance_id: int | str | None = None,
        client: httpx.AsyncClient | None = None,
        created_at: datetime | None = None,
        backfill: bool = False,
        start: datetime | None = None,
        detect_deletions: bool = False,
        with_sender: bool = True,
        backoff: Backoff | None = None,
        instance_number: int | None = None,
        lease_ttl: float = DEFAULT_CLAIM_TTL,
        verify: bool | str = True,
    ) -> Poller:
        """The poller of a polling instance configuration, with its store client and sender.

        The instance is known by its name made key-safe (as the relay does), which
        names its rows in the state file; ``instance_number`` is the stable numeric
        id notifications carry (:meth:`State.instance_number`), the name otherwise.
        ``verify`` is the store's TLS check: the system's CAs (True), a CA bundle's
        path (a store with a private certificate), or none (False).
        ``client`` is the sender's when given (the caller closes it); otherwise the
        sender owns one. The store client always owns its connections, and
        :meth:`stop` closes what the poller owns.
        """
        conf = config.configuration
        if not conf.callback_url:
            raise ValueError(
                'configuration."event.notification.callback.url" is required to poll: '
                "the poller posts its events there"
            )
        plans, notes = plans_from_config(conf, detect_deletions=detect_deletions)
        if not plans:
            raise ValueError(
                'configuration."event.poller.configuration" has no resource the store serves'
                + (f" ({'; '.join(notes)})" if notes else "")
            )
        instance = instance_slug(config.name) if instance_id is None else instance_id
        store = StoreClient(
            conf.store_url, conf.api_key, conf.api_secret.get_secret_value(), verify=verify
        )
        sender = None
        if with_sender:
            sender = sender_for(
                state,
                clock,
                instance=instance,
                callback_url=conf.callback_url,
                signature_key=(
                    None if conf.signature_key is None else conf.signature_key.get_secret_value()
                ),
                client=client,
                claim_ttl=lease_ttl,
            )
        poller = cls(
            instance_id=instance if instance_number is None else instance_number,
            instance_key=str(instance),
            instance_name=config.name,
            resources=plans,
            source=store,
            state=state,
            clock=clock,
            callback_url=conf.callback_url,
            refresh_interval=conf.refresh_interval,
            created_at=created_at,
            backfill=backfill,
            start=start,
            sender=sender,
            filter_response_nulls=bool(conf.filter_response_nulls),
            backoff=backoff,
            lease_ttl=lease_ttl,
        )
        poller.warnings.extend(notes)
        for note in notes:
            log.warning("instance %s: %s", poller.instance, note)
        poller._owned_store = store
        return poller

    # ------------------------------------------------------------------ schedule
    @property
    def refresh_interval(self) -> float:
        """Minutes between the starts of two runs."""
        return self._refresh_minutes

    @property
    def healthy(self) -> bool:
        """False once a date-field mismatch was seen (events are dated wrong or missed)."""
        return not self.health_problems

    def set_refresh_interval(self, minutes: float) -> None:
        """Change the interval; it applies from the next run on (the current wait is kept)."""
        self._refresh_minutes = _check_interval(minutes)

    async def start_background(self) -> None:
        """Start the sender (if any) and the schedule in a background task."""
        if self._task is not None:
            return
        if self.sender is not None:
            await self.sender.start()
        self._stopped.clear()
        self._task = asyncio.create_task(self._schedule(), name=f"woosim-poller-{self.instance}")

    async def run(self) -> None:
        """Poll now and then every ``refresh_interval`` minutes until :meth:`stop`."""
        await self.start_background()
        await self._stopped.wait()

    async def stop(self) -> None:
        """Stop polling and delivering. A run in progress is abandoned; its window is retried."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.sender is not None:
            await self.sender.stop()
        if self._owned_store is not None:
            await self._owned_store.aclose()
        self._stopped.set()

    async def _schedule(self) -> None:
        next_at = self.clock.timestamp()
        while True:
            await self.clock.sleep_until(next_at)
            started = self.clock.timestamp()
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A bug must not stop the schedule: log it; the windows are retried.
                log.exception("instance %s: poll run failed", self.instance)
            # Runs start every interval; one that overran is followed right away,
            # never overlapped. The interval is read now, so a change applies here.
            next_at = max(started + self._refresh_minutes * 60, self.clock.timestamp())

    # ------------------------------------------------------------------ one run
    async def poll_once(self) -> PollReport:
        """Poll every resource once, in order. Never overlaps another run."""
        async with self._run_lock:
            report = PollReport(self.clock.now())
            # Every watermark in one read; this poller alone moves them (runs never
            # overlap). A shared state's are read under each resource's lease instead.
            marks = None if self._shared else dict(await self.state.watermarks(self.instance))
            for plan in self.resources:
                try:
                    report.resources.append(await self._poll_resource(plan, report.started, marks))
                except LeaseLostError as exc:
                    # Stalled past the lease: another worker polls this resource now.
                    log.warning("instance %s: %s", self.instance, exc)
                    report.resources.append(
                        ResourceReport(plan.resource, None, report.started, error=str(exc))
                    )
            await self._seen_pruning.after_run(
                self.state,
                self.instance,
                self.resources,
                marks,
                now=self.clock.now(),
                refresh_minutes=self._refresh_minutes,
            )
            self.reports.append(report)
            del self.reports[:-100]
            return report

    async def _lower_bound(
        self, plan: ResourcePlan, marks: Mapping[str, Watermark] | None
    ) -> tuple[datetime | None, Watermark | None]:
        if marks is None:
            watermark = await self.state.get_watermark(self.instance, plan.resource)
        else:
            watermark = marks.get(plan.resource)
        if watermark is not None:
            base: datetime | None = watermark.timestamp
        elif self.start is not None:
            base = self.start
        elif self.backfill:
            base = None
        else:
            base = await self._creation_time()
        if base is None:
            return None, watermark
        return base - timedelta(seconds=plan.poll_delay), watermark

    async def _creation_time(self) -> datetime:
        """The instance's creation time, kept in the state file at the first run.

        A poller restarted before its first window completed still starts from
        the first start, not from the restart, so nothing in between is missed.
        """
        stored = await self.state.kv_get(self.instance, CREATED_AT_KEY)
        if isinstance(stored, str):
            with contextlib.suppress(ValueError):
                return datetime.fromisoformat(stored).astimezone(UTC)
        await self.state.kv_set(self.instance, CREATED_AT_KEY, _iso(self.created_at))
        return self.created_at

    async def _poll_resource(
        self, plan: ResourcePlan, upper: datetime, marks: dict[str, Watermark] | None
    ) -> ResourceReport:
        """Poll one resource; ``marks`` (the instance's watermarks, when read for the
        run) is kept up to date with the watermark committed here."""
        lease: Lease | None = None
        if self._shared is not None:
            # One worker polls a resource at a time; its window commits are fenced by this.
            name = f"poll:{self.instance}:{plan.resource}"
            lease = await self._shared.acquire_lease(name, ttl=self.lease_ttl)
            if lease is None:
                return ResourceReport(plan.resource, None, upper, held_elsewhere=True)
        lower, watermark = await self._lower_bound(plan, marks)
        report = ResourceReport(plan.resource, lower, upper)
        window = Window(lower, upper, cap_upper=plan.filter_by_current_date)
        scan = self._scan(plan, window, plan.extra_params)
        pending: list[list[Change]] = []  # one list per page read (Cloud Elements' raw body)

        skipped = 0  # changes an earlier run (or a relay sharing the keys) already sent

        async def checkpoint() -> None:
            nonlocal pending, skipped
            done = await self._commit(plan, pending, None, lease=lease)
            report.notifications += done.notifications
            report.events += done.events
            skipped += done.skipped
            pending = []

        trashed: list[list[Change]] = []
        try:
            async for batch in scan.batches():
                pending.append(batch)
                if sum(len(page) for page in pending) >= CHECKPOINT_EVENTS:
                    await checkpoint()
            if plan.trash_scan:
                trash = self._scan(plan, window, {**plan.extra_params, "status": "trash"})
                async for batch in trash.batches():
                    trashed.append(batch)
                scan.stats.requests += trash.stats.requests
                scan.stats.records_read += trash.stats.records_read
        except StoreError as exc:
            report.error = str(exc)
            log.warning(
                "instance %s: %s not polled this run (%s); its watermark stays at %s",
                self.instance,
                plan.resource,
                exc,
                _iso(watermark.timestamp) if watermark else "the instance's start",
            )
            if pending:
                # What was read is real: keep it (without moving the watermark).
                await checkpoint()
            self._copy_stats(report, scan, skipped)
            return report
        deleted: list[str] = []
        cursor: dict[str, Any] | None = watermark.cursor if watermark else None
        if plan.detect_deletions and plan.strategy is Strategy.FULL_BY_ID and scan.stats.complete:
            known = expand_ids(cursor.get("ids") if cursor else None)
            current = scan.stats.all_ids
            if known is not None:
                deleted = sorted(known - current, key=id_sort_key)
            cursor = {**(cursor or {}), "ids": compress_ids(current)}
        moved = Watermark(upper, cursor)
        done = await self._commit(
            plan,
            pending,
            moved,
            trashed=trashed,
            deleted=deleted,
            deleted_at=upper,
            lease=lease,
        )
        if marks is not None:
            marks[plan.resource] = moved
        report.notifications += done.notifications
        report.events += done.events + done.trashed + len(deleted)
        report.deleted = len(deleted) + done.trashed
        self._copy_stats(report, scan, skipped + done.skipped)
        if report.events:
            log.info(
                "instance %s: %s: %d events in (%s, %s]",
                self.instance,
                plan.resource,
                report.events,
                _iso(lower) if lower else "-inf",
                _iso(upper),
            )
        return report

    def _scan(self, plan: ResourcePlan, window: Window, params: Mapping[str, str]) -> ResourceScan:
        return ResourceScan(
            self.source,
            ScanSpec(
                plan.resource,
                plan.endpoint,
                plan.id_field,
                plan.strategy,
                plan.page_size,
                params,
                plan.light_fields,
            ),
            window,
            date_of=plan.filter_date,
            # Whether an earlier run sent a change is decided in the commit's own
            # transaction (it must be, see commit_window): asking the state here too
            # would only cost a hand-off to its thread per page.
            already_seen=None,
            clock=self.clock,
            backoff=self.backoff,
            inspect=lambda record: self._check_dates(plan, record),
        )

    @staticmethod
    def _copy_stats(report: ResourceReport, scan: ResourceScan, skipped: int) -> None:
        report.requests = scan.stats.requests
        report.records_read = scan.stats.records_read
        report.duplicates = scan.stats.duplicates + skipped
        report.unreadable_dates = scan.stats.unreadable_dates

    # ------------------------------------------------------------------ commit
    async def _commit(
        self,
        plan: ResourcePlan,
        pages: Sequence[Sequence[Change]],
        watermark: Watermark | None,
        *,
        trashed: Sequence[Sequence[Change]] = (),
        deleted: Sequence[str] = (),
        deleted_at: datetime | None = None,
        lease: Lease | None = None,
    ) -> Committed:
        return await commit_window(
            self.state,
            self.instance,
            plan,
            pages,
            watermark,
            notifications=InstanceNotifications(
                self.instance_id, self.element_key, self.instance_name, self.filter_response_nulls
            ),
            callback_url=self.callback_url,
            deleted_at=deleted_at or self.clock.now(),
            trashed=trashed,
            deleted=deleted,
            lease=lease,
            shared=self._shared,
            lease_ttl=self.lease_ttl,
        )

    # ------------------------------------------------------------------ warnings
    def _check_dates(self, plan: ResourcePlan, record: Mapping[str, Any]) -> None:
        """Warn once when the configured field and zone disagree with the data."""
        for message in self._zone_warnings.new(plan, record):
            self.warnings.append(message)
            self.health_problems.append(message)
            log.warning("instance %s: unhealthy: %s", self.instance, message)


# ---------------------------------------------------------------------- helpers


def _check_interval(minutes: float) -> float:
    from pytest_woosim.instance.config import MAX_REFRESH_MINUTES

    value = float(minutes)
    if not 0 < value <= MAX_REFRESH_MINUTES:
        raise ValueError(
            "event.poller.refresh_interval must be a positive number of minutes, at most "
            f"{MAX_REFRESH_MINUTES}, got {minutes!r}"
        )
    return value


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


__all__ = [
    "CHECKPOINT_EVENTS",
    "SEEN_PRUNE_EVERY",
    "SEEN_PRUNE_MARGIN",
    "PollReport",
    "Poller",
    "ResourceReport",
]
