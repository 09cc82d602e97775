"""Read an instance configuration file, report every problem, and lint the known traps.

* :func:`load_instance` parses JSON (syntax errors carry line and column, and a
  missing ``}`` or ``]`` is located from the indentation, as in Cloud Elements'
  own published polling example), then validates with the models of
  ``pytest_woosim.instance.config``; it raises :class:`~pytest_woosim.instance.config.ConfigError`
  with all problems at once.
* :func:`warnings_for` lists what is valid but probably wrong: dates read in the
  wrong zone, patterns that cannot read WooCommerce's dates, misspelt keys,
  events switched off, filters WooCommerce ignores.
"""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from pytest_woosim.instance.config import (
    DEFAULT_DATE_FIELDS,
    KNOWN_CONFIGURATION_KEYS,
    UI_MAX_REFRESH_MINUTES,
    ConfigError,
    DatesConfiguration,
    InstanceConfig,
    Problem,
    ResourcePolling,
    format_path,
)
from pytest_woosim.instance.javadate import MILLISECONDS, DateCodec, DateParseError
from pytest_woosim.instance.placeholders import find_placeholders
from pytest_woosim.instance.zones import JavaZone, java_timezone
from simulator.wire import boundedjson

__all__ = ["aload_instance", "load_instance", "load_instance_text", "parse_json", "warnings_for"]

#: A WooCommerce date string as the REST API writes it, and the wall time it shows.
WOOCOMMERCE_SAMPLE_DATE: Final = "2017-03-21T16:09:28"
_SAMPLE_WALL_TIME: Final = datetime(2017, 3, 21, 16, 9, 28)
_WINTER_AND_SUMMER: Final = (datetime(2017, 1, 15, tzinfo=UTC), datetime(2017, 7, 15, tzinfo=UTC))

#: Date fields every WooCommerce resource has (``date_x`` local, ``date_x_gmt`` UTC).
WOOCOMMERCE_DATE_FIELDS: Final = frozenset(
    {"date_created", "date_created_gmt", "date_modified", "date_modified_gmt"}
)

# Reserved "event." keys Cloud Elements knows but these models do not read.
_OTHER_EVENT_KEYS: Final = (
    "event.poller.urls",
    "event.objects",
    "event.metadata",
    "event.helper.key",
    "event.notification.subscription.id",
    "event.notification.instance.finder",
)
_RESOURCE_KEYS: Final = tuple(
    str(info.alias or name) for name, info in ResourcePolling.model_fields.items()
)
_DATES_KEYS: Final = tuple(
    str(info.alias or name) for name, info in DatesConfiguration.model_fields.items()
)

_CONFIG_PATH: Final = ("configuration",)
_POLLER_PATH: Final = ("configuration", "event.poller.configuration")


# ------------------------------------------------------------------------ JSON reading
class _Object(dict[str, Any]):
    """A parsed JSON object that remembers the keys it saw more than once."""

    duplicates: list[str]


