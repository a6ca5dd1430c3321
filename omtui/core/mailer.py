"""SMTP delivery: reusable aiosmtplib connections, a rate limit, bounded retries.

Knows nothing of members or newsletters: it delivers bytes from one address to another
and says how it went. A mail transaction has an unambiguous part (MAIL, RCPT, DATA up to
the server's 354) and an ambiguous one: once the end of the message has been sent, the
server may have accepted it even if its reply never arrives. So:

- 4xx replies and connections lost before the end of the message are retried with
  bounded exponential backoff (the server has not accepted anything, RFC 5321 §4.1.1.4);
  a connection that keeps breaking before any reply raises `ServerDown` (pause, nobody
  failed);
- 5xx is final for that recipient;
- a connection lost, or no reply within `data_timeout` (10 minutes by default, RFC 5321
  §4.5.3.2), after the end of the message is `uncertain`: never retried here.

EHLO is sent right after connecting, so the server's extensions (SMTPUTF8, SIZE) are
known before the first MAIL command.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache

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
    """The connection broke (or timed out) before the end of the message was sent: the
    server cannot have accepted it."""


class Ambiguous(Exception):
    """The end of the message was sent but no reply came: it may have been accepted."""


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
    """The outcome for one message: `sent` (reply is the server's "250 ..."), `failed`
    (final; `permanent` for a 5xx), `uncertain` (the message may have been accepted: never
    resend it without asking) or `released` (not sent now, safe to try again later)."""

    state: str
    reply: str = ""
    attempts: int = 0
    permanent: bool = False


@lru_cache(maxsize=32)
def helo_name(configured: str, from_address: str) -> str:
    """The EHLO name: the configured one, else this machine's fully qualified name, else
    (when that is `localhost` or has no dot, which relays refuse) from_address's domain."""
    if configured.strip():
        return configured.strip()
    fqdn = socket.getfqdn()
    if "." in fqdn and not fqdn.startswith("localhost") and fqdn.isascii():
        return fqdn
    domain = from_address.rpartition("@")[2].strip()
    if domain:
        try:
            return domain.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    return fqdn or "localhost"


class RateLimiter:
    """At most `rate` messages in any one-second window, as seen by the server.

    Use `async with limiter.slot(): send`. Slots start evenly spaced, `1 / rate` seconds
    apart, and a new slot starts only when fewer than `rate` slots are in flight or ended
    less than a second ago. The server receives a message after its slot starts and before
    it ends, so two messages `rate` positions apart always reach it more than a second
    apart, whatever the network jitter. `rate <= 0` means unlimited.
    """

    def __init__(self, rate: float, *, window: float = 1.0) -> None:
        self.window = window
        self.set_rate(rate)
        self._next = 0.0
        self._open = 0
        self._ends: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._ended = asyncio.Event()

    def set_rate(self, rate: float) -> None:
        """Change the limit (a share of the club's rate when other senders run); slots
        already counted in the window still count against the new capacity."""
        self.rate = rate
        self.interval = 1 / rate if rate > 0 else 0.0
        self.capacity = max(1, math.floor(rate * self.window)) if rate > 0 else 0

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


_DOT_AT_LINE_START = re.compile(rb"^\.", re.MULTILINE)


class Connection:
    """One SMTP session, opened (with EHLO) on first use and reopened after a drop."""

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
            local_hostname=helo_name(s.helo_name, s.from_address),
        )
        await smtp.connect()
        try:
            if smtp.is_ehlo_or_helo_needed:  # plain connection: STARTTLS/login did not EHLO
                try:
                    await smtp.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await smtp.helo()
            if s.username:
                await smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
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
            except aiosmtplib.SMTPResponseException as exc:
                last = f"{exc.code} {exc.message}"
            except (aiosmtplib.SMTPException, OSError) as exc:
                last = str(exc) or type(exc).__name__
            if attempt < self.policy.connect_attempts and not should_stop():
                await asyncio.sleep(self.policy.delay(attempt))
        raise ServerDown(
            _("the SMTP server {where} cannot be reached ({error})").format(
                where=self.where, error=last
            )
        )

    def supports(self, extension: str) -> bool:
        return self._smtp is not None and self._smtp.supports_extension(extension)

    async def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        *,
        before_data: Callable[[], Awaitable[None]] | None = None,
    ) -> str:
        """One mail transaction; the server's "250 ..." reply when it accepted the message.

        Raises SmtpReply (a refusal), ConnectionLost (nothing can have been accepted) or
        Ambiguous (the end of the message went out, no reply came). `before_data` is
        awaited after RCPT and before DATA (the caller records that transmission starts).
        The caller must `ensure()` first."""
        smtp = self._smtp
        assert smtp is not None
        utf8 = not (recipient.isascii() and sender.isascii())
        if utf8 and not smtp.supports_extension("smtputf8"):
            raise SmtpReply(
                553, _("5.6.7 this server does not accept non-ASCII addresses (no SMTPUTF8)")
            )
        options = ["SMTPUTF8"] if utf8 else []
        payload = _DOT_AT_LINE_START.sub(b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        if smtp.supports_extension("size"):
            options.insert(0, f"SIZE={len(payload)}")
        encoding = "utf-8" if utf8 else "ascii"
        try:
            await smtp.mail(sender, options=options, encoding=encoding)
            await smtp.rcpt(recipient, encoding=encoding)
            if before_data is not None:
                await before_data()
            start = await smtp.execute_command(b"DATA")
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing the session
                await self.close()
                raise ConnectionLost(f"{exc.code} {exc.message}") from exc
            await self._reset()
            raise SmtpReply(exc.code, exc.message) from exc
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            await self.close()
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        # From here on the server may accept the message whatever we see.
        protocol = smtp.protocol
        try:
            if protocol is None:
                raise aiosmtplib.SMTPServerDisconnected("Connection lost")
            protocol.write(payload + b".\r\n")
            reply = await protocol.read_response(timeout=self.settings.data_timeout)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            await self.close()
            raise Ambiguous(str(exc) or type(exc).__name__) from exc
        if reply.code == 421:
            await self.close()
        if reply.code != 250:
            raise SmtpReply(reply.code, reply.message)
        return f"{reply.code} {reply.message}"

    async def _reset(self) -> None:
        """RSET after a refusal, so the next transaction starts clean."""
        if self._smtp is None or not self._smtp.is_connected:
            return
        try:
            await self._smtp.rset()
        except (aiosmtplib.SMTPException, OSError):
            await self.close()

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
        before_data: Callable[[], Awaitable[None]] | None = None,
    ) -> Delivery:
        """Send `data` to `recipient` over `conn`, retrying 4xx and early drops with backoff.

        `on_error` hears every failed attempt (for "too many errors in a row");
        `should_stop` is checked before each retry; `before_data` is awaited before each
        DATA command. ServerDown propagates: the server cannot be reached, or it drops
        every attempt before replying (nothing was sent, nobody is marked failed)."""
        reply = ""
        refused = False
        for attempt in range(1, self.policy.max_attempts + 1):
            await conn.ensure(should_stop)
            try:
                async with self.limiter.slot():
                    answer = await conn.send(
                        self.settings.envelope_sender, recipient, data, before_data=before_data
                    )
                return Delivery("sent", answer, attempt)
            except SmtpReply as exc:
                reply, refused = str(exc), True
                on_error(reply)
                if exc.permanent:
                    return Delivery("failed", reply, attempt, permanent=True)
            except Ambiguous as exc:
                reply = _(
                    "no reply after the end of the message ({error}); it may have been accepted"
                ).format(error=exc)
                on_error(reply)
                return Delivery("uncertain", reply, attempt)
            except ConnectionLost as exc:
                reply, refused = _("connection lost: {error}").format(error=exc), False
                on_error(reply)
            if should_stop():
                return Delivery("released", reply, attempt)
            if attempt < self.policy.max_attempts:
                await asyncio.sleep(self.policy.delay(attempt))
        if not refused:  # the server never answered: pause, do not blame the recipient
            raise ServerDown(
                _("the SMTP server {where} keeps breaking the connection ({error})").format(
                    where=conn.where, error=reply
                )
            )
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
