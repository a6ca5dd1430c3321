"""What the overview is made of: its lines, its figures, and their JSON shape."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

from omtui.core import runs as runs_mod
from omtui.core.dates import to_iso
from omtui.core.db import Database


class Urgency(IntEnum):
    """Lower is more urgent; items sort by urgency, then by when."""

    NOW = 0
    SOON = 1
    LATER = 2


class Kind(StrEnum):
    GAP = "gap"
    DROP = "drop"
    FULL = "full"
    PROMOTED = "promoted"
    UNREADY = "unready"
    SEND = "send"
    AUTOMATION = "automation"
    NOTICES = "notices"


@dataclass(frozen=True)
class Target:
    """The place that resolves an item: a tab and the row to select there."""

    tab: str
    event_id: int | None = None
    shift_id: int | None = None
    newsletter_id: int | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class Item:
    """One line of "what needs you"."""

    kind: str
    urgency: Urgency
    text: str
    target: Target | None
    when: datetime | None = None
    action: str = ""
    """An obvious action Enter may offer (with a confirmation), e.g. "confirm_event"."""

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "urgency": self.urgency.name.lower(),
            "text": self.text,
            "when": to_iso(self.when) if self.when else None,
            "action": self.action,
            "target": asdict(self.target) if self.target else None,
        }


Source = Callable[[Database, datetime, ZoneInfo], Iterable[Item]]
"""A provider of "needs you" items: a function of (db, now, tz)."""


@dataclass(frozen=True)
class JobStatus:
    """The last run of one cron job (None: it never ran)."""

    kind: str
    last: runs_mod.Run | None
    stale: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "last": self.last.as_dict() if self.last else None,
            "stale": self.stale,
        }


@dataclass(frozen=True)
class MemberFigures:
    total: int
    joined_this_month: int
    unsubscribed_this_month: int
    joined_by_month: tuple[tuple[str, int], ...]
    """(YYYY-MM, members who joined that month), oldest first, the current month last."""

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "joined_this_month": self.joined_this_month,
            "unsubscribed_this_month": self.unsubscribed_this_month,
            "joined_by_month": [{"month": m, "joined": n} for m, n in self.joined_by_month],
        }


@dataclass(frozen=True)
class NextEvent:
    id: int
    title: str
    kind: str
    city: str
    starts_at: datetime
    registered: int
    capacity: int | None
    waiting: int

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "starts_at": to_iso(self.starts_at)}


@dataclass(frozen=True)
class LastNewsletter:
    id: int
    subject: str
    sent_at: datetime
    sent: int
    failed: int
    unsubscribed_after: int
    """Members who unsubscribed in the 7 days after it was sent."""

    def as_dict(self) -> dict[str, object]:
        fields = {**asdict(self), "sent_at": to_iso(self.sent_at)}
        fields["unsubscribed_within_7_days"] = fields.pop("unsubscribed_after")
        return fields


@dataclass(frozen=True)
class Attendance:
    kind: str
    events: int
    registered: int
    checked_in: int

    @property
    def rate(self) -> float | None:
        return self.checked_in / self.registered if self.registered else None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "rate": self.rate}


@dataclass(frozen=True)
class CityIdea:
    city: str
    members: int


@dataclass(frozen=True)
class Overview:
    now: datetime
    items: tuple[Item, ...]
    jobs: tuple[JobStatus, ...]
    members: MemberFigures
    next_events: tuple[NextEvent, ...]
    last_newsletter: LastNewsletter | None
    attendance: tuple[Attendance, ...]
    lunch_cities: tuple[CityIdea, ...]

    def as_dict(self) -> dict[str, object]:
        """What `omtui today --json` prints."""
        letter = self.last_newsletter
        return {
            "now": to_iso(self.now),
            "needs_you": [i.as_dict() for i in self.items],
            "automation": [j.as_dict() for j in self.jobs],
            "members": self.members.as_dict(),
            "next_events": [e.as_dict() for e in self.next_events],
            "last_newsletter": letter.as_dict() if letter else None,
            "attendance": [a.as_dict() for a in self.attendance],
            "lunch_cities": [asdict(c) for c in self.lunch_cities],
        }
