"""Command registration as Discord checks it: names, descriptions and their localizations.

Discord refuses a whole bulk overwrite for one bad localization, so the emulator does too: a bot whose
translations break the rules fails its tests instead of failing in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import hikari
import pytest

from discord_sandbox import DiscordEmulator
from discord_sandbox.commands import registration_problems


def slash(**fields: Any) -> dict[str, Any]:
    return {"type": 1, "name": "files", "description": "Workspace files"} | fields


def test_a_localized_command_is_accepted() -> None:
    command = slash(
        name_localizations={"ru": "файлы", "en-US": "files"},
        description_localizations={"ru": "Файлы сервера"},
        options=[
            {
                "type": 3,
                "name": "path",
                "description": "A path",
                "name_localizations": {"ru": "путь"},
                "choices": [{"name": "All", "value": "all", "name_localizations": {"ru": "Все"}}],
            }
        ],
    )
    menu = {"type": 3, "name": "Correct this reply", "name_localizations": {"ru": "Исправить этот ответ"}}
    assert registration_problems([command, menu]) == []


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (
            slash(name_localizations={"xx": "файлы"}),
            "0.name_localizations.xx: APPLICATION_COMMAND_INVALID_LOCALE",
        ),
        (slash(name_localizations={"ru": "Файлы"}), "0.name_localizations.ru: must be lowercase"),
        (slash(name_localizations={"ru": "мои файлы"}), "0.name_localizations.ru: must be lowercase"),
        (slash(name_localizations={"ru": "ф" * 33}), "0.name_localizations.ru: must be 1-32 characters"),
        (slash(description_localizations={"ru": ""}), "0.description_localizations.ru: must be 1-100"),
        (slash(description_localizations={"ru": "д" * 101}), "0.description_localizations.ru: must be 1-100"),
        (slash(description=""), "0.description: must be 1-100"),
        (
            slash(
                options=[
                    {"type": 3, "name": "a", "description": "A", "name_localizations": {"ru": "путь"}},
                    {"type": 3, "name": "b", "description": "B", "name_localizations": {"ru": "путь"}},
                ]
            ),
            "0.options: APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS (ru)",
        ),
        (
            slash(
                options=[
                    {"type": 3, "name": "path", "description": "A", "name_localizations": {"ru": "Путь"}}
                ]
            ),
            "0.options.0.name_localizations.ru: must be lowercase",
        ),
        (
            {"type": 3, "name": "Correct", "name_localizations": {"ru": "И" * 33}},
            "0.name_localizations.ru: must be 1-32 characters",
        ),
    ],
)
def test_what_discord_refuses(command: dict[str, Any], problem: str) -> None:
    assert any(found.startswith(problem) for found in registration_problems([command])), (
        registration_problems([command])
    )


@pytest.fixture
async def rest() -> AsyncIterator[tuple[DiscordEmulator, hikari.api.RESTClient]]:
    emulator = DiscordEmulator()
    await emulator.start()
    app = hikari.RESTApp(url=emulator.api_url)
    await app.start()
    try:
        async with app.acquire(emulator.token, hikari.TokenType.BOT) as client:
            yield emulator, client
    finally:
        await app.close()
        await emulator.stop()


async def test_a_bad_localization_refuses_the_whole_registration(
    rest: tuple[DiscordEmulator, hikari.api.RESTClient],
) -> None:
    emulator, client = rest
    good = client.slash_command_builder("hi", "Say hello").set_name_localizations(
        {hikari.Locale.RU: "привет"}
    )
    bad = client.slash_command_builder("train", "Train").set_name_localizations(
        {hikari.Locale.RU: "Обучить Модель"}
    )
    with pytest.raises(hikari.BadRequestError, match=r"name_localizations\.ru"):
        await client.set_application_commands(emulator.application_id, [good, bad], emulator.guild.id)
    assert emulator.guild_commands.get(emulator.guild.id, []) == []

    [stored] = await client.set_application_commands(emulator.application_id, [good], emulator.guild.id)
    assert stored.name_localizations == {hikari.Locale.RU: "привет"}
