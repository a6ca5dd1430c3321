"""A private Postfix on a loopback port, delivering every message into one Maildir.

Runs as root with its own config directory, queue, data directory and log file in a temp
folder (the system's /etc/postfix is only read for its binaries' paths). Nothing leaves the
machine: every domain but the bounce domain is a virtual mailbox domain delivered to the
catch-all Maildir, and the default and relay transports are `error:`. Mail to any user of
the bounce domain is accepted and then bounced by local(8), so Postfix writes real DSNs.
`refusals` become fixed replies at RCPT (e.g. "550 5.1.1 no such user").
See ../shared/MAILSTACK.md for the facts this relies on.
"""

from __future__ import annotations

import contextlib
import email
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from email.message import Message
from pathlib import Path

START_TIMEOUT = 20.0
BOUNCE_DOMAIN = "bounce.clubtest-local.fr"
SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def find_postfix() -> str | None:
    for candidate in ("/usr/sbin/postfix", shutil.which("postfix")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostfixRelay:
    """`postfix -c ETC start` on a free loopback port; `stop()` kills it."""

    def __init__(self, folder: Path, refusals: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.port = free_port()
        self.host = "127.0.0.1"
        self.etc = folder / "etc"
        self.queue = folder / "queue"
        self.logs = folder / "log"
        self.maildir = folder / "mail" / "catchall"
        self.refusals = refusals or {}
        self.postfix = find_postfix() or "postfix"

    @property
    def log(self) -> str:
        path = self.logs / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def _write_config(self) -> None:
        folder = self.folder
        for sub in (self.etc, self.queue, self.logs, folder / "data", folder / "mail"):
            sub.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        shutil.chown(folder / "data", "postfix")
        os.chown(folder / "mail", 65534, 65534)
        refuse = "".join(
            f"/^{re.escape(address)}$/ {reply}\n" for address, reply in self.refusals.items()
        )
        (self.etc / "refuse").write_text(refuse or "/^$/ OK\n")
        (self.etc / "vdomains").write_text(f"!/^{re.escape(BOUNCE_DOMAIN)}$/ OK\n")
        (self.etc / "vmailbox").write_text("/@/ catchall/\n")
        (self.etc / "main.cf").write_text(
            "\n".join(
                [
                    "compatibility_level = 3.6",
                    f"queue_directory = {self.queue}",
                    f"data_directory = {folder / 'data'}",
                    "mail_owner = postfix",
                    "setgid_group = postdrop",
                    "myhostname = relay.clubtest-local.fr",
                    "mydomain = clubtest-local.fr",
                    "myorigin = $mydomain",
                    "inet_interfaces = 127.0.0.1",
                    "inet_protocols = ipv4",
                    "mynetworks = 127.0.0.0/8",
                    f"mydestination = {BOUNCE_DOMAIN}",
                    "local_recipient_maps =",
                    "alias_maps =",
                    "alias_database =",
                    "smtpd_relay_restrictions = permit_mynetworks, reject",
                    f"smtpd_recipient_restrictions = check_recipient_access"
                    f" regexp:{self.etc / 'refuse'}, permit_mynetworks, reject",
                    "default_transport = error:nothing leaves this test relay",
                    "relay_transport = error:nothing leaves this test relay",
                    f"virtual_mailbox_domains = regexp:{self.etc / 'vdomains'}",
                    f"virtual_mailbox_maps = regexp:{self.etc / 'vmailbox'}",
                    f"virtual_mailbox_base = {folder / 'mail'}",
                    "virtual_uid_maps = static:65534",
                    "virtual_gid_maps = static:65534",
                    "virtual_minimum_uid = 100",
                    f"maillog_file = {self.logs / 'maillog'}",
                    f"maillog_file_prefixes = {self.logs}",
                    "smtputf8_enable = yes",
                    "biff = no",
                    "",
                ]
            )
        )
        (self.etc / "master.cf").write_text(
            f"{self.host}:{self.port} inet n - n - - smtpd\n" + SERVICES
        )

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        log = (self.logs / "postfix-commands.log").open("a")
        with log:  # never give the daemons our pipes: they would keep them open
            return subprocess.run(
                [self.postfix, "-c", str(self.etc), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                timeout=START_TIMEOUT,
                check=False,
            )

    def start(self) -> None:
        self._write_config()
        for action in ("check", "start"):
            result = self._run(action)
            if result.returncode != 0:
                raise RuntimeError(
                    f"postfix {action} failed ({result.returncode}):\n"
                    + (self.logs / "postfix-commands.log").read_text(errors="replace")
                    + self.log
                )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 1):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"postfix never listened on {self.port}:\n{self.log}")

    def wait_delivered(self, count: int, timeout: float = 60.0) -> list[Path]:
        """Wait until the queue is empty and the Maildir holds `count` messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = any(
                any((self.queue / sub).rglob("*"))
                for sub in ("incoming", "active", "deferred", "maildrop")
                if (self.queue / sub).exists()
            )
            files = self.messages_files()
            if not busy and len(files) >= count:
                return files
            time.sleep(0.1)
        raise AssertionError(
            f"{len(self.messages_files())} of {count} messages delivered; log:\n{self.log[-4000:]}"
        )

    def messages_files(self) -> list[Path]:
        new = self.maildir / "new"
        return sorted(new.iterdir()) if new.exists() else []

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(p.read_bytes()) for p in self.messages_files()]

    def _master_pid(self) -> int | None:
        try:
            return int((self.queue / "pid" / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """`postfix stop`, then SIGKILL its master if it is still there after 10 s."""
        pid = self._master_pid()
        self._run("stop")
        if pid is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def find_dovecot() -> str | None:
    for candidate in ("/usr/sbin/dovecot", shutil.which("dovecot")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class DovecotImap:
    """`dovecot -c FILE` serving the relay's catch-all Maildir over IMAP on a loopback port
    (no TLS), one user with a plain password; `stop()` kills it."""

    USER = "club"
    PASSWORD = "club-imap-secret"

    def __init__(self, folder: Path, maildir_root: Path) -> None:
        self.folder = folder
        self.maildir_root = maildir_root  # DIR/mail: the Maildir is its catchall/
        self.port = free_port()
        self.host = "127.0.0.1"
        self.base = folder / "run"
        self.conf = folder / "dovecot.conf"
        self.dovecot = find_dovecot() or "dovecot"

    @property
    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        self.base.mkdir(exist_ok=True)
        index = self.folder / "index"
        index.mkdir(exist_ok=True)
        os.chown(index, 65534, 65534)
        passwd = self.folder / "passwd"
        passwd.write_text(f"{self.USER}:{{PLAIN}}{self.PASSWORD}::::::\n")
        shutil.chown(passwd, group="dovecot")
        passwd.chmod(0o640)
        log = self.folder / "dovecot.log"
        log.touch()
        self.conf.write_text(
            "\n".join(
                [
                    f"base_dir = {self.base}",
                    f"state_dir = {self.folder / 'state'}",
                    f"instance_name = omtui-test-{self.port}",
                    f"log_path = {log}",
                    f"info_log_path = {log}",
                    "protocols = imap",
                    "listen = 127.0.0.1",
                    "ssl = no",
                    "disable_plaintext_auth = no",
                    "first_valid_uid = 100",
                    "auth_mechanisms = plain login",
                    f"mail_location = maildir:{self.maildir_root / 'catchall'}:INDEX={index}",
                    "passdb {",
                    "  driver = passwd-file",
                    f"  args = scheme=PLAIN username_format=%u {passwd}",
                    "}",
                    "userdb {",
                    "  driver = static",
                    f"  args = uid=65534 gid=65534 home={self.folder / 'home'}",
                    "}",
                    "service imap-login {",
                    "  inet_listener imap {",
                    "    address = 127.0.0.1",
                    f"    port = {self.port}",
                    "  }",
                    "  inet_listener imaps {",
                    "    port = 0",
                    "  }",
                    "}",
                    "service stats {",
                    "  inet_listener http {",
                    "    port = 0",
                    "  }",
                    "}",
                    "",
                ]
            )
        )
        (self.folder / "state").mkdir(exist_ok=True)
        with (self.folder / "dovecot-commands.log").open("a") as out:
            result = subprocess.run(
                [self.dovecot, "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                timeout=START_TIMEOUT,
                check=False,
            )
        if result.returncode != 0:
            raise RuntimeError(
                f"dovecot failed ({result.returncode}):\n"
                + (self.folder / "dovecot-commands.log").read_text(errors="replace")
                + self.log
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 1):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot never listened on {self.port}:\n{self.log}")

    def stop(self) -> None:
        try:
            pid = int((self.base / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
