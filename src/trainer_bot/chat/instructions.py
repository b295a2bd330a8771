"""Where `/instruction` gets its text: the bundled guide in the member's language, or the operator's own
file, shown to everyone as it is."""

from __future__ import annotations

import asyncio
import logging
from importlib import resources
from pathlib import Path

from trainer_bot.errors import UserError
from trainer_bot.i18n import SOURCE, t
from trainer_bot.text import split_message

_LOGGER = logging.getLogger(__name__)


class InstructionUnavailable(UserError):
    pass


class InstructionSource:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        if path is not None and not path.is_file():
            _LOGGER.warning("INSTRUCTION_FILE %s does not exist; /instruction will say so", path)

    async def messages(self, language: str = SOURCE.language) -> list[str]:
        """The instruction split into messages Discord accepts. Read on each call so edits show at once.

        `language` picks the bundled guide ("ru", "en"; English where there is none); an operator's file
        has one language, chosen by the operator.
        """
        text = await asyncio.to_thread(self._read, language)
        chunks = split_message(text)
        if not chunks:
            raise InstructionUnavailable(
                t("The instruction file is empty. Ask the bot operator to fill it in.")
            )
        return chunks

    def _read(self, language: str) -> str:
        if self._path is None:
            return bundled_instruction(language)
        try:
            return self._path.read_text("utf-8")
        except FileNotFoundError:
            _LOGGER.error("INSTRUCTION_FILE %s is missing", self._path)
            raise InstructionUnavailable(
                t(
                    "The instruction file is missing on the bot's host. "
                    "Ask the bot operator to check INSTRUCTION_FILE."
                )
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            _LOGGER.error("INSTRUCTION_FILE %s cannot be read: %s", self._path, exc)
            raise InstructionUnavailable(
                t("The instruction file cannot be read. Ask the bot operator to check INSTRUCTION_FILE.")
            ) from None


def bundled_instruction(language: str) -> str:
    """The guide shipped with the bot, `resources/instruction.<language>.md`, else the English one."""
    guides = resources.files("trainer_bot").joinpath("resources")
    guide = guides.joinpath(f"instruction.{language}.md")
    if not guide.is_file():
        guide = guides.joinpath(f"instruction.{SOURCE.language}.md")
    return guide.read_text("utf-8")
