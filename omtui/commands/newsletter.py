"""CLI: `omtui newsletter list|new|edit|duplicate|delete|test|send|status`."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import click

from omtui.commands import echo, echo_json, pass_club
from omtui.context import ClubContext
from omtui.core import labels, outbox, sender
from omtui.core.dates import format_duration, humanize_delta
from omtui.core.newsletter import (
    audience_size,
    create_draft,
    delete_draft,
    duplicate,
    get_newsletter,
    list_newsletters,
    update_draft,
)
from omtui.core.numbers import format_decimal, format_number
from omtui.core.text import column
from omtui.errors import OmtuiError, UnusableInput
from omtui.i18n import _, ngettext


@click.group("newsletter")
def newsletter() -> None:
    """Write, test and send the newsletter."""


def _audience_text(tags: tuple[str, ...], city: str) -> str:
    parts = [f"#{t}" for t in tags] + ([city] if city else [])
    return ", ".join(parts) or _("all subscribers")


@newsletter.command("list")
@click.option("--json", "as_json", is_flag=True, help=_("Print JSON instead of a table."))
@pass_club
def list_command(club: ClubContext, as_json: bool) -> None:
    """Drafts and sent newsletters, newest first."""
    summaries = list_newsletters(club.db)
    if as_json:
        out = []
        for s in summaries:
            item = s.as_dict()
            nl = s.newsletter
            if nl.status == "draft":
                item["audience_size"] = audience_size(club.db, nl.audience_tags, nl.audience_city)
            out.append(item)
        echo_json(out, indent=2)
        return
    if not summaries:
        echo(_("No newsletters yet: create one with `omtui newsletter new`."))
        return
    now = club.now()
    rows = []
    for s in summaries:
        nl = s.newsletter
        if nl.status == "draft":
            size = audience_size(club.db, nl.audience_tags, nl.audience_city)
            counts = ngettext("{n} would receive it", "{n} would receive it", size).format(
                n=format_number(size)
            )
        else:
            counts = _("{sent}/{total} sent, {failed} failed").format(
                sent=format_number(s.counts.get("sent", 0)),
                total=format_number(s.recipients),
                failed=format_number(s.counts.get("failed", 0)),
            )
        moment = nl.sent_at or nl.send_started_at or nl.updated_at
        state = labels.newsletter_status(nl.status)
        if nl.status == "sending" and not sender.is_running(club.db, nl.id):
            state = _("interrupted")
        rows.append((nl, state, counts, humanize_delta(moment, now) if moment else ""))
    width = max(len(state) for _nl, state, _counts, _ago in rows)
    for nl, state, counts, ago in rows:
        echo(
            f"{nl.id:>4}  {column(state, width)}  {column(nl.subject, 40)}  "
            f"{_audience_text(nl.audience_tags, nl.audience_city)}  {counts}  {ago}"
        )


@newsletter.command("new")
@click.option("--subject", required=True, help=_("The subject line (placeholders allowed)."))
@click.option(
    "--body",
    "body_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
    help=_("A Markdown file with the body ('-' reads standard input)."),
)
@click.option("--tag", "tags", multiple=True, help=_("Only members with this tag (repeatable)."))
@click.option("--city", default="", help=_("Only members in this city."))
@pass_club
def new_command(
    club: ClubContext, subject: str, body_file: Path, tags: tuple[str, ...], city: str
) -> None:
    """Create a draft and print its id."""
    try:
        body = sys.stdin.read() if str(body_file) == "-" else body_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableInput(
            _("{path} is not UTF-8 text; save it as UTF-8 and try again").format(path=body_file)
        ) from exc
    nl = create_draft(club.db, subject=subject, body=body, tags=tags, city=city, now=club.now())
    echo(nl.id)


def _read_body(body_file: Path) -> str:
    try:
        return sys.stdin.read() if str(body_file) == "-" else body_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableInput(
            _("{path} is not UTF-8 text; save it as UTF-8 and try again").format(path=body_file)
        ) from exc


@newsletter.command("edit")
@click.argument("newsletter_id", type=int)
@click.option("--subject", help=_("A new subject line (placeholders allowed)."))
@click.option(
    "--body",
    "body_file",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
    help=_("A Markdown file with the new body ('-' reads standard input)."),
)
@click.option(
    "--tag", "tags", multiple=True, help=_("Only members with this tag (repeatable; replaces).")
)
@click.option("--all-tags", is_flag=True, help=_("No tag condition any more."))
@click.option("--city", help=_("Only members in this city ('' for every city)."))
@pass_club
def edit_command(
    club: ClubContext,
    newsletter_id: int,
    subject: str | None,
    body_file: Path | None,
    tags: tuple[str, ...],
    all_tags: bool,
    city: str | None,
) -> None:
    """Change a draft's subject, body or audience (a sent newsletter cannot change)."""
    body = _read_body(body_file) if body_file is not None else None
    new_tags: tuple[str, ...] | None = () if all_tags else (tags or None)
    if subject is None and body is None and new_tags is None and city is None:
        raise UnusableInput(_("nothing to change: give at least one option, e.g. --subject"))
    nl = update_draft(
        club.db, newsletter_id, subject=subject, body=body, tags=new_tags, city=city, now=club.now()
    )
    echo(
        _("Draft {id} saved: {subject} ({audience}).").format(
            id=nl.id,
            subject=nl.subject,
            audience=_audience_text(nl.audience_tags, nl.audience_city),
        )
    )


