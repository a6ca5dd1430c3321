"""CLI subcommands, one module per area; each exposes `COMMANDS`, a list of click commands.

Everything a command prints goes through `echo` (or `echo_json`): names, titles and server
replies come from people and files, and a control character in them (ESC, BEL, C1) must
be shown, never obeyed by the organiser's terminal.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

from omtui.context import ClubContext
from omtui.core.text import visible

pass_club = click.make_pass_decorator(ClubContext)

_RAW_IN_JSON = re.compile("[\x7f-\x9f]")
"""What json.dumps(ensure_ascii=False) leaves unescaped that a terminal may obey."""


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """click.echo with every control character but newline and tab made visible."""
    click.echo(visible("" if message is None else str(message)), err=err, nl=nl)


def echo_json(data: Any, *, indent: int | None = 2) -> None:
    """`data` as JSON (UTF-8 kept readable); DEL and C1 written as \\u escapes, which JSON
    readers decode to the same text, so nothing in it can act on a terminal."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    click.echo(_RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
