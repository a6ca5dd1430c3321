"""click's own words ("Usage:", "Options", "Missing argument"...) in the interface language.

click looks its messages up with the standard gettext functions it imports into each of its
modules. `install()` points those at omtui's catalogue, where the entries below are declared
(N_) so that extraction keeps them. A message click adds later, and its few plural
messages, stay English.
"""

from __future__ import annotations

import importlib

from omtui.i18n import N_, translate_declared

CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types")

WORDS = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing command."),
    N_("Missing {param_type}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Aborted!"),
    N_("Repeat for confirmation"),
    N_("Error: invalid input"),
    N_("default: {default}"),
    N_("required"),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."),
    N_("file"),
    N_("path"),
    N_("directory"),
)


def install() -> None:
    """Make click translate its messages through omtui's current language."""
    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = translate_declared  # type: ignore[attr-defined]
