"""Issue 3, end to end: a volunteer's key, granted by `omtui access grant`, opens only the
volunteer view through a real OpenSSH server; another command over it changes nothing;
port forwarding is refused; a revoked key is refused."""

from __future__ import annotations

import os
import re
import select
import shlex
import subprocess
import time

import pytest

from omtui.core.access import default_omtui_command
from tests.e2e.conftest import (
    SCREEN_TIMEOUT,
    PtyClient,
    SshSetup,
    free_port,
    kill_pids,
    strip_ansi,
)

pytestmark = pytest.mark.slow

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def grant(setup: SshSetup, email: str, key_name: str):
    key = setup.make_key(key_name)
    command = shlex.join([*default_omtui_command(), "--config", str(setup.config_path)])
    result = setup.omtui("access", "grant", email, f"{key}.pub", "--command", command)
    assert result.returncode == 0, result.stderr
    return key


def assert_only_the_volunteer_view(text: str, email: str, setup: SshSetup) -> None:
    assert "omtui volunteer" in text
    assert "My upcoming shifts" in text
    assert "Club E2E" in text  # the forced command's --config was used
    for organiser_only in ("Members", "Newsletter"):
        assert organiser_only not in text
    shown = set(EMAIL.findall(text))
    assert shown <= {email}, f"other emails on screen: {shown - {email}}"
    assert "root:x:0:0" not in text


def wait_until_gone(setup: SshSetup, timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := setup.server_side_omtui()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_a_granted_key_opens_only_the_volunteer_view(ssh_setup: SshSetup) -> None:
    email = ssh_setup.volunteers[0]
    key = grant(ssh_setup, email, "first")
    client = PtyClient(ssh_setup.ssh_argv(key), ssh_setup.client_env())
    try:
        text = client.expect("omtui volunteer", "My upcoming shifts", "Open shifts I may take")
        assert_only_the_volunteer_view(text, email, ssh_setup)
        # the organiser's keys do nothing here: "1" would be the Members tab
        client.send(b"1")
        # the command palette offers only the volunteer's own actions
        client.send(b"\x10")  # Ctrl+P
        client.expect("Search for commands", "Leave the volunteer view")
        client.send(b"\x11")  # Ctrl+Q quits from anywhere, and the session ends with it
        assert client.wait() == 0
        assert_only_the_volunteer_view(client.text, email, ssh_setup)
    finally:
        client.close()
    assert wait_until_gone(ssh_setup) == [], "omtui kept running after the session ended"
    assert "forced-command (key-option)" in ssh_setup.server.log


def test_another_command_over_the_key_still_lands_in_the_volunteer_view(
    ssh_setup: SshSetup,
) -> None:
    email = ssh_setup.volunteers[1]
    key = grant(ssh_setup, email, "second")
    client = PtyClient(ssh_setup.ssh_argv(key, "cat /etc/passwd; bash -i"), ssh_setup.client_env())
    try:
        text = client.expect("omtui volunteer", "My upcoming shifts")
        assert_only_the_volunteer_view(text, email, ssh_setup)
        client.send(b"q")
        assert client.wait() == 0
        assert "root:x:0:0" not in client.text
    finally:
        client.close()
    assert wait_until_gone(ssh_setup) == []


def test_a_hung_up_session_leaves_nothing_running(ssh_setup: SshSetup) -> None:
    """A volunteer who closes the laptop lid: sshd hangs up the pty, omtui must exit."""
    email = ssh_setup.volunteers[1]
    key = grant(ssh_setup, email, "hangup")
    client = PtyClient(ssh_setup.ssh_argv(key), ssh_setup.client_env())
    try:
        client.expect("My upcoming shifts")
        assert ssh_setup.server_side_omtui(), "the volunteer view should be running"
    finally:
        client.close()  # SIGKILL the client: no clean quit
    assert wait_until_gone(ssh_setup) == [], f"{email}'s omtui kept running after a hang-up"


def test_port_forwarding_is_refused(ssh_setup: SshSetup) -> None:
    key = grant(ssh_setup, ssh_setup.volunteers[0], "forward")
    argv = ssh_setup.ssh_argv(key, tty=False)
    # -N: no command at all, only ask for a remote forward; `restrict` must refuse it
    argv[1:1] = ["-N", "-o", "ExitOnForwardFailure=yes", "-R", f"{free_port()}:127.0.0.1:22"]
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=SCREEN_TIMEOUT, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 255
    assert "forwarding failed" in proc.stderr


def test_a_revoked_key_is_refused(ssh_setup: SshSetup) -> None:
    email = ssh_setup.volunteers[2]
    key = grant(ssh_setup, email, "third")
    client = PtyClient(ssh_setup.ssh_argv(key), ssh_setup.client_env())
    try:
        client.expect("My upcoming shifts")
        client.send(b"q")
        assert client.wait() == 0
    finally:
        client.close()

    revoked = ssh_setup.omtui("access", "revoke", email)
    assert revoked.returncode == 0, revoked.stderr
    listed = ssh_setup.omtui("access", "list")
    assert email not in listed.stdout
    assert ssh_setup.volunteers[0] in listed.stdout  # the others keep their access

    proc = subprocess.run(
        ssh_setup.ssh_argv(key, "true", tty=False),
        capture_output=True,
        text=True,
        timeout=SCREEN_TIMEOUT,
        stdin=subprocess.DEVNULL,
        env=ssh_setup.client_env(),
    )
    assert proc.returncode == 255
    assert "Permission denied" in proc.stderr
    assert strip_ansi(proc.stdout.encode()) == ""


def run_without_terminal(setup: SshSetup, key_name: str) -> str:
    """`ssh -T host 'cat /etc/passwd'`; read until the volunteer view or a refusal shows."""
    key = grant(setup, setup.volunteers[2], key_name)
    proc = subprocess.Popen(
        setup.ssh_argv(key, "cat /etc/passwd", tty=False),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=setup.client_env(),
        start_new_session=True,
    )
    assert proc.stdout is not None
    raw, deadline = b"", time.monotonic() + SCREEN_TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            chunk = os.read(proc.stdout.fileno(), 65536) if ready else b""
            raw += chunk
            if (ready and not chunk) or "omtui volunteer" in strip_ansi(raw):
                break
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
    return strip_ansi(raw)


def test_another_command_without_a_terminal_never_runs(ssh_setup: SshSetup) -> None:
    try:
        text = run_without_terminal(ssh_setup, "notty")
        assert "root:x:0:0" not in text
        assert "omtui" in text  # the volunteer view, or its one-line refusal
    finally:
        kill_pids(ssh_setup.server_side_omtui())


def test_a_session_without_a_terminal_leaves_nothing_running(ssh_setup: SshSetup) -> None:
    try:
        run_without_terminal(ssh_setup, "notty2")
        assert wait_until_gone(ssh_setup, timeout=10) == []
    finally:
        kill_pids(ssh_setup.server_side_omtui())
