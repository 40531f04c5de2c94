"""The house rules, in one place: which room of the code may import which.

Read from the source with `ast` (imports inside functions count too, so a cycle cannot hide in
one). A room is a package or, at the top of `bot/`, a module. Rooms are in layers, lowest first;
a module may import its own room and rooms of lower layers only, so rooms of one layer never
import each other and no cycle can form between rooms. Within a room, modules must not form a
cycle either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "storage", "tasks", "bot", "adapters", "cli")

LAYERS: list[tuple[str, ...]] = [
    ("domain",),
    ("storage", "tasks"),
    ("bot.quality",),
    ("bot.chat", "bot.config", "bot.timekeeping", "bot.metrics", "bot.logsafe"),
    ("bot.media",),
    ("bot.context",),
    ("bot.routing",),
    ("bot.access", "bot.link"),
    ("bot.guidelines", "bot.judging", "bot.exports"),
    ("bot.review",),
    ("bot.reports",),
    ("bot.labeling",),
    ("bot.managing", "bot.jobs"),
    ("bot.core",),
    ("bot.outbox_pump", "bot.page"),
    (
        "adapters.fetch",
        "adapters.health",
        "adapters.healthcheck",
        "adapters.markdown",
        "adapters.platform",
        "adapters.running",
    ),
    ("adapters.console", "adapters.slack", "adapters.telegram", "adapters.web"),
    ("cli",),
]
"""Every room, lowest layer first. A new module at the top of `bot/` or `adapters/`, or a new
wing, must be placed here: the test fails on a room it does not know."""

PLATFORM_LIBRARIES = (
    "telegram",
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "httpx",
    "requests",
    "urllib3",
    "playwright",
)
"""What only adapters (and the command line that starts them) may import."""

PURE = ("domain", "tasks", "bot")
"""Rooms that never import a platform library or an HTTP client."""


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = modules()


def imports(path: Path) -> list[tuple[str, int]]:
    """(imported module or `module.name`, line) for every absolute import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def internal_imports(module: str) -> set[str]:
    return {name for name, _ in imports(MODULES[module]) if name in MODULES and name != module}


def room(module: str) -> str:
    for layer in LAYERS:
        for name in layer:
            if module == name or module.startswith(name + "."):
                return name
    raise AssertionError(f"{module} is in no room: add it to LAYERS in {Path(__file__).name}")


RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def test_every_module_is_in_a_room_and_imports_only_downwards() -> None:
    wrong = []
    for module in sorted(MODULES):
        if module in PACKAGES:
            continue
        here = room(module)
        for target in sorted(internal_imports(module)):
            if target in PACKAGES:
                continue
            there = room(target)
            if there != here and RANK[there] >= RANK[here]:
                wrong.append(f"{module} imports {target} ({here} may not import {there})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    graph = {m: internal_imports(m) for m in MODULES}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if target in PACKAGES:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("package", PURE)
def test_pure_rooms_import_no_platform_library_or_http_client(package: str) -> None:
    wrong = [
        f"{module}:{line} imports {name}"
        for module, path in sorted(MODULES.items())
        if module == package or module.startswith(package + ".")
        for name, line in imports(path)
        if name.split(".")[0] in PLATFORM_LIBRARIES
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """The checks above see a forbidden import: an upward one and a platform library."""
    upward = tmp_path / "x.py"
    upward.write_text("def f():\n    from bot.core import Core\n    import telegram\n")
    names = [name for name, _ in imports(upward)]
    assert "bot.core.Core" in names and "telegram" in names
    assert RANK[room("bot.core")] > RANK[room("bot.labeling.work")]
    assert RANK[room("storage.sql.work")] > RANK[room("domain.entities")]
    assert RANK[room("tasks.regions.types")] == RANK[room("storage.contract")]