@newsletter.command("duplicate")
@click.argument("newsletter_id", type=int)
@pass_club
def duplicate_command(club: ClubContext, newsletter_id: int) -> None:
    """Copy a newsletter (sent or not) into a new draft and print its id."""
    echo(duplicate(club.db, newsletter_id, now=club.now()).id)


@newsletter.command("delete")
@click.argument("newsletter_id", type=int)
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
@pass_club
def delete_command(club: ClubContext, newsletter_id: int, yes: bool) -> None:
    """Delete a draft (never a newsletter that has been sent, even partly)."""
    nl = get_newsletter(club.db, newsletter_id)
    if (
        not yes
        and not nl.read_only
        and not click.confirm(
            _("Delete draft {id} ({subject})?").format(id=nl.id, subject=nl.subject)
        )
    ):
        raise click.Abort()
    delete_draft(club.db, newsletter_id)
    echo(_("Draft {id} deleted.").format(id=newsletter_id))


@newsletter.command("test")
@click.argument("newsletter_id", type=int)
@click.option("--to", "to", required=True, help=_("The address to send one test message to."))
@pass_club
def test_command(club: ClubContext, newsletter_id: int, to: str) -> None:
    """Send one test message (subject prefixed [TEST]) to one address."""
    message_id = sender.send_test(club.db, newsletter_id, club.config, to, now=club.now())
    echo(_("Test message sent to {to} ({id}).").format(to=to, id=message_id))


def _print_warnings(club: ClubContext) -> None:
    for warning in sender.plan_warnings(club.config):
        echo(_("Warning: {warning}").format(warning=warning))


def _print_plan(plan, subject: str) -> None:
    echo(
        ngettext(
            'Newsletter {id} "{subject}" will go to {n} member.',
            'Newsletter {id} "{subject}" will go to {n} members.',
            plan.count,
        ).format(id=plan.newsletter_id, subject=subject, n=format_number(plan.count))
    )
    for reason, emails in plan.left_out.items():
        if not emails:
            continue
        label = labels.left_out_reason(reason)
        shown = ", ".join(emails[:5]) + (" …" if len(emails) > 5 else "")
        echo(_("  left out, {reason}: {n}").format(reason=label, n=format_number(len(emails))))
        if reason != "unsubscribed":
            echo(f"    {shown}")
    if plan.outside_audience:
        echo(
            ngettext(
                "  left out, outside the audience: {n} subscribed member",
                "  left out, outside the audience: {n} subscribed members",
                plan.outside_audience,
            ).format(n=format_number(plan.outside_audience))
        )
    for warning in plan.warnings:
        echo(_("Warning: {warning}").format(warning=warning), err=True)
    if plan.rate > 0:
        echo(
            _("At {rate} messages a second this takes about {duration}.").format(
                rate=format_number(plan.rate), duration=format_duration(plan.estimated_seconds)
            )
        )


