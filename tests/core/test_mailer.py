"""The SMTP pool on its own: rate limiter, retries, permanent failures, server down."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from omtui.config import SmtpConfig
from omtui.core.mailer import Mailer, RateLimiter, RetryPolicy, ServerDown, send_one
from tests.smtp_sink import SmtpSink, free_port

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, connect_attempts=2)
DATA = b"From: a@x.org\r\nTo: b@y.org\r\nSubject: hi\r\n\r\nhello\r\n"


async def test_rate_limiter_counts_a_slot_until_it_ends() -> None:
    """25 slots per 0.5 s: starts are spaced, and the 26th starts 0.5 s after the 1st ENDED."""
    limiter = RateLimiter(50, window=0.5)
    starts, ends = [], []
    for i in range(26):
        async with limiter.slot():
            starts.append(time.monotonic())
            if i == 0:
                await asyncio.sleep(0.1)  # a slow first message
            ends.append(time.monotonic())
    assert all(b - a >= 0.0199 for a, b in itertools.pairwise(starts))
    assert starts[25] >= ends[0] + 0.5


async def test_connection_is_reused_for_many_messages(smtp_sink: SmtpSink) -> None:
    settings = SmtpConfig(host=smtp_sink.host, port=smtp_sink.port, rate=0)
    mailer = Mailer(settings, policy=FAST, concurrency=1)
    conn = mailer.connections[0]
    results = [await mailer.deliver(conn, f"r{i}@y.org", DATA) for i in range(5)]
    smtp = conn._smtp
    assert [r.state for r in results] == ["sent"] * 5 and smtp is not None and smtp.is_connected
    await mailer.close()
    assert len(smtp_sink.messages) == 5


async def test_4xx_retried_until_bounded_attempts_then_failed(smtp_sink: SmtpSink) -> None:
    smtp_sink.behaviour.temp_failures = 10
    errors: list[str] = []
    mailer = Mailer(SmtpConfig(host=smtp_sink.host, port=smtp_sink.port, rate=0), policy=FAST)
    result = await mailer.deliver(mailer.connections[0], "b@y.org", DATA, on_error=errors.append)
    await mailer.close()
    assert result.state == "failed" and result.attempts == 3
    assert result.reply.startswith("gave up after 3 attempts: 451")
    assert len(errors) == 3 and smtp_sink.messages == []


async def test_5xx_is_final_at_once(smtp_sink: SmtpSink) -> None:
    smtp_sink.behaviour.reject["b@y.org"] = "550 5.1.1 No such user"
    result = await send_one(SmtpConfig(host=smtp_sink.host, port=smtp_sink.port), "b@y.org", DATA)
    assert (result.state, result.reply, result.attempts) == ("failed", "550 5.1.1 No such user", 1)


async def test_server_down_raises_after_bounded_attempts() -> None:
    settings = SmtpConfig(host="127.0.0.1", port=free_port())
    start = time.monotonic()
    with pytest.raises(ServerDown, match="cannot be reached"):
        await send_one(settings, "b@y.org", DATA, policy=FAST)
    assert time.monotonic() - start < 5


def test_password_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMTUI_SMTP_PASSWORD", "s3cret-pw")
    settings = SmtpConfig(username="club", password_env="X")
    assert settings.password == "s3cret-pw"
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(Mailer(settings).connections)