def _object_hook(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    result.duplicates = []
    for key, value in pairs:
        if key in result and key not in result.duplicates:
            result.duplicates.append(key)
        result[key] = value
    return result


@dataclass
class _Frame:
    kind: str  # "{" or "["
    line: int
    col: int
    owner: str | None  # the key whose value this container is
    member_col: int | None = None


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _diagnose_unclosed(text: str) -> Problem | None:
    """Find a container left open, from a key that sits where its container cannot be.

    A key inside an array means a missing ``]``. A key on its own line, indented
    less than the members of its object and exactly like the members of the
    enclosing object, means the object was not closed before it.
    """
    stack: list[_Frame] = []
    last_key: str | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            end = index + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            token = text[index + 1 : end]
            after = end + 1
            while after < len(text) and text[after] in " \t\r\n":
                after += 1
            if after < len(text) and text[after] == ":" and stack:
                line, col = _position(text, index)
                first_on_line = not text[text.rfind("\n", 0, index) + 1 : index].strip()
                top = stack[-1]
                name = json.dumps(token)
                if top.kind == "[":
                    owner = f" {json.dumps(top.owner)}" if top.owner else ""
                    return Problem(
                        "",
                        f"missing ']' before {name}: the array{owner} opened at line {top.line}, "
                        f"col {top.col} is never closed",
                        line,
                        col,
                    )
                if first_on_line and top.member_col is None:
                    top.member_col = col
                elif (
                    first_on_line
                    and top.member_col is not None
                    and col < top.member_col
                    and len(stack) >= 2
                    and stack[-2].member_col == col
                ):
                    owner = f" {json.dumps(top.owner)}" if top.owner else ""
                    return Problem(
                        "",
                        f"missing '}}' before {name}: the object{owner} opened at line {top.line}, "
                        f"col {top.col} is never closed ({name} is indented as a key of the "
                        f"enclosing object; insert '}}' before it)",
                        line,
                        col,
                    )
                last_key = token
            index = end + 1
            continue
        if char in "{[":
            line, col = _position(text, index)
            stack.append(_Frame(char, line, col, last_key))
            last_key = None
        elif char in "}]":
            if not stack or {"{": "}", "[": "]"}[stack[-1].kind] != char:
                return None
            stack.pop()
        elif char == ",":
            last_key = None
        index += 1
    return None


def _syntax_problem(text: str, error: json.JSONDecodeError) -> Problem:
    if not text.strip():
        return Problem("", "the file is empty (expected a JSON object)", 1, 1)
    diagnosis = _diagnose_unclosed(text)
    if diagnosis is not None:
        return Problem(
            "",
            f"{diagnosis.message} (the JSON parser stops at line {error.lineno}, "
            f"col {error.colno}: {error.msg})",
            diagnosis.line,
            diagnosis.col,
        )
    message = f"invalid JSON: {error.msg}"
    if error.msg.endswith(" at"):
        # Python's messages ("Unterminated string starting at", "Invalid control
        # character at") end with the position, which ``msg`` leaves out.
        message += f" line {error.lineno}, col {error.colno}"
    if error.msg.startswith("Unterminated string") and '"' not in text[error.pos + 1 :]:
        message += " (the file ends inside it: is it cut off?)"
    elif not text[error.pos :].strip():
        message += " (the file ends there: is it cut off?)"
    before = text[: error.pos].rstrip()
    at = text[error.pos : error.pos + 1]
    if before.endswith(",") and at in ("}", "]"):
        message += f" (a trailing comma before '{at}': JSON allows none)"
    elif at == "'":
        message += " (JSON strings and keys use double quotes)"
    return Problem("", message, error.lineno, error.colno)


def parse_json(text: str) -> Any:
    """Parse configuration JSON; raises :class:`ConfigError` with a line/column problem."""
    try:
        return boundedjson.loads(text, object_pairs_hook=_object_hook)
    except boundedjson.JsonProblem as problem:
        if problem.syntax_error is not None:
            raise ConfigError([_syntax_problem(text, problem.syntax_error)]) from None
        raise ConfigError(
            [Problem("", f"invalid JSON: {problem.detail}", problem.line, problem.col)]
        ) from None


def _duplicates(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[Problem]:
    if isinstance(value, _Object):
        for key in value.duplicates:
            yield Problem(
                format_path((*path, key)), "the key appears more than once; the last value wins"
            )
        for key, item in value.items():
            yield from _duplicates(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _duplicates(item, (*path, position))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the file: {exc.strerror or exc}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _position(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise ConfigError([Problem("", "the file is not UTF-8 text", line, col)]) from None


def load_instance(source: str | Path | Mapping[str, Any]) -> InstanceConfig:
    """Load and validate an instance configuration.

    ``source`` is a parsed body (a mapping), a file path, or JSON text (a string
    starting with ``{``). Raises :class:`ConfigError` listing every problem.
    Reading a file blocks: from async code use :func:`aload_instance`.
    """
    if isinstance(source, Mapping):
        return InstanceConfig.from_data(source)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return load_instance_text(source)
    return load_instance_text(_read_text(Path(source)))


def load_instance_text(text: str) -> InstanceConfig:
    """Parse and validate configuration JSON text; raises :class:`ConfigError`."""
    data = parse_json(text)
    config = InstanceConfig.from_data(data)
    config.load_warnings.extend(_duplicates(data))
    return config


async def aload_instance(source: str | Path | Mapping[str, Any]) -> InstanceConfig:
    """:func:`load_instance` in a worker thread (file reading stays off the event loop)."""
    return await asyncio.to_thread(load_instance, source)


# ----------------------------------------------------------------------------- lint
def _closest(key: str, known: tuple[str, ...]) -> str | None:
    matches = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _unknown_keys(
    extra: Mapping[str, Any] | None,
    known: tuple[str, ...],
    path: tuple[str | int, ...],
    *,
    only_event: bool,
) -> Iterator[Problem]:
    for key in extra or {}:
        if key in _OTHER_EVENT_KEYS:
            if key == "event.poller.urls":
                yield Problem(
                    format_path((*path, key)),
                    "the legacy poller format is not read; use event.poller.configuration",
                )
            continue
        suggestion = _closest(key, known)
        if suggestion is not None:
            yield Problem(
                format_path((*path, key)), f"unknown key (kept); did you mean {suggestion!r}?"
            )
        elif not only_event or key.startswith("event."):
            yield Problem(format_path((*path, key)), "unknown key (kept, not used)")


def _lint_format(
    path: tuple[str | int, ...], which: str, field: str, date_format: str, zone: str
) -> Iterator[Problem]:
    where = format_path((*path, f"{which}DateFormat"))
    if date_format == MILLISECONDS:
        if field in WOOCOMMERCE_DATE_FIELDS:
            yield Problem(
                where,
                f"WooCommerce's {field} holds text such as {WOOCOMMERCE_SAMPLE_DATE}, "
                "not epoch milliseconds",
            )
        return
    codec = DateCodec(date_format, java_timezone(zone))
    expected = _SAMPLE_WALL_TIME.replace(tzinfo=java_timezone(zone).tz)
    try:
        parsed = codec.parse(WOOCOMMERCE_SAMPLE_DATE)
    except DateParseError:
        yield Problem(
            where,
            f"{date_format!r} cannot parse WooCommerce's dates such as {WOOCOMMERCE_SAMPLE_DATE} "
            "(they carry no zone or fraction); use yyyy-MM-dd'T'HH:mm:ss",
        )
        return
    if parsed != expected:
        yield Problem(
            where,
            f"{date_format!r} reads WooCommerce's {WOOCOMMERCE_SAMPLE_DATE} as "
            f"{parsed.isoformat()}, not {expected.isoformat()}; use yyyy-MM-dd'T'HH:mm:ss",
        )


def _is_utc(zone: JavaZone) -> bool:
    return all(zone.offset_at(instant) == timedelta(0) for instant in _WINTER_AND_SUMMER)


def _lint_dates(path: tuple[str | int, ...], resource: ResourcePolling) -> Iterator[Problem]:
    dates = resource.dates
    dates_path = (*path, "datesConfiguration")
    if not dates.model_fields_set:
        defaults = ", ".join(f"{key} {value}" for key, value in DEFAULT_DATE_FIELDS.items())
        state = "empty" if "dates" in resource.model_fields_set else "not given"
        yield Problem(format_path(dates_path), f"{state}: the element defaults apply ({defaults})")
    yield from _unknown_keys(dates.model_extra, _DATES_KEYS, dates_path, only_event=False)
    for which, field, date_format, zone in (
        ("updated", dates.updated_field, dates.updated_format, dates.updated_timezone),
        ("created", dates.created_field, dates.created_format, dates.created_timezone),
    ):
        zone_path = format_path((*dates_path, f"{which}DateTimezone"))
        resolved = java_timezone(zone)
        if not resolved.known:
            yield Problem(zone_path, f"unknown time zone id {zone!r}: Java reads it as GMT")
        if field in ("date_modified", "date_created") and _is_utc(resolved):
            yield Problem(
                format_path((*dates_path, f"{which}DateField")),
                f"{field} with time zone {zone} is right only for a store in UTC "
                f"(WooCommerce writes {field} in the site's time zone); "
                f"use {field}_gmt with GMT",
            )
        if field not in WOOCOMMERCE_DATE_FIELDS:
            known = ", ".join(sorted(WOOCOMMERCE_DATE_FIELDS))
            yield Problem(
                format_path((*dates_path, f"{which}DateField")),
                f"WooCommerce records have no date field {field!r} (they have {known})",
            )
        yield from _lint_format(dates_path, which, field, date_format, zone)


def _lint_resource(name: str, resource: ResourcePolling) -> Iterator[Problem]:
    path = (*_POLLER_PATH, name)
    target = resource.target
    yield from _unknown_keys(resource.model_extra, _RESOURCE_KEYS, path, only_event=False)
    if not target.supported:
        yield Problem(format_path((*path, "url")), target.note)
    if name != target.hub_resource:
        yield Problem(
            format_path(path),
            f"the key {name!r} polls {target.hub_resource}: events will carry objectType {name!r}",
        )
    if target.endpoint == "customers" and "where" in target.query.lower():
        yield Problem(
            format_path((*path, "url")),
            "WooCommerce ignores date filters on customers: the where clause selects nothing; "
            "leave it out and let filterByUpdatedDate filter",
        )
    for placeholder in find_placeholders(resource.url):
        if placeholder.zone is not None and not java_timezone(placeholder.zone).known:
            yield Problem(
                format_path((*path, "url")),
                f"{placeholder.text}: unknown time zone id {placeholder.zone!r}: "
                "Java reads it as GMT",
            )
    yield from _lint_dates(path, resource)


def warnings_for(config: InstanceConfig) -> list[Problem]:
    """What is valid but probably wrong in ``config`` (the poller logs these too)."""
    conf = config.configuration
    warnings: list[Problem] = list(config.load_warnings)
    known = (*KNOWN_CONFIGURATION_KEYS, *_OTHER_EVENT_KEYS)
    warnings.extend(_unknown_keys(conf.model_extra, known, _CONFIG_PATH, only_event=True))
    if not conf.events_enabled:
        warnings.append(
            Problem(
                format_path((*_CONFIG_PATH, "event.notification.enabled")),
                "events are not enabled (false or missing): Cloud Elements sends nothing for "
                "this instance, and woosim relay neither polls nor registers webhooks for it "
                '(set "event.notification.enabled": true)',
            )
        )
    if conf.refresh_interval > UI_MAX_REFRESH_MINUTES:
        warnings.append(
            Problem(
                format_path((*_CONFIG_PATH, "event.poller.refresh_interval")),
                f"{conf.refresh_interval} minutes is beyond the Cloud Elements UI's slider "
                f"({UI_MAX_REFRESH_MINUTES} minutes, a day); the API accepts it",
            )
        )
    if "vendor_type" not in conf.model_fields_set:
        warnings.append(
            Problem(
                format_path((*_CONFIG_PATH, "event.vendor.type")),
                'not given: the element default "polling" applies',
            )
        )
    if conf.callback_url is not None and conf.callback_url.rstrip("/") == conf.store_url.rstrip(
        "/"
    ):
        warnings.append(
            Problem(
                format_path((*_CONFIG_PATH, "event.notification.callback.url")),
                "is the store's own URL: events go to your application, not to the store",
            )
        )
    if conf.vendor_type == "webhook":
        if conf.poller:
            warnings.append(
                Problem(
                    format_path(_POLLER_PATH),
                    "ignored: the vendor type is webhook, nothing is polled",
                )
            )
        return warnings
    if conf.poller is None:
        names = ", ".join(conf.resources)
        warnings.append(
            Problem(format_path(_POLLER_PATH), f"not given: the element defaults poll {names}")
        )
    elif not conf.poller:
        warnings.append(
            Problem(format_path(_POLLER_PATH), "empty: polling is on but nothing is polled")
        )
    for name, resource in conf.resources.items():
        warnings.extend(_lint_resource(name, resource))
    return warnings
