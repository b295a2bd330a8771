"""The layout's rules, checked on the source: Discord stays in the plugins, the sandbox stays apart."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import discord_sandbox
import trainer_bot

PRODUCT = Path(trainer_bot.__file__).parent
SANDBOX = Path(discord_sandbox.__file__).parent
DISCORD_LIBRARIES = ("hikari", "lightbulb")


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def offenders(root: Path, forbidden: tuple[str, ...], *, allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(allowed):
            continue
        for module in imported_modules(path):
            if module.split(".")[0] in forbidden:
                found.append(f"{relative} imports {module}")
    return found


def test_only_the_composition_root_and_the_plugins_know_discord() -> None:
    assert offenders(PRODUCT, DISCORD_LIBRARIES, allowed=("app.py", "startup.py", "plugins/")) == []


def test_the_sandbox_imports_nothing_from_the_bot() -> None:
    assert offenders(SANDBOX, ("trainer_bot",)) == []


def test_the_bot_never_imports_the_sandbox() -> None:
    # Except `trainer-bot sandbox` itself, which puts the bot and the sandbox together for a tryout.
    assert offenders(PRODUCT, ("discord_sandbox",), allowed=("sandbox.py",)) == []


# Each package may import its own layer and the layers below it, never one above.
LAYERS = [
    {"app", "cli", "__main__", "startup", "checks", "sandbox", "worker"},
    {"plugins"},
    {"chat"},
    {"voice"},
    {"training", "speech", "llm"},
    {"ml", "workspace"},
    {
        "storage",
        "config",
        "layout",
        "errors",
        "text",
        "fileio",
        "resources",
        "i18n",
        "locales",
        "shards",
        "__init__",
    },
]


def layer_of(name: str) -> int:
    return next(index for index, names in enumerate(LAYERS) if name in names)


def test_imports_point_down_the_layers() -> None:
    upward = []
    for path in sorted(PRODUCT.rglob("*.py")):
        own = path.relative_to(PRODUCT).parts[0].removesuffix(".py")
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] != "trainer_bot" or len(parts) < 2:
                continue
            if layer_of(parts[1]) < layer_of(own):
                upward.append(f"{path.relative_to(PRODUCT)} imports {module}")
    assert upward == []
