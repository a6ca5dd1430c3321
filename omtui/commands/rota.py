"""CLI: `omtui rota` (not built yet)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
