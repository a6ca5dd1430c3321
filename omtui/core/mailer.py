"""SMTP delivery: reusable aiosmtplib connections, a rate limit, bounded retries.

Knows nothing of members or newsletters: it delivers bytes from one address to another
and says how it went. 4xx replies and dropped connections are retried with bounded
exponential backoff (a server that dropped the connection before its 250 has not accepted
the message, RFC 5321 §4.1.1.4 and 6.1); 5xx is final for that recipient; a server that
refuses connections several times in a row raises `ServerDown`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiosmtplib

from omtui.config import SmtpConfig
from omtui.i18n import _, ngettext


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Delays double from `base_delay` up to `max_delay`."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 15.0
    connect_attempts: int = 4

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))


class ServerDown(Exception):
    """The SMTP server could not be reached after several attempts (message says why)."""


class ConnectionLost(Exception):
    """The connection broke before the server answered."""


class SmtpReply(Exception):
    """The server refused: `code` and its reply text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}".strip())
        self.code = code
        self.text = text

    @property
    def permanent(self) -> bool:
        return self.code >= 500


@dataclass(frozen=True)
class Delivery:
    """The outcome for one message: `sent`, `failed` (final) or `released` (not sent now,
    safe to try again later: the send was stopped while retrying)."""

    state: str
    reply: str = ""
    attempts: int = 0


class RateLimiter:
    """At most `rate` messages in any one-second window, as seen by the server.

    Use `async with limiter.slot(): send`. Slots start evenly spaced, `1 / rate` seconds
    apart, and a new slot starts only when fewer than `rate` slots are in flight or ended
    less than a second ago. The server receives a message after its slot starts and before
    it ends, so two messages `rate` positions apart always reach it more than a second
    apart, whatever the network jitter. `rate <= 0` means unlimited.
    """

    def __init__(self, rate: float, *, window: float = 1.0) -> None:
        self.rate = rate
        self.window = window
        self.interval = 1 / rate if rate > 0 else 0.0
        self.capacity = max(1, math.floor(rate * window)) if rate > 0 else 0
        self._next = 0.0
        self._open = 0
        self._ends: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._ended = asyncio.Event()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.interval <= 0:
            yield
            return
        await self._acquire()
        try:
            yield
        finally:
            self._open -= 1
            self._ends.append(time.monotonic())
            self._ended.set()

    async def _acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._ends and self._ends[0] <= now - self.window:
                    self._ends.popleft()
                if self._open + len(self._ends) >= self.capacity:
                    if self._ends:  # wait for the oldest to leave the window
                        await asyncio.sleep(self._ends[0] + self.window - now)
                    else:  # every slot is in flight: wait for one to end
                        self._ended.clear()
                        await self._ended.wait()
                    continue
                if (wait := self._next - now) > 0:
                    await asyncio.sleep(wait)
                    continue
                break
            self._open += 1
            self._next = max(now, self._next) + self.interval


class Connection:
    """One SMTP session, opened on first use and reopened after a drop."""

    def __init__(self, settings: SmtpConfig, policy: RetryPolicy) -> None:
        self.settings = settings
        self.policy = policy
        self._smtp: aiosmtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def _open(self) -> aiosmtplib.SMTP:
        s = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.tls == "tls",
            start_tls=s.tls == "starttls",
            timeout=s.timeout,
            cert_bundle=s.cafile,
        )
        await smtp.connect()
        if s.username:
            await smtp.login(s.username, s.password or "")
        return smtp

    async def ensure(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Connect if needed, retrying with backoff; ServerDown when it keeps failing."""
        if self._smtp is not None and self._smtp.is_connected:
            return
        self._smtp = None
        last = ""
        for attempt in range(1, self.policy.connect_attempts + 1):
            try:
                self._smtp = await self._open()
                return
            except aiosmtplib.SMTPAuthenticationError as exc:
                raise ServerDown(
                    _("the SMTP server {where} refused the login: {reply}").format(
                        where=self.where, reply=f"{exc.code} {exc.message}"
                    )
                ) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                last = str(exc) or type(exc).__name__
            if attempt < self.policy.connect_attempts and not should_stop():
                await asyncio.sleep(self.policy.delay(attempt))
        raise ServerDown(
            _("the SMTP server {where} cannot be reached ({error})").format(
                where=self.where, error=last
            )
        )

    async def send(self, sender: str, recipient: str, data: bytes) -> str:
        """One mail transaction; the server's reply text on 250, else SmtpReply or
        ConnectionLost. The caller must `ensure()` first."""
        assert self._smtp is not None
        options = []
        if not (recipient.isascii() and sender.isascii()):
            if not self._smtp.supports_extension("smtputf8"):
                raise SmtpReply(
                    553, _("5.6.7 this server does not accept non-ASCII addresses (no SMTPUTF8)")
                )
            options.append("SMTPUTF8")
        try:
            _errors, reply = await self._smtp.sendmail(
                sender, [recipient], data, mail_options=options
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            raise SmtpReply(refused.code, refused.message) from exc
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            await self.close()
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing the session
                await self.close()
                raise ConnectionLost(f"{exc.code} {exc.message}") from exc
            raise SmtpReply(exc.code, exc.message) from exc
        return reply

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await asyncio.wait_for(smtp.quit(), timeout=2)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()


class Mailer:
    """A pool of `concurrency` connections sharing one rate limit."""

    def __init__(
        self,
        settings: SmtpConfig,
        *,
        policy: RetryPolicy | None = None,
        concurrency: int | None = None,
        rate: float | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy()
        size = max(1, concurrency if concurrency is not None else settings.concurrency)
        self.limiter = RateLimiter(settings.rate if rate is None else rate)
        self.connections = [Connection(settings, self.policy) for _ in range(size)]

    async def deliver(
        self,
        conn: Connection,
        recipient: str,
        data: bytes,
        *,
        on_error: Callable[[str], None] = lambda reply: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Delivery:
        """Send `data` to `recipient` over `conn`, retrying 4xx and drops with backoff.

        `on_error` hears every failed attempt (for "too many errors in a row");
        `should_stop` is checked before each retry. ServerDown propagates."""
        reply = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            await conn.ensure(should_stop)
            try:
                async with self.limiter.slot():
                    answer = await conn.send(self.settings.from_address, recipient, data)
                return Delivery("sent", answer, attempt)
            except SmtpReply as exc:
                reply = str(exc)
                on_error(reply)
                if exc.permanent:
                    return Delivery("failed", reply, attempt)
            except ConnectionLost as exc:
                reply = _("connection lost: {error}").format(error=exc)
                on_error(reply)
            if should_stop():
                return Delivery("released", reply, attempt)
            if attempt < self.policy.max_attempts:
                await asyncio.sleep(self.policy.delay(attempt))
        return Delivery(
            "failed",
            ngettext(
                "gave up after {n} attempt: {reply}",
                "gave up after {n} attempts: {reply}",
                self.policy.max_attempts,
            ).format(n=self.policy.max_attempts, reply=reply),
            self.policy.max_attempts,
        )

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)


async def send_one(settings: SmtpConfig, recipient: str, data: bytes, policy=None) -> Delivery:
    """Deliver a single message (test sends) on a fresh connection."""
    mailer = Mailer(settings, policy=policy, concurrency=1, rate=0)
    try:
        return await mailer.deliver(mailer.connections[0], recipient, data)
    finally:
        await mailer.close()
