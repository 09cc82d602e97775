"""Built-in end-to-end checks of an instance configuration (``--woosim-instance FILE``).

Each check runs the configuration, as Cloud Elements would run it, against a
fresh fake store (in the ``--woosim-timezone`` zone) and a receiver, all on one
frozen clock that the check moves, and compares what arrives with what really
happened on the store:

* ``dates[resource]``: every configured date field, pattern and zone turns the
  store's strings into the true instants (winter and summer, afternoon hours);
* ``polling[resource]``: polls start every refresh interval on the clock, and
  every change inside an interval (at the watermark's own second too) arrives
  exactly once, dated when it happened;
* ``signatures``: every notification verifies with the configured key, a wrong
  key does not verify, and without a key there is no signature header;
* ``relay`` (webhook instances): store webhooks become one signed notification
  per change.

A failing check says the cause and the fix in plain words (``repr_failure``).
"""

from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_woosim.harness.instances import RECOMMENDED_DATES
from pytest_woosim.harness.receiver import Receiver
from pytest_woosim.harness.world import World, open_world
from pytest_woosim.instance.config import ConfigError, InstanceConfig, ResourcePolling
from pytest_woosim.instance.javadate import DateCodec
from pytest_woosim.instance.load import load_instance, warnings_for
from pytest_woosim.instance.resource_paths import read_field
from simulator.wire.signing import CE_SIGNATURE_HEADER, verify_elements

#: Instants at which the dates check changes records: a winter and a summer
#: afternoon in the Americas (evening UTC), so 12-hour patterns and fixed
#: offsets that ignore daylight saving time both show.
DATE_INSTANTS = (
    datetime(2024, 1, 16, 20, 34, 56, tzinfo=UTC),
    datetime(2024, 7, 16, 20, 34, 56, tzinfo=UTC),
)
#: Where the polling, signature and relay checks start their clock.
CHECK_START = datetime(2024, 7, 15, 18, 0, tzinfo=UTC)
#: Real seconds a check waits for notifications.
WAIT = 15.0
WRONG_KEY = "not-the-configured-key"


class CheckFailed(Exception):
    """A check that found a problem; the message is the whole explanation."""


class WoosimConfigWarning(UserWarning):
    """Valid but probably wrong in the instance configuration (as ``woosim check-config`` says)."""


# ---------------------------------------------------------------------- pytest items


