"""How a /train job ends when the process that took the command restarted meanwhile.

The worker ran on, but the member's reply belonged to an interaction of the process that died, so it
cannot be edited any more; the job's channel hears the outcome instead, in the guild's language.
"""

from __future__ import annotations

import logging

import hikari

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.i18n import Translations
from trainer_bot.plugins._language import guild_translator
from trainer_bot.storage import TrainingJob
from trainer_bot.text import DISCORD_MESSAGE_LIMIT, truncate_message
from trainer_bot.training import reports

_LOGGER = logging.getLogger(__name__)


class ResumedJobAnnouncer:
    """The `on_update` of jobs followed again after a restart: silent until the job ends."""

    def __init__(
        self,
        rest: hikari.api.RESTClient,
        cache: hikari.api.Cache,
        translations: Translations,
        preferences: GuildPreferences,
    ) -> None:
        self._rest = rest
        self._cache = cache
        self._translations = translations
        self._preferences = preferences

    async def __call__(self, job: TrainingJob) -> None:
        if not job.status.finished or job.channel_id is None:
            return
        channel = await guild_translator(self._translations, self._preferences, self._cache, job.guild_id)
        text = channel.render(reports.job_ended_text(job, f"<@{job.requested_by}>"))
        text = truncate_message(text, DISCORD_MESSAGE_LIMIT)  # a long error list keeps its head
        try:
            await self._rest.create_message(job.channel_id, text, user_mentions=[job.requested_by])
        except hikari.HikariError as exc:
            _LOGGER.warning("could not announce the end of job %d: %s", job.id, exc)
