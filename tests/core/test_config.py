"""Config file, env overrides, and the database location's order of precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from omtui.config import load_config
from omtui.errors import ConfigError
from omtui.paths import default_db_path, resolve_db_path


def test_missing_config_means_defaults(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "none.toml")
    assert cfg.timezone == "Europe/Paris"
    assert cfg.smtp.port == 25


def test_config_values_and_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'club_name = "Club des Office Managers"\n[smtp]\nhost = "smtp.example.org"\n'
        'tls = "starttls"\npassword_env = "MY_SMTP_PW"\nrate = 5\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("MY_SMTP_PW", "s3cret")
    monkeypatch.setenv("OMTUI_SMTP_HOST", "relay.local")
    cfg = load_config(path)
    assert cfg.club_name == "Club des Office Managers"
    assert cfg.smtp.host == "relay.local"
    assert cfg.smtp.port == 587
    assert cfg.smtp.rate == 5.0
    assert cfg.smtp.password == "s3cret"
    assert "s3cret" not in repr(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("club_name = ", "not valid TOML"),
        ("colour = 'blue'", "unknown key 'colour'"),
        ("[smtp]\nport = 'twenty-five'", "port must be a int"),
        ("[smtp]\ntls = 'ssl'", "tls must be one of"),
        ("timezone = 'Europe/Lutece'", "unknown timezone"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_db_location_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_db_path(None, None) == default_db_path()
    assert resolve_db_path(None, "/srv/club.db") == Path("/srv/club.db")
    monkeypatch.setenv("OMTUI_DB", "/env/club.db")
    assert resolve_db_path(None, "/srv/club.db") == Path("/env/club.db")
    assert resolve_db_path("/cli/club.db", "/srv/club.db") == Path("/cli/club.db")
