"""What one poll did: per resource (window, events, requests, errors) and per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ResourceReport:
    """One resource's part of a poll: its window, what it read and emitted, or its error."""

    resource: str
    window_lower: datetime | None
    window_upper: datetime
    events: int = 0
    deleted: int = 0
    notifications: int = 0
    requests: int = 0
    records_read: int = 0
    duplicates: int = 0
    unreadable_dates: int = 0
    error: str | None = None
    #: Another worker on the shared database holds this resource's poll lease.
    held_elsewhere: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class PollReport:
    """One poll of every configured resource."""

    started: datetime
    resources: list[ResourceReport] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.resources)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.resources)


__all__ = ["PollReport", "ResourceReport"]