class WoosimChecks(pytest.Collector):
    """The ``woosim`` collector: node ids read ``woosim::dates[orders]``."""

    def __init__(
        self, *, source: Path, instance: InstanceConfig, timezone: str, seed: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.instance = instance
        self.timezone = timezone
        self.seed = seed

    def collect(self) -> list[pytest.Item]:
        conf = self.instance.configuration
        checks: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = [
            ("events_enabled", self._bind(check_events_enabled))
        ]
        if conf.vendor_type == "polling":
            resources = polled_resources(self.instance)
            for name, polling in resources.items():
                checks.append((f"dates[{name}]", self._bind(check_dates, name, polling)))
            for name in resources:
                checks.append((f"polling[{name}]", self._bind(check_polling, name)))
        checks.append(("signatures", self._bind(check_signatures)))
        if conf.vendor_type == "webhook":
            checks.append(("relay", self._bind(check_relay)))
        return [CheckItem.from_parent(self, name=name, run=run) for name, run in checks]

    def _bind(
        self, check: Callable[..., Coroutine[Any, Any, None]], *args: Any
    ) -> Callable[[], Coroutine[Any, Any, None]]:
        def run() -> Coroutine[Any, Any, None]:
            return check(self.instance, *args, timezone=self.timezone, seed=self.seed)

        return run


class CheckItem(pytest.Item):
    def __init__(self, *, run: Callable[[], Coroutine[Any, Any, None]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._run = run

    def runtest(self) -> None:
        asyncio.run(self._run())

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        parent = self.parent
        source = parent.source if isinstance(parent, WoosimChecks) else Path(".")
        return source, None, f"woosim::{self.name}"


def collect_checks(
    session: pytest.Session, path: str, *, timezone: str, seed: str
) -> list[pytest.Item]:
    """The check items for the instance configuration at ``path`` (UsageError if invalid)."""
    source = Path(path)
    try:
        instance = load_instance(source)
    except ConfigError as exc:
        lines = "\n".join(problem.render(str(source)) for problem in exc.problems)
        raise pytest.UsageError(f"--woosim-instance: not a valid instance:\n{lines}") from None
    except OSError as exc:
        raise pytest.UsageError(f"--woosim-instance: cannot read {source}: {exc}") from None
    collector = WoosimChecks.from_parent(
        session, name="woosim", source=source, instance=instance, timezone=timezone, seed=seed
    )
    return collector.collect()


def polled_resources(instance: InstanceConfig) -> dict[str, ResourcePolling]:
    """The configured resources the store serves (the others cannot be checked here)."""
    return {
        name: polling
        for name, polling in instance.configuration.resources.items()
        if polling.target.supported
    }


# ---------------------------------------------------------------------- the world


def world(
    timezone: str, seed: str, *, key: str | None, start: datetime = CHECK_START
) -> AbstractAsyncContextManager[World]:
    """A fresh store in ``timezone`` and a receiver verifying ``key``, on a frozen clock."""
    return open_world(start=start, timezone=timezone, seed=seed, key=key)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _hours(seconds: float) -> str:
    return f"{abs(seconds) / 3600:g} h {'late' if seconds > 0 else 'early'}"


# ---------------------------------------------------------------------- dates


@dataclass(frozen=True)
class DateRole:
    role: str  # "updated" or "created"
    field: str
    pattern: str
    timezone: str

    @property
    def key(self) -> str:
        return f"{self.role}Date"


def _date_roles(polling: ResourcePolling) -> list[DateRole]:
    dates = polling.dates
    return [
        DateRole("updated", dates.updated_field, dates.updated_format, dates.updated_timezone),
        DateRole("created", dates.created_field, dates.created_format, dates.created_timezone),
    ]


def explain_date(
    resource: str, role: DateRole, record: dict[str, Any], truth: datetime, store_zone: str
) -> str | None:
    """Why ``role`` does not read ``truth`` from ``record``, with the fix; None when it does."""
    where = f"{resource}: datesConfiguration.{role.key}Field {role.field!r}"
    value = read_field(record, role.field)
    if value is None or value == "":
        dated = sorted(k for k in record if isinstance(k, str) and k.startswith("date_"))
        return (
            f"{where} has no value in the store's {resource} (date fields there: "
            f"{', '.join(dated)}). Fix: set {role.key}Field to "
            f"date_{'modified' if role.role == 'updated' else 'created'}_gmt."
        )
    try:
        read = DateCodec(role.pattern, role.timezone).parse(value)
    except Exception as exc:  # the codec's own error type, whatever it is
        return (
            f"{where}: {role.key}Format {role.pattern!r} cannot read {value!r} ({exc}). "
            f"WooCommerce writes dates as yyyy-MM-dd'T'HH:mm:ss: set {role.key}Format to that."
        )
    off = (read - truth).total_seconds()
    if abs(off) < 1:
        return None
    base = role.field.rsplit(".", 1)[-1]
    said = (
        f"{where} = {value!r} read with {role.key}Format {role.pattern!r} in "
        f"{role.timezone} gives {_iso(read)}, but the store wrote it at {_iso(truth)} "
        f"({_hours(off)})."
    )
    if base.endswith("_gmt"):
        if role.timezone.upper() not in ("GMT", "UTC", "Z", "ETC/UTC", "ETC/GMT"):
            return f"{said} {base} holds UTC on every store. Fix: set {role.key}Timezone to GMT."
        return f"{said} Fix: {role.key}Format must match the field exactly (yyyy-MM-dd'T'HH:mm:ss)."
    if base.startswith("date_"):
        return (
            f"{said} {base} is the store's local time ({store_zone}), not {role.timezone}. "
            f"Fix: set {role.key}Field to {base}_gmt (UTC on every store, whatever its zone) "
            f"and {role.key}Timezone to GMT."
        )
    return f"{said} Fix: use a field that holds UTC (date_modified_gmt / date_created_gmt)."


async def check_dates(
    instance: InstanceConfig, resource: str, polling: ResourcePolling, *, timezone: str, seed: str
) -> None:
    endpoint = polling.target.endpoint
    problems: dict[str, str] = {}
    async with world(timezone, seed, key=None, start=DATE_INSTANTS[0] - timedelta(hours=2)) as w:
        for number, instant in enumerate(DATE_INSTANTS):
            created_at = instant - timedelta(hours=1, minutes=7, seconds=3)
            await w.move_to(created_at)
            record = await w.create(endpoint, f"dates-{number}")
            await w.move_to(instant)
            await w.change(endpoint, int(record["id"]), f"dates-{number}-changed")
            fresh = await w.call("GET", f"{endpoint}/{record['id']}")
            for role in _date_roles(polling):
                truth = instant if role.role == "updated" else created_at
                problem = explain_date(resource, role, fresh, truth, timezone)
                if problem is not None:
                    problems.setdefault(role.role, problem)
    if problems:
        raise CheckFailed(
            f"dates[{resource}] on a store in {timezone}:\n  - " + "\n  - ".join(problems.values())
        )


# ---------------------------------------------------------------------- enabled


async def check_events_enabled(instance: InstanceConfig, *, timezone: str, seed: str) -> None:
    """Cloud Elements sends nothing for an instance without events enabled: say so."""
    if not instance.configuration.events_enabled:
        raise CheckFailed(
            'events_enabled: "event.notification.enabled" is false or missing, so Cloud '
            "Elements sends nothing for this instance (no polling, no webhooks, no "
            "notifications) and woosim relay will not run it. The other checks run the "
            'instance as if it were enabled. Fix: set "event.notification.enabled": true.'
        )


# ---------------------------------------------------------------------- polling


def _only(instance: InstanceConfig, resource: str) -> InstanceConfig:
    polling = instance.configuration.resources[resource]
    return instance.repointed(poller={resource: polling.model_dump(by_alias=True)})


async def _until(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise CheckFailed(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.005)


async def check_polling(
    instance: InstanceConfig, resource: str, *, timezone: str, seed: str
) -> None:
    polling = instance.configuration.resources[resource]
    endpoint = polling.target.endpoint
    interval = instance.configuration.refresh_interval * 60.0
    key = _key(instance)
    async with world(timezone, seed, key=key, start=CHECK_START - timedelta(hours=1)) as w:
        old = [int((await w.create(endpoint, f"old-{i}"))["id"]) for i in range(12)]
        await w.move_to(CHECK_START)
        poller = await w.start_poller(w.aim(_only(instance, resource)))
        expected: list[tuple[str, str]] = []  # (objectId, date) of every change
        try:
            # Two intervals of changes; in each, one in the watermark's own second.
            offsets = (0.4, 0.7, 1.0, interval / 2, interval - 1.0, interval - 0.4)
            spare = iter(old)  # one record per change: a poll sees only a record's last state
            for k in range(2):
                base = CHECK_START + timedelta(seconds=k * interval)
                for n, offset in enumerate(offsets):
                    at = base + timedelta(seconds=offset)
                    await w.move_to(at)
                    if n == 2:
                        record = await w.create(endpoint, f"new-{k}-{n}")
                    else:
                        record = await w.change(endpoint, next(spare), f"c-{k}-{n}")
                    second = at.replace(microsecond=0)
                    expected.append((str(record["id"]), _iso(second)))
                await w.move_to(base + timedelta(seconds=interval))
            await w.move_to(CHECK_START + timedelta(seconds=3 * interval))
            assert poller.sender is not None
            try:
                await poller.sender.drain(WAIT)
            except TimeoutError:
                pass  # judged below from what arrived
            starts = [report.started for report in poller.reports]
            warned = list(poller.warnings)
            unhealthy = list(poller.health_problems)
        finally:
            await w.stop_poller(poller)
        events = [e for e in w.receiver.events if e.get("objectType") == resource]
    problems = _polling_problems(resource, interval, starts, expected, events, warned)
    if unhealthy:
        problems.append(
            "the poller marked the instance unhealthy (woosim relay's /healthz answers 503): "
            + " | ".join(unhealthy)
        )
    if problems:
        raise CheckFailed(
            f"polling[{resource}] every {interval / 60:g} min on a store in {timezone}:\n  - "
            + "\n  - ".join(problems)
        )


def _polling_problems(
    resource: str,
    interval: float,
    starts: list[datetime],
    expected: list[tuple[str, str]],
    events: list[dict[str, Any]],
    warned: list[str],
) -> list[str]:
    problems: list[str] = []
    want_starts = [CHECK_START + timedelta(seconds=k * interval) for k in range(4)]
    if starts[: len(want_starts)] != want_starts:
        problems.append(
            f"polls started at {', '.join(_iso(s) for s in starts)}; expected one every "
            f"refresh interval from {_iso(CHECK_START)}"
        )
    got = Counter((str(e.get("objectId")), str(e.get("date"))) for e in events)
    want = Counter(expected)
    missing = sorted((want - got).elements())
    extra = sorted((got - want).elements())
    twice = sorted(item for item, count in got.items() if count > 1 and item in want)
    if missing:
        problems.append(
            f"{len(missing)} of {len(expected)} changes never arrived as an event dated when "
            f"they happened: {_pairs(missing)}"
        )
    if twice:
        problems.append(f"changes that arrived more than once: {_pairs(twice)}")
    if extra and not twice:
        problems.append(f"events that match no change (wrong date?): {_pairs(extra)}")
    if problems and warned:
        problems.append("the poller warned: " + " | ".join(warned))
    if problems and any("_gmt" in w or " h " in w for w in warned):
        problems.append(f"the dates are read wrong: see woosim::dates[{resource}] for the fix")
    return problems


def _pairs(items: Iterable[tuple[str, str]], limit: int = 6) -> str:
    listed = list(items)
    shown = ", ".join(f"id {object_id} at {date}" for object_id, date in listed[:limit])
    return shown + (f" and {len(listed) - limit} more" if len(listed) > limit else "")


# ---------------------------------------------------------------------- signatures


def _key(instance: InstanceConfig) -> str | None:
    key = instance.configuration.signature_key
    return None if key is None else key.get_secret_value()


async def _deliver_some(
    instance: InstanceConfig, *, timezone: str, seed: str, key: str | None
) -> Receiver:
    """Run the instance's component until a few notifications arrived; the receiver."""
    async with world(timezone, seed, key=key) as w:
        config = w.aim(instance, signature_key=key)
        if config.configuration.vendor_type == "polling":
            resource = next(iter(polled_resources(config)), None)
            if resource is None:
                raise CheckFailed(
                    "signatures: no resource the store serves is configured to poll; "
                    "add customers or orders to event.poller.configuration"
                )
            polling = config.configuration.resources[resource]
            endpoint = polling.target.endpoint
            # Signatures only: the dates are read the recommended way here, so a date
            # problem (reported by its own check) cannot hide the notifications.
            wire = polling.model_dump(by_alias=True)
            wire["datesConfiguration"] = dict(RECOMMENDED_DATES)
            poller = await w.start_poller(config.repointed(poller={resource: wire}))
            try:
                for n in range(3):
                    await w.move_to(w.clock.now() + timedelta(seconds=5))
                    await w.create(endpoint, f"signed-{n}")
                await w.move_to(
                    w.clock.now() + timedelta(minutes=config.configuration.refresh_interval)
                )
                await _until(lambda: len(w.receiver.notifications) >= 1, "a notification")
            finally:
                await w.stop_poller(poller)
        else:
            relay = await w.start_relay(config)
            try:
                await w.create("customers", "signed")
                await _until(lambda: len(w.receiver.notifications) >= 1, "a notification")
            finally:
                await w.stop_relay(relay)
        return w.receiver


async def check_signatures(instance: InstanceConfig, *, timezone: str, seed: str) -> None:
    for problem in warnings_for(instance):
        _warn(instance, str(problem))
    key = _key(instance)
    problems: list[str] = []
    if key is not None:
        signed = await _deliver_some(instance, timezone=timezone, seed=seed, key=key)
        for note in signed.notifications:
            if note.header(CE_SIGNATURE_HEADER) is None:
                problems.append(
                    f"a notification had no {CE_SIGNATURE_HEADER} header although "
                    "event.notification.signature.key is set"
                )
            elif not note.verified:
                problems.append(
                    f"a notification did not verify with the configured key: {note.reason}"
                )
            elif verify_elements(WRONG_KEY, note.body, note.header(CE_SIGNATURE_HEADER)):
                problems.append("a notification also verified with a wrong key")
    unsigned = await _deliver_some(instance, timezone=timezone, seed=seed, key=None)
    for note in unsigned.notifications:
        if note.header(CE_SIGNATURE_HEADER) is not None:
            problems.append(
                f"without a signature key a notification still carried {CE_SIGNATURE_HEADER}"
            )
    if problems:
        raise CheckFailed("signatures:\n  - " + "\n  - ".join(dict.fromkeys(problems)))
    if key is None:
        _warn(
            instance,
            "event.notification.signature.key is not set: notifications are unsigned and "
            "the receiver cannot tell them from forgeries; set a long random key",
        )


def _warn(instance: InstanceConfig, message: str) -> None:
    """A configuration warning in the summary, attributed to the instance, not to this code."""
    where = f"instance {instance.name!r}"
    warnings.warn_explicit(WoosimConfigWarning(message), WoosimConfigWarning, where, 0)


# ---------------------------------------------------------------------- relay


async def check_relay(instance: InstanceConfig, *, timezone: str, seed: str) -> None:
    key = _key(instance)
    expected: list[tuple[str, str, str]] = []
    async with world(timezone, seed, key=key) as w:
        relay = await w.start_relay(w.aim(instance))
        try:

            async def step(kind: str, object_id: int, *events: str) -> None:
                expected.extend((kind, str(object_id), event) for event in events)
                await _until(
                    lambda: (
                        Counter(
                            (e["objectType"], e["objectId"], e["eventType"])
                            for e in w.receiver.events
                        )
                        >= Counter(expected)
                    ),
                    f"{kind} {object_id} {' + '.join(events)}",
                )
                await w.move_to(w.clock.now() + timedelta(seconds=60))

            # Creating a customer or an order fires *.created and then *.updated (the
            # store saves it twice), as a real WooCommerce 10.0.2 store does.
            customer = await w.create("customers", "relayed")
            await step("customers", customer["id"], "CREATED", "UPDATED")
            await w.change("customers", customer["id"], "relayed-changed")
            await step("customers", customer["id"], "UPDATED")
            order = await w.create("orders", "relayed")
            await step("orders", order["id"], "CREATED", "UPDATED")
            await w.change("orders", order["id"], "relayed-changed")
            await step("orders", order["id"], "UPDATED")
            await w.call("DELETE", f"orders/{order['id']}")  # to the trash: order.deleted
            await step("orders", order["id"], "DELETED")
            await relay.sender.drain(WAIT)
        except CheckFailed as exc:
            raise CheckFailed(f"relay: {exc}; events so far: {w.receiver.events}") from None
        finally:
            await w.stop_relay(relay)
        got = Counter((e["objectType"], e["objectId"], e["eventType"]) for e in w.receiver.events)
        unverified = [n for n in w.receiver.notifications if n.verified is False]
    problems = []
    twice = sorted(item for item, count in (got - Counter(expected)).items() if count > 0)
    if twice:
        problems.append(f"changes forwarded more than once: {twice}")
    if unverified:
        problems.append(f"{len(unverified)} notifications did not verify: {unverified[0].reason}")
    if problems:
        raise CheckFailed("relay:\n  - " + "\n  - ".join(problems))


__all__ = [
    "CheckFailed",
    "CheckItem",
    "WoosimChecks",
    "WoosimConfigWarning",
    "collect_checks",
    "explain_date",
    "polled_resources",
]
