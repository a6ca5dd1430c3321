"""A real SMTP server on loopback for tests and benchmarks (aiosmtpd in its own thread).

It records every message it accepts and can be told to misbehave: answer a code for a
given recipient, answer 451 a number of times first, wait before answering, or drop the
connection after some messages (before or after accepting them), or at RCPT.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float = 0.0
    """time.monotonic() when the server accepted it (for rate checks)."""
    helo: str = ""
    """The name the client gave in EHLO/HELO."""

    @property
    def message(self) -> Message:
        return email.message_from_bytes(self.data)


@dataclass
class SinkBehaviour:
    delay: float = 0.0
    reject: dict[str, str] = field(default_factory=dict)
    """recipient (lower-case) -> full reply, e.g. "550 5.1.1 No such user"."""
    temp_failures: int = 0
    """Answer "451 try again later" to this many DATA commands before accepting."""
    drop_after: int | None = None
    """Close the connection instead of answering after this many accepted messages."""
    drop_after_accepting: set[int] = field(default_factory=set)
    """Keep the Nth message (counting from 1) and close the connection without replying:
    the client cannot know it was accepted."""
    drop_at_rcpt: int = 0
    """Close the connection at this many RCPT commands (before any DATA)."""
    reply_delay: float = 0.0
    """Wait this long after keeping a message before answering 250 (a server slow to
    confirm: a client killed meanwhile cannot know the message was received)."""


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.sink.lock:
            drop = self.sink.behaviour.drop_at_rcpt > 0
            if drop:
                self.sink.behaviour.drop_at_rcpt -= 1
        if drop:
            server.transport.close()
            return "421 closing"
        reply = self.sink.behaviour.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        behaviour = self.sink.behaviour
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        with self.sink.lock:
            if behaviour.temp_failures > 0:
                behaviour.temp_failures -= 1
                return "451 4.3.0 Try again later"
            if behaviour.drop_after is not None and len(self.sink.messages) >= behaviour.drop_after:
                behaviour.drop_after = None
                drop = True
            elif len(self.sink.messages) + 1 in behaviour.drop_after_accepting:
                drop = True
                self.sink.messages.append(
                    Received(
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        envelope.content,
                        time.monotonic(),
                        session.host_name or "",
                    )
                )
            else:
                drop = False
                self.sink.messages.append(
                    Received(
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        envelope.content,
                        time.monotonic(),
                        session.host_name or "",
                    )
                )
        if drop:
            server.transport.close()
            return "421 closing"
        if behaviour.reply_delay:
            await asyncio.sleep(behaviour.reply_delay)
        return "250 Message accepted"


class SmtpSink:
    """Start with `start()`, read `messages`, stop with `stop()`."""

    def __init__(self, behaviour: SinkBehaviour | None = None, **smtp_options: Any) -> None:
        """`smtp_options` go to aiosmtpd (ssl_context, tls_context, authenticator, ...)."""
        self.behaviour = behaviour or SinkBehaviour()
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.host = "127.0.0.1"
        self.port = free_port()
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            data_size_limit=None,
            **smtp_options,
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def recipients(self) -> list[str]:
        with self.lock:
            return [r for m in self.messages for r in m.rcpt_tos]


class HangingServer:
    """A server that greets, answers as told, then never replies again (a hung relay).

    `hang_at`: "greeting" (says 220, then silence), or "data" (answers EHLO, MAIL and RCPT,
    then never answers the DATA command)."""

    def __init__(self, hang_at: str = "greeting") -> None:
        self.hang_at = hang_at
        self.host = "127.0.0.1"
        self.port = free_port()
        self.connections = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self._sock.listen()
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        try:
            conn.sendall(b"220 hung.example ESMTP\r\n")
            buffer = b""
            while not self._stop.is_set():
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    verb = line[:4].upper()
                    if self.hang_at == "greeting" or verb == b"DATA":
                        continue  # silence
                    if verb == b"EHLO":
                        conn.sendall(b"250-hung.example\r\n250 8BITMIME\r\n")
                    else:
                        conn.sendall(b"250 OK\r\n")
        except OSError:
            return

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._open:
            conn.close()
