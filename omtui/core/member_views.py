"""Read helpers for member lists that page in SQL (the Members tab uses them)."""

from __future__ import annotations

from omtui.core.db import Database
from omtui.core.members import SORTABLE, MemberFilter, _where


def position_of(
    db: Database,
    member_id: int,
    filt: MemberFilter | None = None,
    *,
    sort: str = "name",
    descending: bool = False,
) -> int | None:
    """The 0-based row of `member_id` in `query_members(filt, sort=, descending=)`, or None.

    Lets a paged list jump to a member it does not show yet (the one just added or edited).
    """
    where, params = _where(filt or MemberFilter())
    order = SORTABLE.get(sort, SORTABLE["name"]).format(dir="DESC" if descending else "ASC")
    row = db.query_one(
        f"SELECT pos FROM (SELECT id, row_number() OVER (ORDER BY {order}, id) - 1 AS pos "
        f"FROM members{where}) WHERE id = ?",
        (*params, member_id),
    )
    return None if row is None else row["pos"]
