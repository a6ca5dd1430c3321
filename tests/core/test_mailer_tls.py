"""TLS, STARTTLS and login against a real aiosmtpd server with its own certificate."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from omtui.config import SmtpConfig
from omtui.core.mailer import RetryPolicy, ServerDown, send_one
from tests.smtp_sink import SmtpSink

DATA = b"From: a@x.org\r\nTo: b@y.org\r\nSubject: hi\r\n\r\nhello\r\n"
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, connect_attempts=1)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def only_alice(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"alice"
        and (auth_data.password == b"s3cret")
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def starttls_sink(certificate: tuple[Path, Path]) -> Iterator[SmtpSink]:
    sink = SmtpSink(
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=only_alice,
        auth_require_tls=True,
    )
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def tls_sink(certificate: tuple[Path, Path]) -> Iterator[SmtpSink]:
    sink = SmtpSink(ssl_context=server_context(certificate))
    sink.start()
    yield sink
    sink.stop()


async def test_starttls_with_login_and_a_private_ca(
    starttls_sink: SmtpSink, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUB_SMTP_PASSWORD", "s3cret")
    settings = SmtpConfig(
        host=starttls_sink.host, port=starttls_sink.port, tls="starttls", username="alice",
        password_env="CLUB_SMTP_PASSWORD", cafile=str(certificate[0]),
    )  # fmt: skip
    result = await send_one(settings, "b@y.org", DATA, policy=FAST)
    assert result.state == "sent", result.reply
    assert starttls_sink.recipients() == ["b@y.org"]


async def test_wrong_password_pauses_with_the_servers_reply(
    starttls_sink: SmtpSink, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMTUI_SMTP_PASSWORD", "wrong")
    settings = SmtpConfig(
        host=starttls_sink.host, port=starttls_sink.port, tls="starttls", username="alice",
        cafile=str(certificate[0]),
    )  # fmt: skip
    with pytest.raises(ServerDown, match="refused the login"):
        await send_one(settings, "b@y.org", DATA, policy=FAST)
    assert starttls_sink.messages == []


async def test_implicit_tls(tls_sink: SmtpSink, certificate: tuple[Path, Path]) -> None:
    settings = SmtpConfig(
        host=tls_sink.host, port=tls_sink.port, tls="tls", cafile=str(certificate[0])
    )
    result = await send_one(settings, "b@y.org", DATA, policy=FAST)
    assert result.state == "sent", result.reply
    assert tls_sink.recipients() == ["b@y.org"]


async def test_an_untrusted_certificate_is_refused(tls_sink: SmtpSink) -> None:
    """Without the CA, the certificate does not verify: nothing is sent in the clear."""
    settings = SmtpConfig(host=tls_sink.host, port=tls_sink.port, tls="tls")
    with pytest.raises(ServerDown, match="cannot be reached"):
        await send_one(settings, "b@y.org", DATA, policy=FAST)
    assert tls_sink.messages == []
