"""Babel extractor for omtui: `_()`/`ngettext()` calls, plus the help of CLI commands.

click takes a command's `--help` text from its function's docstring, which Babel's Python
extractor does not see. This extractor adds the docstring of every function decorated with
`@<x>.command(...)` or `@<x>.group(...)`, cleaned with `inspect.cleandoc` as
`omtui.i18n.translate_docstring` looks it up. Used by babel.cfg (`make messages`) and by
the catalogue test; imports nothing from omtui.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import IO, Any

from babel.messages.extract import extract_python

CLICK_DECORATORS = {"command", "group"}


def _is_click_command(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in CLICK_DECORATORS:
            return True
    return False


def command_docstrings(source: str) -> Iterator[tuple[int, str]]:
    """(line, cleaned docstring) of every click command and group in `source`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_click_command(node):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.body[0].lineno, inspect.cleandoc(docstring)


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[Any, ...]]:
    """Babel's Python extraction, then (line, no function name, docstring, no comments)."""
    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    for line, docstring in command_docstrings(source):
        yield line, None, docstring, []
