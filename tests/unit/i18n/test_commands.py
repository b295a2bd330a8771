"""Every command registers English and Russian names and descriptions that Discord accepts.

Discord refuses the whole bulk registration (400, APPLICATION_COMMAND_INVALID_LOCALE or an invalid form
body) for one bad localization, so this builds each command's registration JSON offline and checks it.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import Iterator
from typing import Any

import hikari
import lightbulb
import pytest

from trainer_bot.app import plugin_modules
from trainer_bot.i18n import Translations
from trainer_bot.plugins._language import command_localizations, command_name

DISCORD_LOCALES = {locale.value for locale in hikari.Locale}
# Slash command and option names: lowercase letters of any script, digits, "-" and "_".
SLASH_NAME = re.compile(r"^[-_\w]{1,32}$")
MESSAGE_COMMAND = int(hikari.CommandType.MESSAGE)


def top_level_commands() -> Iterator[Any]:
    for module_name in plugin_modules():
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if isinstance(value, lightbulb.Group) or (
                isinstance(value, type)
                and issubclass(value, lightbulb.commands.CommandBase)
                and value is not lightbulb.commands.CommandBase
                and hasattr(value, "_command_data")
                and value._command_data.parent is None
                and value.__module__ == module_name
            ):
                yield value


async def registrations() -> list[dict[str, Any]]:
    provider = command_localizations(Translations.load())
    bot = hikari.GatewayBot("MTIz.fake.token", banner=None)
    built = []
    for command in top_level_commands():
        builder = await command.as_command_builder(hikari.Locale.EN_US, provider)
        built.append(dict(builder.build(bot.entity_factory)))
    return built


def named_parts(payload: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """The command and each of its options, subcommands and choices, with where it sits."""
    here = f"{path} {payload['name']}".strip()
    yield here, payload
    for option in payload.get("options") or []:
        yield from named_parts(option, here)
    for choice in payload.get("choices") or []:
        yield f"{here} choice {choice['name']}", choice


def problems(payload: dict[str, Any]) -> Iterator[str]:
    context_menu = payload.get("type") == MESSAGE_COMMAND
    for where, part in named_parts(payload):
        names = {"en-US": part["name"], **(part.get("name_localizations") or {})}
        descriptions = {
            "en-US": part.get("description") or "",
            **(part.get("description_localizations") or {}),
        }
        for locale in [*names, *descriptions]:
            if locale not in DISCORD_LOCALES:
                yield f"{where}: {locale!r} is not a Discord locale"
        if "ru" not in names:
            yield f"{where}: no Russian name"
        for locale, name in names.items():
            if context_menu and not 1 <= len(name) <= 32:
                yield f"{where}: the {locale} name {name!r} is not 1-32 characters"
            if not context_menu and (not SLASH_NAME.match(name) or name != name.lower()):
                yield f"{where}: the {locale} name {name!r} breaks Discord's name rules"
        if context_menu or "choice" in where:
            continue
        if "ru" not in descriptions:
            yield f"{where}: no Russian description"
        for locale, description in descriptions.items():
            if not 1 <= len(description) <= 100:
                yield f"{where}: the {locale} description is {len(description)} characters, not 1-100"


def duplicate_names(payload: dict[str, Any]) -> Iterator[str]:
    """Discord refuses two options of one command with the same name in any one language."""
    for where, part in named_parts(payload):
        options = part.get("options") or []
        for locale in ["en-US", "ru"]:
            names = [
                (option.get("name_localizations") or {}).get(locale, option["name"]) for option in options
            ]
            if len(names) != len(set(names)):
                yield f"{where}: options share a {locale} name: {sorted(names)}"


@pytest.fixture(scope="module")
def commands() -> list[dict[str, Any]]:
    return asyncio.run(registrations())


def test_every_command_is_found(commands: list[dict[str, Any]]) -> None:
    names = {command["name"] for command in commands}
    assert {"hi", "train", "files", "settings", "privacy", "Correct this reply", "Transcribe"} <= names


def test_every_name_and_description_has_a_russian_localization_discord_accepts(
    commands: list[dict[str, Any]],
) -> None:
    found = [problem for command in commands for problem in problems(command)]
    assert found == []


def test_no_two_options_share_a_name_in_any_language(commands: list[dict[str, Any]]) -> None:
    assert [problem for command in commands for problem in duplicate_names(command)] == []


def test_the_english_names_stay_the_registered_names(commands: list[dict[str, Any]]) -> None:
    train = next(command for command in commands if command["name"] == "train")
    assert train["name_localizations"]["ru"] == "обучить"
    assert [option["name"] for option in train["options"]][:2] == ["data", "data_dir"]


def test_answers_name_commands_as_the_member_sees_them() -> None:
    translations = Translations.load()
    assert command_name(translations.for_locale("ru"), "files upload") == "/файлы загрузить"
    assert command_name(translations.for_locale("en-GB"), "files upload") == "/files upload"
    assert command_name(translations.for_locale("ru"), "explode") == "/explode"  # not in the catalogue
