"""Docs that cannot drift: every CLI command is named in the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from omtui.cli import cli

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "omtui") -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from command_paths(command, path)
        else:
            yield path


@pytest.mark.parametrize("path", list(command_paths(cli)))
def test_command_is_documented(path: str) -> None:
    assert f"`{path}" in README, f"README.md does not document `{path}`"
