"""What Discord refuses in a command registration: bad names, descriptions and localizations.

Discord rejects the whole bulk overwrite with 400 Invalid Form Body when one name, description or
localization breaks its rules, so a bot whose translations are wrong cannot register anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Discord's locales (https://discord.com/developers/docs/reference#locales).
LOCALES = frozenset(
    [
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    ]
)
CHAT_INPUT, USER, MESSAGE = 1, 2, 3
# Slash command and option names: letters of any script (lowercase where the script has case), digits,
# "-", "_" and "'"; no spaces.
_SLASH_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _name_problem(name: object, *, slash: bool) -> str | None:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return "must be 1-32 characters"
    if slash and (not _SLASH_NAME.match(name) or name != name.lower()):
        return "must be lowercase letters, digits, '-' or '_'"
    return None


def _description_problem(description: object) -> str | None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        return "must be 1-100 characters"
    return None


def _localization_problems(path: str, field: str, values: object, check: Any) -> Iterator[str]:
    if values is None:
        return
    if not isinstance(values, dict):
        yield f"{path}.{field}: must be an object"
        return
    for locale, value in values.items():
        if locale not in LOCALES:
            yield f"{path}.{field}.{locale}: APPLICATION_COMMAND_INVALID_LOCALE"
        elif (problem := check(value)) is not None:
            yield f"{path}.{field}.{locale}: {problem}"


def _part_problems(path: str, part: dict[str, Any], *, slash: bool, described: bool) -> Iterator[str]:
    def name_check(name: object) -> str | None:
        return _name_problem(name, slash=slash)

    if (problem := name_check(part.get("name"))) is not None:
        yield f"{path}.name: {problem}"
    yield from _localization_problems(path, "name_localizations", part.get("name_localizations"), name_check)
    if described:
        if (problem := _description_problem(part.get("description"))) is not None:
            yield f"{path}.description: {problem}"
        yield from _localization_problems(
            path, "description_localizations", part.get("description_localizations"), _description_problem
        )


def _option_problems(path: str, options: list[dict[str, Any]]) -> Iterator[str]:
    for locale in ["", *LOCALES]:
        names = [
            (option.get("name_localizations") or {}).get(locale, option.get("name"))
            if locale
            else option.get("name")
            for option in options
        ]
        if len(names) != len(set(names)):
            yield f"{path}.options: APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS ({locale or 'default'})"
            break
    for index, option in enumerate(options):
        here = f"{path}.options.{index}"
        yield from _part_problems(here, option, slash=True, described=True)
        for number, choice in enumerate(option.get("choices") or []):
            choice_path = f"{here}.choices.{number}"
            if (problem := _description_problem(choice.get("name"))) is not None:
                yield f"{choice_path}.name: {problem}"
            yield from _localization_problems(
                choice_path, "name_localizations", choice.get("name_localizations"), _description_problem
            )
        yield from _option_problems(here, option.get("options") or [])


def registration_problems(commands: list[dict[str, Any]]) -> list[str]:
    """Why Discord would refuse this bulk registration; empty when it accepts it."""
    problems: list[str] = []
    for index, command in enumerate(commands):
        kind = command.get("type", CHAT_INPUT)
        slash = kind == CHAT_INPUT
        path = str(index)
        problems += _part_problems(path, command, slash=slash, described=slash)
        if not slash and command.get("description"):
            problems.append(f"{path}.description: context menu commands cannot have a description")
        problems += _option_problems(path, command.get("options") or [])
    return problems
