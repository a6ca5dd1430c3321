"""The volunteer rota: shifts on events, assignments, clash detection and coverage.

Times are stored as UTC ISO 8601 strings of one shape (`dates.to_iso`), so SQL string
comparison orders them correctly. Two periods clash when each starts before the other
ends: back-to-back shifts (one ends at 12:00, the next starts at 12:00) do not clash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from omtui.core.dates import format_span, from_iso, to_iso
from omtui.core.db import Database
from omtui.core.members import email_key
from omtui.core.text import clean_text
from omtui.errors import NotFound, UnusableInput, ValidationError
from omtui.i18n import _, ngettext

VOLUNTEER_TAG = "volunteer"
DROP_NOTICE = timedelta(hours=48)
"""Dropping a shift closer than this to its start needs a reason the organiser sees."""
MAX_SHIFT = timedelta(hours=24)
ROLES = ("welcome desk", "set-up", "host", "speaker liaison", "tear-down", "cloakroom")
"""Suggested roles; any non-empty role is accepted."""

_VOLUNTEER_SQL = "(',' || m.tags || ',') LIKE '%,volunteer,%' AND m.archived_at IS NULL"


@dataclass(frozen=True)
class Shift:
    """A shift with its event and how many volunteers hold it now."""

    id: int
    event_id: int
    event_title: str
    role: str
    starts_at: datetime
    ends_at: datetime
    needed: int
    notes: str
    filled: int
    event_status: str = "planned"

    @property
    def missing(self) -> int:
        return max(self.needed - self.filled, 0)

    def when(self, tz: ZoneInfo) -> str:
        """ "jeu. 3 déc., 09:00–12:00" in the club's timezone."""
        return format_span(self.starts_at, self.ends_at, tz)

    def label(self, tz: ZoneInfo) -> str:
        """ "welcome desk at Summit Paris (Thu 3 Dec, 09:00–12:00)"."""
        return _("{role} at {event} ({when})").format(
            role=self.role, event=self.event_title, when=self.when(tz)
        )

    @classmethod
    def from_row(cls, row: dict) -> Shift:
        return cls(
            id=row["id"],
            event_id=row["event_id"],
            event_title=row["event_title"],
            role=row["role"],
            starts_at=from_iso(row["starts_at"]),
            ends_at=from_iso(row["ends_at"]),
            needed=row["needed"],
            notes=row["notes"],
            filled=row["filled"],
            event_status=row["event_status"],
        )


