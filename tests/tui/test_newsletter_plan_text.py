"""The send plan's text: counts in the interface language, warnings shown."""

from __future__ import annotations

from omtui.core.demo import DEMO_NOW
from omtui.core.newsletter import Recipient, SendPlan
from omtui.i18n import current_language, set_language
from omtui.tui.screens.newsletter_plan import plan_text


def plan(count: int, warnings: tuple[str, ...] = ()) -> SendPlan:
    people = [Recipient(f"m{i}@example.org") for i in range(count)]
    return SendPlan(1, people, {"invalid": ["x@"]}, 1500, rate=2.5, warnings=warnings)


def test_counts_rate_and_duration_in_each_language() -> None:
    before = current_language()
    try:
        set_language("fr")
        text = plan_text("Sujet", plan(3000), DEMO_NOW).plain
        assert "3\u202f000" in text and "1\u202f500" in text and "2,5" in text
        assert "20 minutes" in text
        set_language("en")
        text = plan_text("Subject", plan(3000), DEMO_NOW).plain
        assert "Recipients: 3,000 subscribed members" in text and "1,500" in text and "2.5" in text
        assert "20 minutes" in text
    finally:
        set_language(before)


def test_warnings_are_shown_as_plain_text() -> None:
    text = plan_text("S", plan(1, ("No club name [b]x[/b]",)), DEMO_NOW)
    assert "Warning: No club name [b]x[/b]" in text.plain