class _Reporter:
    """A progress bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, total: int, start: int) -> None:
        self.tty = sys.stdout.isatty()
        self.bar = click.progressbar(length=total, label=_("Sending")) if self.tty else None
        self.shown = start
        self.last_line = 0.0
        if self.bar is not None:
            self.bar.__enter__()
            self.bar.update(start)

    def __call__(self, p: sender.SendProgress) -> None:
        done = p.done
        if self.bar is not None:
            self.bar.update(max(0, done - self.shown))
            self.shown = max(self.shown, done)
            return
        if time.monotonic() - self.last_line >= 2 or not p.running:
            self.last_line = time.monotonic()
            if not (p.rate and p.eta_seconds):  # nothing measured yet: no "0.0/s, ? left"
                echo(
                    _("sent {sent}/{total}, failed {failed}, remaining {remaining}").format(
                        sent=format_number(p.sent),
                        total=format_number(p.total),
                        failed=format_number(p.failed),
                        remaining=format_number(p.remaining),
                    )
                )
                return
            eta = format_duration(p.eta_seconds)
            echo(
                _(
                    "sent {sent}/{total}, failed {failed}, remaining {remaining}, "
                    "{rate}/s, {eta} left"
                ).format(
                    sent=format_number(p.sent),
                    total=format_number(p.total),
                    failed=format_number(p.failed),
                    remaining=format_number(p.remaining),
                    rate=format_decimal(p.rate),
                    eta=eta,
                )
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@newsletter.command("send")
@click.argument("newsletter_id", type=int)
@click.option("--yes", is_flag=True, help=_("Do not ask to confirm."))
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help=_("Also resend to recipients whose message was in flight when a send was interrupted."),
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help=_("Send again to recipients whose delivery failed temporarily (4xx, connection)."),
)
@click.option(
    "--include-permanent",
    is_flag=True,
    help=_("With --retry-failed, also retry permanent refusals (5xx)."),
)
@pass_club
def send_command(
    club: ClubContext,
    newsletter_id: int,
    yes: bool,
    resend_uncertain: bool,
    retry_failed: bool,
    include_permanent: bool,
) -> None:
    """Send a draft (after showing the send plan), resume an interrupted send, or retry
    the recipients it failed to reach."""
    db = club.db
    if include_permanent and not retry_failed:
        raise UnusableInput(_("--include-permanent only makes sense with --retry-failed"))
    nl = get_newsletter(db, newsletter_id)
    if nl.status == "cancelled":
        raise OmtuiError(
            _("newsletter {id} was cancelled; duplicate it to send it again").format(id=nl.id)
        )
    if retry_failed and nl.status != "draft":
        if not _plan_retry(club, newsletter_id, include_permanent, yes):
            return
    elif nl.status == "sent" and not resend_uncertain:
        echo(_("Newsletter {id} was already sent.").format(id=nl.id))
        _print_status(club, newsletter_id)
        return
    if nl.status == "draft":
        sender.ensure_sendable_config(club.config)
        plan = sender.prepare(db, newsletter_id, club.config)
        _print_plan(plan, nl.subject)
        _print_warnings(club)
        if plan.count == 0:
            raise OmtuiError(_("nobody would receive this newsletter; nothing was sent"))
        if not yes:
            typed = click.prompt(
                _("Type the number of recipients ({n}) to send it").format(n=plan.count),
                default="",
                show_default=False,
            )
            if typed.strip() != str(plan.count):
                raise OmtuiError(_("not confirmed; nothing was sent"))
        sender.start_send(db, newsletter_id, club.config, plan, now=club.now())
    else:
        sender.ensure_sendable_config(club.config)
        before = sender.progress(db, newsletter_id)
        if before.running:
            raise OmtuiError(
                _("newsletter {id} is being sent by another process right now").format(
                    id=newsletter_id
                )
            )
        if not retry_failed:
            echo(
                _("Resuming newsletter {id}: {sent} sent, {queued} still to send.").format(
                    id=newsletter_id,
                    sent=format_number(before.sent),
                    queued=format_number(before.queued),
                )
            )
    start = sender.progress(db, newsletter_id)
    reporter = _Reporter(start.total, start.done)
    control = sender.SendControl()
    previous = signal.getsignal(signal.SIGINT)

    def interrupted(_signum, _frame) -> None:
        control.pause(_("interrupted with Ctrl-C"))
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C quits at once

    signal.signal(signal.SIGINT, interrupted)
    try:
        outcome = sender.run_send(
            club.db_path,
            newsletter_id,
            club.config,
            control=control,
            on_progress=reporter,
            resend_uncertain=resend_uncertain,
            retry_failed=retry_failed,
            include_permanent=include_permanent,
            clock=club.now,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
        reporter.close()
    if outcome.recovered_uncertain:
        echo(
            ngettext(
                "{n} message was being transmitted when the previous send stopped: "
                "marked uncertain.",
                "{n} messages were being transmitted when the previous send stopped: "
                "marked uncertain.",
                outcome.recovered_uncertain,
            ).format(n=format_number(outcome.recovered_uncertain))
        )
    _print_status(club, newsletter_id)
    if outcome.state != "sent":
        raise OmtuiError(
            _("the send is {state}: {reason}").format(
                state=labels.newsletter_status(outcome.state), reason=outcome.reason
            )
        )
    if outcome.progress.failed:
        sys.exit(1)


def _plan_retry(club: ClubContext, newsletter_id: int, include_permanent: bool, yes: bool) -> bool:
    """Show who `--retry-failed` would send to again, with the server's last reply; ask
    before retrying permanent refusals. False when there is nothing to do."""
    sender.ensure_sendable_config(club.config)
    kinds = ("temporary", "permanent") if include_permanent else ("temporary",)
    rows = outbox.rows_in_state(club.db, newsletter_id, "failed", fail_kinds=kinds)
    left = outbox.failed_counts(club.db, newsletter_id)
    if not rows:
        echo(_("No failed recipient to retry for newsletter {id}.").format(id=newsletter_id))
        if left["permanent"] and not include_permanent:
            echo(
                _(
                    "{n} were refused permanently (5xx); add --include-permanent to retry them."
                ).format(n=left["permanent"])
            )
        return False
    echo(
        _("Newsletter {id}: {n} failed recipients will be sent it again:").format(
            id=newsletter_id, n=len(rows)
        )
    )
    for row in rows:
        echo(_("  {email}: {reply}").format(email=row.email, reply=row.reply))
    if left["permanent"] and not include_permanent:
        echo(
            _(
                "{n} refused permanently (5xx) are left out; --include-permanent retries them."
            ).format(n=left["permanent"])
        )
    _print_warnings(club)
    if include_permanent and left["permanent"] and not yes:
        question = _(
            "{n} of them were refused permanently (5xx): a server that said no may say no "
            "again, and repeated attempts hurt the club's reputation. Retry them?"
        ).format(n=left["permanent"])
        if not click.confirm(question, default=False):
            raise OmtuiError(_("not confirmed; nothing was sent"))
    return True


def _print_status(club: ClubContext, newsletter_id: int) -> None:
    p = sender.progress(club.db, newsletter_id)
    echo(
        _(
            "Newsletter {id}: {state}. {sent} sent, {failed} failed, {uncertain} uncertain, "
            "{queued} queued (of {total})."
        ).format(
            id=newsletter_id,
            state=labels.newsletter_status(p.state),
            sent=format_number(p.sent),
            failed=format_number(p.failed),
            uncertain=format_number(p.uncertain),
            queued=format_number(p.queued + p.sending),
            total=format_number(p.total),
        )
    )
    if p.message:
        echo(_("Reason: {reason}").format(reason=p.message))
    for row in outbox.rows_in_state(club.db, newsletter_id, "failed", limit=20):
        echo(_("  failed: {email}: {reply}").format(email=row.email, reply=row.reply))
    kinds = outbox.failed_counts(club.db, newsletter_id)
    if kinds["temporary"] or kinds["permanent"]:
        echo(
            _(
                "Failed: {temporary} temporarily (`omtui newsletter send {id} --retry-failed` "
                "retries them), {permanent} permanently (add --include-permanent)."
            ).format(id=newsletter_id, temporary=kinds["temporary"], permanent=kinds["permanent"])
        )
    uncertain = outbox.rows_in_state(club.db, newsletter_id, "uncertain")
    if uncertain:
        echo(
            _(
                "Uncertain (the message was handed over but the server's answer never came: "
                "maybe received, not resent unless you run "
                "`omtui newsletter send {id} --resend-uncertain`):"
            ).format(id=newsletter_id)
        )
        for row in uncertain:
            echo(_("  {email}: {reply}").format(email=row.email, reply=row.reply))


@newsletter.command("status")
@click.argument("newsletter_id", type=int)
@click.option("--json", "as_json", is_flag=True, help=_("Print JSON."))
@pass_club
def status_command(club: ClubContext, newsletter_id: int, as_json: bool) -> None:
    """Counts per state, the failed and uncertain recipients; with --json every recipient
    the server accepted, with its reply."""
    if not as_json:
        _print_status(club, newsletter_id)
        return
    p = sender.progress(club.db, newsletter_id)
    data = p.as_dict()
    data["subject"] = get_newsletter(club.db, newsletter_id).subject
    data["failed_recipients"] = [
        r.as_dict() for r in outbox.rows_in_state(club.db, newsletter_id, "failed")
    ]
    data["failed_by_kind"] = outbox.failed_counts(club.db, newsletter_id)
    data["uncertain_recipients"] = [
        r.as_dict() for r in outbox.rows_in_state(club.db, newsletter_id, "uncertain")
    ]
    data["sent_recipients"] = [
        r.as_dict() for r in outbox.rows_in_state(club.db, newsletter_id, "sent")
    ]
    echo_json(data, indent=2)


COMMANDS: list[click.Command] = [newsletter]
