"""CLI: `omtui volunteer` (not built yet)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
