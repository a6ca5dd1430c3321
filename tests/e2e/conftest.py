"""A real OpenSSH server on a loopback port, and an SSH client inside a pseudo-terminal.

The server runs as the current user (root in CI) with its own host key, config and
authorized_keys file in a temp folder; only the key lines written by `omtui access grant`
let anyone in. Every wait is bounded; teardown kills sshd and any omtui it started.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from omtui.core.db import open_database
from omtui.core.demo import build_demo

START_TIMEOUT = 20.0
SCREEN_TIMEOUT = 45.0
PRIVSEP_DIR = Path("/run/sshd")
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS/SOS/PM/APC ... ST
    r"|\x1b[()][0-9A-Za-z]"  # charset selection
    r"|\x1b[@-Z\\-_=>]"  # other two-byte escapes
)


def strip_ansi(raw: bytes) -> str:
    return _ANSI.sub("", raw.decode("utf-8", errors="replace"))


def find_sshd() -> str | None:
    """sshd must be run by its absolute path (it re-executes itself)."""
    for candidate in ("/usr/sbin/sshd", "/usr/local/sbin/sshd", shutil.which("sshd")):
        if candidate and os.path.isabs(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_mentioning(marker: str) -> list[int]:
    """Pids whose command line contains `marker` (a unique temp path), this one excluded."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
    return pids


def kill_pids(pids: list[int], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL what is still alive after `timeout`."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and not _is_zombie(p)]
        if alive:
            time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return True


class SshServer:
    """`sshd -D -e -f CONFIG` on a free loopback port, its log collected in a thread."""

    def __init__(self, sshd: str, folder: Path, authorized_keys: Path, user: str) -> None:
        self.sshd, self.folder, self.user = sshd, folder, user
        self.authorized_keys = authorized_keys
        self.port = free_port()
        self.host_key = folder / "ssh_host_ed25519_key"
        self.config = folder / "sshd_config"
        self._log: list[str] = []
        self._listening = threading.Event()
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)],
            check=True,
            timeout=START_TIMEOUT,
        )
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"AuthorizedKeysFile {self.authorized_keys}",
                    f"PidFile {self.folder / 'sshd.pid'}",
                    "UsePAM no",
                    "StrictModes no",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    f"AllowUsers {self.user}",
                    "X11Forwarding no",
                    "PrintMotd no",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        self.proc = subprocess.Popen(
            [self.sshd, "-D", "-e", "-f", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._listening.wait(START_TIMEOUT) or self.proc.poll() is not None:
            self.stop()
            pytest.fail(f"sshd did not start listening:\n{self.log}")

    def _read_log(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self._log.append(line)
            if "Server listening on" in line:
                self._listening.set()

    @property
    def log(self) -> str:
        return "".join(self._log)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


class PtyClient:
    """A command (ssh -tt ...) running in a fresh pseudo-terminal of a fixed size."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int = 100, rows: int = 30):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.raw = b""
        self._eof = False

    @property
    def text(self) -> str:
        return strip_ansi(self.raw)

    def _pump(self, timeout: float) -> None:
        if self._eof:
            time.sleep(min(timeout, 0.05))
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the other side of the pty is gone
                chunk = b""
            if chunk:
                self.raw += chunk
            else:
                self._eof = True

    def expect(self, *needles: str, timeout: float = SCREEN_TIMEOUT) -> str:
        """Read until every needle is on screen (or fail with what was seen)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text
            if all(n in text for n in needles):
                return text
            if self._eof and self.proc.poll() is not None:
                break
            self._pump(min(0.2, max(0.0, deadline - time.monotonic())))
        pytest.fail(f"never saw {needles!r} in the terminal; it showed:\n{self.text[-3000:]}")

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = SCREEN_TIMEOUT) -> int:
        """Keep reading until the command exits; its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(0.1)
        if self.proc.poll() is None:
            pytest.fail(
                f"{self.proc.args[0]} did not exit; the terminal showed:\n{self.text[-2000:]}"
            )
        while not self._eof:
            self._pump(0.1)
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self.master)


@dataclass
class SshSetup:
    server: SshServer
    db_path: Path
    config_path: Path
    folder: Path
    volunteers: list[str]
    other_emails: list[str]

    def ssh_argv(self, key: Path, *extra: str, tty: bool = True) -> list[str]:
        return [
            "ssh",
            "-tt" if tty else "-T",
            "-F", "/dev/null",
            "-i", str(key),
            "-p", str(self.server.port),
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=15",
            "-o", "LogLevel=ERROR",
            f"{self.server.user}@127.0.0.1",
            *extra,
        ]  # fmt: skip

    def client_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
        env["TERM"] = "xterm-256color"
        return env

    def make_key(self, name: str) -> Path:
        key = self.folder / name
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@e2e", "-f", str(key)],
            check=True,
            timeout=START_TIMEOUT,
        )
        return key

    def omtui(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The organiser's CLI on the shared database and the test's authorized_keys."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMTUI_")}
        env["OMTUI_AUTHORIZED_KEYS"] = str(self.server.authorized_keys)
        env["OMTUI_LANG"] = "en"
        return subprocess.run(
            [sys.executable, "-m", "omtui", "--db", str(self.db_path), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    def server_side_omtui(self) -> list[int]:
        """omtui processes sshd started on our database (found by its unique path)."""
        return processes_mentioning(str(self.db_path))


@pytest.fixture(scope="module")
def ssh_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshSetup]:
    sshd = find_sshd()
    if sshd is None:
        pytest.skip("OpenSSH server (sshd) not found: apt-get install openssh-server")
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not found: apt-get install openssh-client")
    if not PRIVSEP_DIR.is_dir():
        try:
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True)
        except OSError as exc:
            pytest.skip(f"sshd needs {PRIVSEP_DIR}, which cannot be created here: {exc}")

    folder = tmp_path_factory.mktemp("sshd")
    folder.chmod(0o755)
    db_path = folder / "club.db"
    database = open_database(db_path)
    build_demo(database, members_count=300)
    volunteers = [
        row["email"]
        for row in database.query(
            "SELECT DISTINCT m.email FROM members m JOIN shift_assignments a ON a.member_id = m.id"
            " WHERE (',' || m.tags || ',') LIKE '%,volunteer,%' AND m.archived_at IS NULL"
            " AND a.dropped_at IS NULL ORDER BY m.id LIMIT 3"
        )
    ]
    others = [row["email"] for row in database.query("SELECT email FROM members")]
    database.close()
    assert len(volunteers) == 3, "the demo club should have volunteers with shifts"

    config_path = folder / "config.toml"
    # language = "en": these tests read the English screen (the club's own language is French)
    config_path.write_text('club_name = "Club E2E"\ntimezone = "Europe/Paris"\nlanguage = "en"\n')
    user = pwd.getpwuid(os.geteuid()).pw_name
    server = SshServer(sshd, folder, folder / "authorized_keys", user)
    server.start()
    setup = SshSetup(server, db_path, config_path, folder, volunteers, others)
    try:
        yield setup
    finally:
        server.stop()
        kill_pids(setup.server_side_omtui())
