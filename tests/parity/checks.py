"""Turn what a store did into countable checks: ``{check id: normalised value}``.

A check id is ``area | step | aspect``; the area groups checks for the per-area
figures, the step names one call of the scenario, the aspect one thing about it:
``status``, ``code``, ``header link``, ``keys $.billing`` (key order of an object),
``value $.line_items[].price`` (normalised value; JSON keeps ``25`` and ``"25"`` and
``25.0`` apart, so this is the type check too), ``len $.meta_data``, ``date
$.date_created`` (local vs GMT rule). Array elements share one path (``[]``); when
they disagree the check holds the sorted distinct values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .normalise import (
    DELIVERY_HEADERS,
    ID_META_KEYS,
    RANDOM_LISTS,
    RESPONSE_HEADERS,
    Symbols,
    date_rule,
    header_shape,
    normalise_value,
    signature_state,
)

SEP = " | "


def area_of(check_id: str) -> str:
    return check_id.split(SEP, 1)[0]


@dataclass
class Response:
    """One HTTP answer, as any backend returns it."""

    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Delivery:
    """One request a store sent to the webhook receiver."""

    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Recorder:
    symbols: Symbols = field(default_factory=Symbols)
    checks: dict[str, Any] = field(default_factory=dict)
    #: Steps the backend could not run (live mode without a read-only key, ...).
    skipped: list[str] = field(default_factory=list)

    def add(self, area: str, step: str, aspect: str, value: Any) -> None:
        check_id = SEP.join((area, step, aspect))
        if check_id in self.checks:
            raise ValueError(f"duplicate check {check_id!r}: name the step uniquely")
        self.checks[check_id] = value

    # ------------------------------------------------------------------ responses
    def response(
        self, area: str, step: str, response: Response, *, kind: str | None, depth: int = 99
    ) -> None:
        self.add(area, step, "status", response.status)
        for name in RESPONSE_HEADERS:
            value = response.headers.get(name)
            self.add(
                area,
                step,
                f"header {name}",
                None if value is None else header_shape(name, value, self.symbols),
            )
        body = response.json()
        if response.body and body is None:
            self.add(area, step, "body", "<not json>")
            return
        if isinstance(body, dict) and response.status >= 400:
            self.add(area, step, "code", body.get("code"))
        if isinstance(body, list):
            # Order of a list answer: by symbolic id (ids of records the scenario made).
            self.add(
                area,
                step,
                "ids",
                [
                    normalise_value(item.get("id"), self.symbols, "id", kind)
                    for item in body
                    if isinstance(item, dict)
                ],
            )
        self.body(area, step, body, kind=kind, depth=depth)

    def body(self, area: str, step: str, body: Any, *, kind: str | None, depth: int = 99) -> None:
        collected: dict[str, list[Any]] = {}
        _walk(body, "$", collected, self.symbols, kind, depth)
        for aspect, values in collected.items():
            distinct: list[Any] = []
            for value in values:
                if value not in distinct:
                    distinct.append(value)
            if len(distinct) == 1:
                self.add(area, step, aspect, distinct[0])
            else:
                self.add(area, step, aspect, sorted(distinct, key=_sort_key))

    # ------------------------------------------------------------------ deliveries
    def deliveries(
        self, area: str, step: str, deliveries: list[Delivery], secrets: Mapping[int, str]
    ) -> None:
        """Deliveries of one queue run: which went out, then each one's headers and body.

        Deliveries are keyed by (topic, resource) and sorted, because two stores run
        their queue in their own order; the count per key shows coalescing.
        """
        keyed: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            keyed.setdefault(self._delivery_key(delivery), []).append(delivery)
        self.add(area, step, "deliveries", sorted(f"{k} x{len(v)}" for k, v in keyed.items()))
        for key in sorted(keyed):
            for n, delivery in enumerate(keyed[key]):
                label = f"{step} {key}#{n}"
                for name in DELIVERY_HEADERS:
                    value = delivery.headers.get(name)
                    self.add(
                        area,
                        label,
                        f"header {name}",
                        None if value is None else header_shape(name, value, self.symbols),
                    )
                webhook = delivery.headers.get("x-wc-webhook-id", "")
                secret = secrets.get(int(webhook)) if webhook.isdigit() else None
                self.add(
                    area,
                    label,
                    "signature",
                    signature_state(delivery.headers, delivery.body, secret),
                )
                payload = _parse(delivery)
                if isinstance(payload, dict):
                    resource = delivery.headers.get("x-wc-webhook-resource", "")
                    self.body(area, label, payload, kind=resource + "s" if resource else None)
                else:
                    self.add(area, label, "body", normalise_value(payload, self.symbols))

    def _delivery_key(self, delivery: Delivery) -> str:
        topic = delivery.headers.get("x-wc-webhook-topic")
        if topic is None:
            # A ping: form body webhook_id=N, no X-WC headers.
            form = delivery.body.decode("utf-8", "replace")
            ident = form.removeprefix("webhook_id=")
            name = self.symbols.lookup("webhooks", int(ident)) if ident.isdigit() else form
            return f"ping {name}"
        resource = delivery.headers.get("x-wc-webhook-resource", "")
        payload = _parse(delivery)
        record_id = payload.get("id") if isinstance(payload, dict) else None
        who = self.symbols.lookup(resource + "s", record_id) if isinstance(record_id, int) else "?"
        webhook = delivery.headers.get("x-wc-webhook-id", "")
        hook = self.symbols.lookup("webhooks", int(webhook)) if webhook.isdigit() else webhook
        return f"{topic} {who} via {hook}"


def _parse(delivery: Delivery) -> Any:
    if delivery.headers.get("content-type", "").startswith("application/json"):
        try:
            return json.loads(delivery.body)
        except ValueError:
            return "<not json>"
    return delivery.body.decode("utf-8", "replace")


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _walk(
    value: Any,
    path: str,
    out: dict[str, list[Any]],
    symbols: Symbols,
    kind: str | None,
    depth: int,
    key: str = "",
) -> None:
    if isinstance(value, dict):
        out.setdefault(f"keys {path}", []).append(list(value))
        if value.get("key") in ID_META_KEYS:
            value = {
                k: "<item id>" if k in ("value", "display_value") else v for k, v in value.items()
            }
        if depth <= 0:
            return
        for name, item in value.items():
            # Nested objects: ``id`` inside is not the resource's (line items, meta rows).
            child_kind = kind if path in ("$", "$[]") else None
            if name.endswith("_gmt") and isinstance(item, str | None) and name[:-4] in value:
                out.setdefault(f"date {path}.{name[:-4]}", []).append(
                    date_rule(value[name[:-4]], item)
                )
            _walk(item, f"{path}.{name}", out, symbols, child_kind, depth - 1, name)
        return
    if key in RANDOM_LISTS and isinstance(value, list):
        out.setdefault(f"value {path}", []).append(RANDOM_LISTS[key](value))
        return
    if isinstance(value, list):
        out.setdefault(f"len {path}", []).append(len(value))
        if depth <= 0:
            return
        for item in value:
            _walk(item, f"{path}[]", out, symbols, kind, depth - 1, key)
        return
    out.setdefault(f"value {path}", []).append(normalise_value(value, symbols, key, kind))
