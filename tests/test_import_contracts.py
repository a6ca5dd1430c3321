"""Import contracts: the layers of omtui, read from the source with `ast`.

- `omtui.core` imports neither Textual, Rich, the TUI nor the CLI, even through another
  omtui module (test_headless.py proves the Textual/Rich half at run time too);
- screens never import panes: a screen returns its result with dismiss() or posts a
  message, and work that outlives it lives in an app-level service;
- a pane never imports another pane (only `panes.base` and its own `<pane>_*` helpers):
  it posts a message and the app refreshes who needs it;
- no import cycle inside `omtui.tui`.

Every import counts, including those inside functions and under `TYPE_CHECKING`: a lazy or
type-only import still ties the two modules together.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import omtui

ROOT = Path(omtui.__file__).parent


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} (line {self.line}) imports {self.target}"


def module_files(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Every module of the package under `root`: name -> (file, is a package)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path, is_package)
    return modules


def read_imports(root: Path, package: str) -> tuple[set[str], list[Import]]:
    """The package's module names, and every import statement in them (absolute names)."""
    modules = module_files(root, package)
    imports = []
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                targets = [target]
                # `from omtui.tui.screens import confirm` imports the module `confirm`
                targets += [f"{target}.{alias.name}" for alias in node.names]
                targets = [t for t in targets if t == target or t in modules]
            imports += [Import(name, t, node.lineno) for t in targets if t != name]
    return set(modules), imports


MODULES, IMPORTS = read_imports(ROOT, "omtui")


def within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def internal_graph(modules: set[str], imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for imp in imports:
        if imp.target in modules:
            graph[imp.source].add(imp.target)
    return graph


def reachable(graph: dict[str, set[str]], starts: set[str]) -> dict[str, str | None]:
    """Every module imported, directly or not, from `starts`: module -> who imported it."""
    seen: dict[str, str | None] = dict.fromkeys(starts)
    todo = list(starts)
    while todo:
        name = todo.pop()
        for target in sorted(graph[name]):
            if target not in seen:
                seen[target] = name
                todo.append(target)
    return seen


def chain(seen: dict[str, str | None], name: str) -> str:
    links = [name]
    while (parent := seen[links[-1]]) is not None:
        links.append(parent)
    return " <- ".join(links)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def forbidden(sources: str, banned: tuple[str, ...]) -> list[str]:
    """Imports of `banned` made by `sources` or by any omtui module they import."""
    graph = internal_graph(MODULES, IMPORTS)
    seen = reachable(graph, {m for m in MODULES if within(m, sources)})
    return [
        f"{imp} (reached as {chain(seen, imp.source)})"
        for imp in IMPORTS
        if imp.source in seen and within(imp.target, *banned)
    ]


def test_the_source_was_read() -> None:
    assert {"omtui.core.db", "omtui.tui.app", "omtui.tui.panes.members"} <= MODULES
    assert any(within(imp.target, "textual") for imp in IMPORTS)


def test_core_imports_no_ui() -> None:
    banned = ("textual", "rich", "omtui.tui", "omtui.commands", "omtui.cli")
    assert forbidden("omtui.core", banned) == []


def test_screens_do_not_import_panes() -> None:
    assert forbidden("omtui.tui.screens", ("omtui.tui.panes",)) == []


def test_panes_do_not_import_each_other() -> None:
    panes = "omtui.tui.panes"

    def pane(module: str) -> str:  # members_actions belongs to members
        return module.removeprefix(panes + ".").split("_")[0]

    assert [
        str(imp)
        for imp in IMPORTS
        if within(imp.source, panes)
        and within(imp.target, panes)
        and imp.target not in (panes, f"{panes}.base")
        and pane(imp.source) != pane(imp.target)
    ] == []


def test_no_import_cycle_in_the_tui() -> None:
    graph = internal_graph(MODULES, IMPORTS)
    tui = {
        name: {target for target in targets if within(target, "omtui.tui")}
        for name, targets in graph.items()
        if within(name, "omtui.tui")
    }
    assert cycles(tui) == []


# -- the checker itself finds what it must ------------------------------------------------
@pytest.fixture
def toy(tmp_path: Path) -> Path:
    files = {
        "__init__.py": "",
        "a.py": "from . import b\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toy.a import X\n",
        "c.py": "def f():\n    import toy.d\n",
        "d.py": "from .sub import e\n",
        "sub/__init__.py": "",
        "sub/e.py": "import textual.app\nfrom .. import c\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_cycles_are_found_through_lazy_relative_and_type_only_imports(toy: Path) -> None:
    modules, imports = read_imports(toy, "toy")
    assert modules == {"toy", "toy.a", "toy.b", "toy.c", "toy.d", "toy.sub", "toy.sub.e"}
    assert Import("toy.sub.e", "textual.app", 1) in imports
    assert cycles(internal_graph(modules, imports)) == [
        ["toy.a", "toy.b"],
        ["toy.c", "toy.d", "toy.sub.e"],
    ]
