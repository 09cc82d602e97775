"""A configured date field read in the wrong time zone, caught on the first record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_woosim.poller.plan import DateField, ResourcePlan
from pytest_woosim.poller.scan import DateUnreadable, parse_wc_gmt, read_path


def zone_mismatch(
    resource: str, role: str, date_field: DateField, record: Mapping[str, Any]
) -> str | None:
    """Why ``record``'s configured date is read in the wrong zone, or None when it is not.

    WooCommerce gives every date twice, site-local and ``_gmt``: comparing the
    configured field, read as configured, with the UTC twin shows a zone mistake
    on the first record instead of as events dated hours off.
    """
    path = date_field.path
    key = "updatedDate" if role == "updated" else "createdDate"
    if path.endswith("_gmt"):
        truth = parse_wc_gmt(read_path(record, path))
        twin = None
    else:
        truth = parse_wc_gmt(read_path(record, path + "_gmt"))
        twin = path + "_gmt"
    if truth is None:
        return None
    try:
        configured = date_field.read(record)
    except DateUnreadable:
        return None
    offset = (configured - truth).total_seconds()
    if abs(offset) < 1:
        return None
    hours = offset / 3600
    if twin is not None:
        return (
            f"{resource}: datesConfiguration.{key}Field is {path!r} read in "
            f"{date_field.timezone}, but {path} differs from {twin} by {hours:+g} h on record "
            f"{read_path(record, 'id')} (the store is not on {date_field.timezone}): events are "
            f"dated {abs(hours):g} h off and changes can be missed; use {twin}"
        )
    return (
        f"{resource}: datesConfiguration.{key}Field is {path!r} (UTC) but "
        f"{key}Timezone is {date_field.timezone}: dates are read {abs(hours):g} h off; "
        f"set {key}Timezone to GMT"
    )


class ZoneWarnings:
    """The zone mismatches of a poller's resources, each told once per resource and role."""

    def __init__(self) -> None:
        self._told: set[tuple[str, str]] = set()

    def new(self, plan: ResourcePlan, record: Mapping[str, Any]) -> list[str]:
        """What ``record`` shows wrong in ``plan``'s updated and created fields, unless told.

        The trap of the published example: ``date_modified`` read as GMT is right
        only for a store in UTC. WooCommerce sends the true UTC instant next to
        it (``date_modified_gmt``), so compare the two.
        """
        messages: list[str] = []
        for role, date_field in (("updated", plan.updated), ("created", plan.created)):
            if (plan.resource, role) in self._told:
                continue
            message = zone_mismatch(plan.resource, role, date_field, record)
            if message is not None:
                self._told.add((plan.resource, role))
                messages.append(message)
        return messages


__all__ = ["ZoneWarnings", "zone_mismatch"]
