"""The `omtui` command line. Bare `omtui` opens the full-screen app.

Every subcommand calls the same core functions as the TUI. Errors a person can act on
are printed as one line on stderr; exit 0 on success, 1 on partial failure, 2 when the
input is unusable (nothing written).
"""

from __future__ import annotations

import collections.abc
import gc
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from omtui import __version__, click_words
from omtui.context import ClubContext
from omtui.core.text import visible
from omtui.errors import OmtuiError
from omtui.i18n import _, translate_docstring, use_language

click_words.install()


class OmtuiGroup(click.Group):
    """A click group that turns OmtuiError into one clear line and an exit code.

    Subcommands are imported on first use of `commands` (help, a subcommand, a test), so
    bare `omtui` opens the app without importing every command's modules first.
    """

    @property
    def commands(self) -> collections.abc.MutableMapping[str, click.Command]:
        _register_commands()
        return self._commands

    @commands.setter
    def commands(self, value: collections.abc.MutableMapping[str, click.Command]) -> None:
        self._commands = value

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OmtuiError as exc:
            click.echo(visible(f"omtui: {exc}"), err=True)  # no control char reaches the tty
            ctx.exit(exc.exit_code)
        except sqlite3.Error as exc:  # damaged, full, read-only, busy: one line, no traceback
            from omtui.core.db import explain

            club = ctx.obj if isinstance(ctx.obj, ClubContext) else None
            error = explain(exc, club.db_path if club else Path("club.db"))
            click.echo(f"omtui: {error}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=OmtuiGroup, invoke_without_command=True)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("SQLite database file (default: env OMTUI_DB, then the config, then the data dir)."),
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("TOML config file (default: the user config dir's omtui/config.toml)."),
)
@click.version_option(__version__, prog_name="omtui", help=_("Show the version and exit."))
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None, config_path: Path | None) -> None:
    """Run a professional members' club: members, events, rota and newsletter.

    Without a command, opens the full-screen app.
    """
    ctx.obj = ClubContext.from_options(db=db_path, config=config_path)
    ctx.obj.set_notifier(_say_waiting)  # the app replaces it with a notice on screen
    ctx.call_on_close(ctx.obj.close)
    use_language(ctx.obj.config.language, ctx.obj.db_path)
    if ctx.invoked_subcommand is None:
        from omtui.tui import first_read

        # the database's checks and the Today tab's figures, done while Textual loads
        first_read.start(ctx.obj)
        from omtui.tui.app import INITIAL_TAB, pane_class, run_app  # lazy: CLI without Textual

        pane_class(INITIAL_TAB)  # its import (Textual widgets, Babel) overlaps the opening
        first_read.opened(ctx.obj)  # its errors, one line, before the screen takes over
        run_app(ctx.obj)  # turns the garbage collector back on after the first frame
    else:
        gc.enable()  # see main()


def _say_waiting(message: str) -> None:
    click.echo(f"omtui: {message}", err=True)


_registered = False


def _register_commands() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    from omtui.commands import (
        access,
        club,
        demo,
        events,
        mailbox,
        members,
        newsletter,
        privacy,
        remind,
        rota,
        today,
        volunteer,
    )

    modules = (today, members, events, rota, newsletter, remind, mailbox, volunteer, access)
    for module in (*modules, club, demo, privacy):
        for command in module.COMMANDS:
            cli.add_command(command)
            _translate_docstrings(command)


def _translate_docstrings(command: click.Command) -> None:
    """Translate a command's help, which click takes from its docstring.

    Docstrings are not `_()` calls: omtui/babel_extract.py extracts them and they are
    looked up here once, when the commands are registered (after `main()` chose the
    language).
    """
    if command.help:
        command.help = translate_docstring(command.help)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _translate_docstrings(sub)


def _root_help() -> None:
    """The root group's texts, translated again once the language is chosen."""
    if cli.callback is not None and cli.callback.__doc__:
        cli.help = translate_docstring(cli.callback.__doc__)
    helps = {
        "db_path": _(
            "SQLite database file (default: env OMTUI_DB, then the config, then the data dir)."
        ),
        "config_path": _("TOML config file (default: the user config dir's omtui/config.toml)."),
        "version": _("Show the version and exit."),
    }
    for param in cli.params:
        if isinstance(param, click.Option) and param.name in helps:
            param.help = helps[param.name]


def _peek_option(argv: Sequence[str], name: str) -> str | None:
    """The value of a root option such as `--db PATH` or `--db=PATH`, before click parses."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.partition("=")[2]
    return None


def choose_language_from_argv(argv: Sequence[str]) -> str:
    """Settle the language before the command tree and the TUI are imported.

    Reads `--config` and `--db` ahead of click; a config error here is ignored (click's
    run reports it properly a moment later).
    """
    from omtui.config import load_config
    from omtui.errors import OmtuiError
    from omtui.paths import resolve_config_path, resolve_db_path

    config_language = db_setting = None
    try:
        config = load_config(resolve_config_path(_peek_option(argv, "--config")))
        config_language, db_setting = config.language, config.db
    except (OmtuiError, OSError):
        pass
    db_path = resolve_db_path(_peek_option(argv, "--db"), db_setting)
    return use_language(config_language, db_path)


def main() -> None:
    """Console-script entry point."""
    # Start-up budget (issue 10): Python's cyclic garbage collector would run dozens of
    # times while the modules, styles and widgets of the first screen are built, none of
    # them garbage (about a tenth of the app's start-up CPU). It stays off until the app's
    # first frame is drawn, or until a subcommand starts.
    gc.disable()
    try:
        choose_language_from_argv(sys.argv[1:])
        _root_help()
        cli(prog_name="omtui")
    finally:  # --help, --version, a usage error: never leave it off
        gc.enable()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]  # click exits with the code itself
