"""[imap] settings, their environment overrides, and [smtp] bounce_address as the envelope
sender (seen by a real SMTP server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from omtui.config import SmtpConfig, load_config
from omtui.core.mailer import send_one
from omtui.errors import ConfigError
from tests.smtp_sink import SmtpSink


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "omtui.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_imap_table_defaults_and_ports(tmp_path: Path) -> None:
    assert load_config(None).imap.host == ""
    cfg = load_config(write(tmp_path, '[imap]\nhost = "imap.x.fr"\nusername = "u"\n'))
    assert (cfg.imap.port, cfg.imap.tls, cfg.imap.folder, cfg.imap.move_processed) == (
        993, "tls", "INBOX", False,
    )  # fmt: skip
    plain = load_config(write(tmp_path, '[imap]\nhost = "h"\ntls = "starttls"\n'))
    assert plain.imap.port == 143
    with pytest.raises(ConfigError, match=r"\[imap\] tls"):
        load_config(write(tmp_path, '[imap]\ntls = "ssl"\n'))
    with pytest.raises(ConfigError, match="unknown key 'password'"):
        load_config(write(tmp_path, '[imap]\npassword = "secret"\n'))


def test_imap_environment_overrides_and_password(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, '[imap]\nhost = "h"\npassword_env = "CLUB_IMAP"\n')
    monkeypatch.setenv("CLUB_IMAP", "from-named-var")
    assert load_config(path).imap.password == "from-named-var"
    monkeypatch.setenv("OMTUI_IMAP_HOST", "imap.club.fr")
    monkeypatch.setenv("OMTUI_IMAP_PORT", "1143")
    monkeypatch.setenv("OMTUI_IMAP_TLS", "none")
    monkeypatch.setenv("OMTUI_IMAP_USER", "retours")
    monkeypatch.setenv("OMTUI_IMAP_PASSWORD", "direct")
    imap = load_config(path).imap
    assert (imap.host, imap.port, imap.tls, imap.username, imap.password) == (
        "imap.club.fr", 1143, "none", "retours", "direct",
    )  # fmt: skip
    assert "direct" not in repr(imap)


def test_bounce_address_is_the_envelope_sender(smtp_sink: SmtpSink) -> None:
    base = {"host": smtp_sink.host, "port": smtp_sink.port, "from_address": "nl@club.fr"}
    data = b"From: nl@club.fr\r\nTo: a@b.fr\r\nSubject: x\r\n\r\nbody\r\n"
    asyncio.run(send_one(SmtpConfig(**base), "a@b.fr", data))
    asyncio.run(send_one(SmtpConfig(**base, bounce_address="retours@club.fr"), "a@b.fr", data))
    assert [m.mail_from for m in smtp_sink.messages] == ["nl@club.fr", "retours@club.fr"]


def test_a_sync_that_cannot_reach_the_server_says_so_and_records_a_failed_run(
    db, now, tmp_path: Path, monkeypatch
) -> None:
    from omtui.config import ImapConfig
    from omtui.core import runs
    from omtui.core.mail import mailbox
    from omtui.errors import OmtuiError
    from tests.smtp_sink import free_port

    with pytest.raises(ConfigError, match=r"\[imap\]"):
        mailbox.sync(db, ImapConfig(), clock=lambda: now)
    monkeypatch.setenv("OMTUI_IMAP_PASSWORD", "x")
    closed = ImapConfig(host="127.0.0.1", port=free_port(), tls="none", username="u", timeout=5)
    with pytest.raises(OmtuiError, match="cannot be reached"):
        mailbox.sync(db, closed, clock=lambda: now)
    last = runs.last_runs(db)["mailbox"]
    assert not last.ok and "cannot be reached" in last.detail
    # the lease was given back: the next sync is not told another one runs
    with pytest.raises(OmtuiError, match="cannot be reached"):
        mailbox.sync(db, closed, clock=lambda: now)


def test_two_syncs_cannot_hold_the_lease_at_once(db) -> None:
    from omtui.core.mail import mailbox

    mailbox.acquire_lease(db, "elsewhere:1:a", now=1000.0)
    with pytest.raises(mailbox.MailboxBusy):
        mailbox.acquire_lease(db, "elsewhere:2:b", now=1001.0)
    mailbox.acquire_lease(db, "elsewhere:2:b", now=1000.0 + mailbox.LEASE_TTL + 1)  # expired
    mailbox.release_lease(db, "elsewhere:2:b")
    mailbox.acquire_lease(db, "elsewhere:3:c", now=1002.0)
