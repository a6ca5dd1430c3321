"""Consent facts every module may need without loading core/members.py (the Today tab's
first read counts reminders at start-up; members.py costs ~5 ms to import)."""

from __future__ import annotations

REMINDERS_ALLOWED_SQL = (
    "COALESCE((SELECT c.subscribed FROM consent_events c WHERE c.member_id = {member}"
    " AND c.purpose = 'reminders' ORDER BY c.id DESC LIMIT 1), 1) = 1"
)
"""SQL true when the member has not declined reminders (`{member}`: their id column)."""