@dataclass(frozen=True)
class Assignment:
    """A volunteer on a shift (active while `dropped_at` is None)."""

    id: int
    shift_id: int
    member_id: int
    first_name: str
    last_name: str
    email: str
    assigned_at: datetime
    assigned_by: str
    dropped_at: datetime | None
    drop_reason: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email

    @classmethod
    def from_row(cls, row: dict) -> Assignment:
        return cls(
            id=row["id"],
            shift_id=row["shift_id"],
            member_id=row["member_id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            email=row["email"],
            assigned_at=from_iso(row["assigned_at"]),
            assigned_by=row["assigned_by"],
            dropped_at=from_iso(row["dropped_at"]) if row["dropped_at"] else None,
            drop_reason=row["drop_reason"],
        )


@dataclass(frozen=True)
class Volunteer:
    id: int
    first_name: str
    last_name: str
    email: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


class Take(StrEnum):
    TAKEN = "taken"
    FULL = "full"
    CLASH = "clash"
    ENDED = "ended"
    STARTED = "started"
    NOT_VOLUNTEER = "not_volunteer"
    ALREADY_YOURS = "already_yours"
    CANCELLED = "cancelled"


class Drop(StrEnum):
    DROPPED = "dropped"
    TOO_LATE = "too_late"
    REASON_REQUIRED = "reason_required"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class TakeResult:
    """The answer to one attempt at taking (or assigning) a shift."""

    outcome: Take
    message: str
    shift: Shift
    clash: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Take.TAKEN


@dataclass(frozen=True)
class DropResult:
    """The answer to one attempt at dropping a shift."""

    outcome: Drop
    message: str
    shift: Shift

    @property
    def ok(self) -> bool:
        return self.outcome is Drop.DROPPED


# -- reads -------------------------------------------------------------------------------
_SHIFT_SQL = """
    SELECT s.*, e.title AS event_title, e.status AS event_status,
        (SELECT count(*) FROM shift_assignments a
          WHERE a.shift_id = s.id AND a.dropped_at IS NULL) AS filled
    FROM shifts s JOIN events e ON e.id = s.event_id
"""
_ASSIGNMENT_SQL = """
    SELECT a.*, m.first_name, m.last_name, m.email
    FROM shift_assignments a JOIN members m ON m.id = a.member_id
"""


def get_shift(db: Database, shift_id: int) -> Shift:
    row = db.query_one(_SHIFT_SQL + " WHERE s.id = ?", (shift_id,))
    if row is None:
        raise NotFound(_("no shift with id {id}").format(id=shift_id))
    return Shift.from_row(row)


def list_shifts(
    db: Database,
    *,
    event_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    member_id: int | None = None,
) -> list[Shift]:
    """Shifts in start order; `since` keeps those not yet ended, `until` those starting before."""
    clauses: list[str] = []
    params: list[object] = []
    if event_id is not None:
        clauses.append("s.event_id = ?")
        params.append(event_id)
    if since is not None:
        clauses.append("s.ends_at > ?")
        params.append(to_iso(since))
    if until is not None:
        clauses.append("s.starts_at < ?")
        params.append(to_iso(until))
    if member_id is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM shift_assignments a WHERE a.shift_id = s.id"
            " AND a.member_id = ? AND a.dropped_at IS NULL)"
        )
        params.append(member_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = db.query(_SHIFT_SQL + where + " ORDER BY s.starts_at, s.id", tuple(params))
    return [Shift.from_row(r) for r in rows]


def assignments(
    db: Database, shift_ids: list[int] | None = None, *, dropped: bool = False
) -> dict[int, list[Assignment]]:
    """Active (or, with `dropped`, dropped) assignments grouped by shift id."""
    sql = _ASSIGNMENT_SQL + (
        " WHERE a.dropped_at IS NOT NULL" if dropped else " WHERE a.dropped_at IS NULL"
    )
    params: tuple = ()
    if shift_ids is not None:
        if not shift_ids:
            return {}
        sql += f" AND a.shift_id IN ({','.join('?' * len(shift_ids))})"
        params = tuple(shift_ids)
    out: dict[int, list[Assignment]] = {}
    for row in db.query(sql + " ORDER BY a.assigned_at, a.id", params):
        out.setdefault(row["shift_id"], []).append(Assignment.from_row(row))
    return out


def volunteers(db: Database) -> list[Volunteer]:
    """Members tagged volunteer (not archived), by name."""
    rows = db.query(
        f"SELECT id, first_name, last_name, email FROM members m WHERE {_VOLUNTEER_SQL}"
        " ORDER BY name_key, id"  # French alphabetical order (members.SORT_KEYS)
    )
    return [Volunteer(**r) for r in rows]


def find_volunteer(db: Database, email: str) -> Volunteer | None:
    """The volunteer with this email, or None when unknown or not tagged volunteer."""
    row = db.query_one(
        "SELECT id, first_name, last_name, email FROM members m"
        f" WHERE m.email_key = ? AND {_VOLUNTEER_SQL} ORDER BY m.id LIMIT 1",
        (email_key(email),),
    )
    return Volunteer(**row) if row else None


def require_volunteer(db: Database, email: str) -> Volunteer:
    """The volunteer with this email, or UnusableInput saying why not (one line)."""
    volunteer = find_volunteer(db, email)
    if volunteer is not None:
        return volunteer
    known = db.scalar(
        "SELECT 1 FROM members WHERE email_key = ? AND archived_at IS NULL",
        (email_key(email),),
    )
    if known:
        raise UnusableInput(
            _("{email} is not a volunteer; ask the organiser to tag them volunteer").format(
                email=email.strip()
            )
        )
    raise UnusableInput(_("no member with the email {email}").format(email=email.strip()))


def is_volunteer(db: Database, member_id: int) -> bool:
    return bool(
        db.scalar(f"SELECT 1 FROM members m WHERE m.id = ? AND {_VOLUNTEER_SQL}", (member_id,))
    )


def my_shifts(db: Database, member_id: int, *, now: datetime) -> list[Shift]:
    """The volunteer's shifts that have not ended yet."""
    return list_shifts(db, since=now, member_id=member_id)


def open_shifts(db: Database, member_id: int, *, now: datetime) -> list[Shift]:
    """Shifts not started yet, with a free place, that the volunteer does not hold."""
    rows = db.query(
        _SHIFT_SQL
        + """ WHERE s.starts_at > ? AND e.status != 'cancelled'
          AND NOT EXISTS (SELECT 1 FROM shift_assignments a WHERE a.shift_id = s.id
                          AND a.member_id = ? AND a.dropped_at IS NULL)
        ORDER BY s.starts_at, s.id""",
        (to_iso(now), member_id),
    )
    return [s for s in map(Shift.from_row, rows) if s.missing > 0]


def find_clash(db: Database, shift: Shift, member_id: int, tz: ZoneInfo) -> str | None:
    """Describe what `shift` would clash with for this member, or None.

    A clash is another active shift of theirs, or an event they are registered for
    (other than the shift's own event), overlapping the shift's time.
    """
    start, end = to_iso(shift.starts_at), to_iso(shift.ends_at)
    other = db.query_one(
        _SHIFT_SQL
        + """ JOIN shift_assignments a ON a.shift_id = s.id
        WHERE a.member_id = ? AND a.dropped_at IS NULL AND s.id != ?
          AND s.starts_at < ? AND s.ends_at > ?
        ORDER BY s.starts_at LIMIT 1""",
        (member_id, shift.id, end, start),
    )
    if other is not None:
        return _("your shift {shift}").format(shift=Shift.from_row(other).label(tz))
    event = db.query_one(
        """SELECT e.title, e.starts_at, e.ends_at FROM registrations r
        JOIN events e ON e.id = r.event_id
        WHERE r.member_id = ? AND r.status = 'registered' AND e.status != 'cancelled'
          AND e.id != ? AND e.starts_at < ? AND e.ends_at > ?
        ORDER BY e.starts_at LIMIT 1""",
        (member_id, shift.event_id, end, start),
    )
    if event is not None:
        s, e = from_iso(event["starts_at"]), from_iso(event["ends_at"])
        when = format_span(s, e, tz)
        return _("the event {title} ({when}) you are registered for").format(
            title=event["title"], when=when
        )
    return None


# -- writes: shifts ----------------------------------------------------------------------
def _clean_shift(
    role: str, starts_at: datetime, ends_at: datetime, needed: int, notes: str
) -> tuple[str, str, str, int, str]:
    role = " ".join(clean_text(role).split())  # no control characters, NFC
    if not role:
        raise ValidationError(_("a shift needs a role, e.g. welcome desk"), field="role")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationError(_("shift times need a timezone"), field="starts_at")
    if ends_at <= starts_at:
        raise ValidationError(_("a shift must end after it starts"), field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError(_("a shift lasts at most 24 hours; split it"), field="ends_at")
    try:
        needed = int(needed)
    except (TypeError, ValueError):
        raise ValidationError(
            _("volunteers needed must be a whole number, e.g. 2"), field="needed"
        ) from None
    if needed < 1:
        raise ValidationError(_("a shift needs at least 1 volunteer"), field="needed")
    return role, to_iso(starts_at), to_iso(ends_at), needed, clean_text(notes).strip()


def create_shift(
    db: Database,
    event_id: int,
    *,
    role: str,
    starts_at: datetime,
    ends_at: datetime,
    needed: int = 1,
    notes: str = "",
) -> Shift:
    """Add a shift to an event."""
    values = _clean_shift(role, starts_at, ends_at, needed, notes)
    with db.transaction() as conn:
        if not db.scalar("SELECT 1 FROM events WHERE id = ?", (event_id,)):
            raise NotFound(_("no event with id {id}").format(id=event_id))
        cursor = conn.execute(
            "INSERT INTO shifts (event_id, role, starts_at, ends_at, needed, notes)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, *values),
        )
    assert cursor.lastrowid is not None  # set by every INSERT
    return get_shift(db, cursor.lastrowid)


def update_shift(
    db: Database,
    shift_id: int,
    *,
    role: str,
    starts_at: datetime,
    ends_at: datetime,
    needed: int,
    notes: str = "",
) -> Shift:
    """Change a shift. Fewer places than volunteers already on it is refused."""
    values = _clean_shift(role, starts_at, ends_at, needed, notes)
    with db.transaction() as conn:
        shift = get_shift(db, shift_id)
        if values[3] < shift.filled:
            raise ValidationError(
                ngettext(
                    "{filled} volunteer already holds this shift: unassign them first",
                    "{filled} volunteers already hold this shift: unassign some first",
                    shift.filled,
                ).format(filled=shift.filled),
                field="needed",
            )
        conn.execute(
            "UPDATE shifts SET role = ?, starts_at = ?, ends_at = ?, needed = ?, notes = ?"
            " WHERE id = ?",
            (*values, shift_id),
        )
    return get_shift(db, shift_id)


def delete_shift(db: Database, shift_id: int) -> Shift:
    """Delete a shift and its assignments; return what was deleted."""
    with db.transaction() as conn:
        shift = get_shift(db, shift_id)
        conn.execute("DELETE FROM shifts WHERE id = ?", (shift_id,))
    return shift


# -- writes: taking and dropping ------------------------------------------------------------
def take_shift(
    db: Database,
    shift_id: int,
    member_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    by: str = "volunteer",
) -> TakeResult:
    """A volunteer takes a place (or the organiser assigns one, `by="organiser"`).

    All checks and the insert run in one BEGIN IMMEDIATE transaction, so two people
    taking the last place at the same moment cannot both get it. The organiser may
    assign a shift that has started but not ended; a volunteer may not take it.
    """
    with db.transaction() as conn:
        shift = get_shift(db, shift_id)

        def result(outcome: Take, message: str, clash: str = "") -> TakeResult:
            return TakeResult(outcome, message, shift, clash)

        if not is_volunteer(db, member_id):
            return result(
                Take.NOT_VOLUNTEER,
                _("only members tagged volunteer can take shifts; tag them volunteer first"),
            )
        mine = db.scalar(
            "SELECT 1 FROM shift_assignments WHERE shift_id = ? AND member_id = ?"
            " AND dropped_at IS NULL",
            (shift_id, member_id),
        )
        if mine:
            return result(
                Take.ALREADY_YOURS, _("already yours: {shift}").format(shift=shift.label(tz))
            )
        if shift.event_status == "cancelled":
            return result(
                Take.CANCELLED,
                _("{event} is cancelled: its shifts cannot be taken").format(
                    event=shift.event_title
                ),
            )
        if shift.ends_at <= now:
            return result(
                Take.ENDED, _("this shift has already ended: {shift}").format(shift=shift.label(tz))
            )
        if shift.starts_at <= now and by != "organiser":
            return result(
                Take.STARTED,
                _("this shift has already started: {shift}").format(shift=shift.label(tz)),
            )
        if shift.missing == 0:
            return result(
                Take.FULL,
                ngettext(
                    "full: the only place is taken on {shift}",
                    "full: all {needed} places are taken on {shift}",
                    shift.needed,
                ).format(needed=shift.needed, shift=shift.label(tz)),
            )
        clash = find_clash(db, shift, member_id, tz)
        if clash:
            return result(
                Take.CLASH,
                _("refused: {shift} clashes with {clash}").format(
                    shift=shift.label(tz), clash=clash
                ),
                clash,
            )
        conn.execute(
            "INSERT INTO shift_assignments (shift_id, member_id, assigned_at, assigned_by)"
            " VALUES (?, ?, ?, ?)",
            (shift_id, member_id, to_iso(now), by),
        )
        shift = get_shift(db, shift_id)
        return result(Take.TAKEN, _("taken: {shift}").format(shift=shift.label(tz)))


def needs_reason(shift: Shift, now: datetime) -> bool:
    """Dropping this shift now needs a reason (it starts within 48 hours)."""
    return shift.starts_at - now < DROP_NOTICE


def drop_shift(
    db: Database,
    shift_id: int,
    member_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    reason: str = "",
) -> DropResult:
    """A volunteer gives a shift back; under 48 h before the start a reason is required."""
    reason = " ".join(clean_text(reason).split())
    with db.transaction() as conn:
        shift = get_shift(db, shift_id)
        row = db.query_one(
            "SELECT id FROM shift_assignments WHERE shift_id = ? AND member_id = ?"
            " AND dropped_at IS NULL",
            (shift_id, member_id),
        )
        if row is None:
            return DropResult(
                Drop.NOT_YOURS,
                _("you are not on this shift: {shift}").format(shift=shift.label(tz)),
                shift,
            )
        if shift.starts_at <= now:
            return DropResult(
                Drop.TOO_LATE,
                _("too late to drop: {shift} has started; call the organiser").format(
                    shift=shift.label(tz)
                ),
                shift,
            )
        if needs_reason(shift, now) and not reason:
            return DropResult(
                Drop.REASON_REQUIRED,
                _("{shift} starts in less than 48 hours: give a reason to drop it").format(
                    shift=shift.label(tz)
                ),
                shift,
            )
        conn.execute(
            "UPDATE shift_assignments SET dropped_at = ?, drop_reason = ? WHERE id = ?",
            (to_iso(now), reason, row["id"]),
        )
        shift = get_shift(db, shift_id)
        return DropResult(Drop.DROPPED, _("dropped: {shift}").format(shift=shift.label(tz)), shift)


def unassign(db: Database, shift_id: int, member_id: int) -> Shift:
    """The organiser takes a volunteer off a shift (no reason, no record kept)."""
    with db.transaction() as conn:
        get_shift(db, shift_id)  # NotFound for an unknown shift
        cursor = conn.execute(
            "DELETE FROM shift_assignments WHERE shift_id = ? AND member_id = ?"
            " AND dropped_at IS NULL",
            (shift_id, member_id),
        )
        if cursor.rowcount == 0:
            raise NotFound(_("that volunteer is not on shift {id}").format(id=shift_id))
    return get_shift(db, shift_id)
