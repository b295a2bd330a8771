"""What every command shares: an invocation log line, and one answer for every kind of failure."""

from __future__ import annotations

import logging
import secrets
import time

import hikari
import lightbulb
from lightbulb.prefab import MissingRequiredPermission, OnCooldown

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, Translations, Translator, t
from trainer_bot.plugins._language import command_name, for_context

_LOGGER = logging.getLogger("trainer_bot.commands")

# Interaction id -> perf_counter() at the first step of the pipeline.
_started: dict[int, float] = {}


def _describe(ctx: lightbulb.Context) -> str:
    return f"/{ctx.command_data.qualified_name} guild={ctx.guild_id} user={ctx.user.id}"


@lightbulb.hook(lightbulb.ExecutionSteps.MAX_CONCURRENCY, name="invocation-timer")
def start_timer(_: lightbulb.ExecutionPipeline, ctx: lightbulb.Context) -> None:
    _started[ctx.interaction.id] = time.perf_counter()


@lightbulb.hook(lightbulb.ExecutionSteps.POST_INVOKE, name="invocation-log")
def log_invocation(pipeline: lightbulb.ExecutionPipeline, ctx: lightbulb.Context) -> None:
    started = _started.pop(ctx.interaction.id, None)
    duration_ms = (time.perf_counter() - started) * 1000 if started is not None else float("nan")
    outcome = "failed" if pipeline.failed else "ok"
    _LOGGER.info("%s %s in %.1f ms", _describe(ctx), outcome, duration_ms)


@lightbulb.hook(lightbulb.ExecutionSteps.MAX_CONCURRENCY, name="member-locale")
def remember_locale(
    _: lightbulb.ExecutionPipeline,
    ctx: lightbulb.Context,
    preferences: GuildPreferences = lightbulb.di.INJECTED,
) -> None:
    # Discord tells a member's client language with commands only; their voice messages may use it.
    preferences.remember_locale(ctx.user.id, str(ctx.interaction.locale))


INVOCATION_HOOKS = (start_timer, remember_locale, log_invocation)


# The names members see in Discord's settings (hikari's MANAGE_GUILD is "Manage Server" there).
_PERMISSION_NAMES = {
    hikari.Permissions.MANAGE_GUILD: t("Manage Server"),
}


def _permission_name(translator: Translator, permission: hikari.Permissions) -> str:
    known = _PERMISSION_NAMES.get(permission)
    if known is not None:
        return translator.render(known)
    return (permission.name or "").replace("_", " ").title().replace("Guild", "Server")


def _answer_for(exc: Exception, ctx: lightbulb.Context, translator: Translator) -> str | None:
    """The plain answer for failures a member caused; None for failures that are our fault."""
    command = command_name(translator, ctx.command_data.qualified_name)
    message: Message | str
    if isinstance(exc, OnCooldown):
        message = t(
            "Slow down: you can use {command} again in {seconds} s.",
            command=command,
            seconds=round(exc.remaining),
        )
    elif isinstance(exc, MissingRequiredPermission):
        needed = ", ".join(_permission_name(translator, p) for p in exc.missing) or translator.render(
            t("more permissions")
        )
        message = t(
            "You need the {permission} permission to use {command}.", permission=needed, command=command
        )
    elif isinstance(exc, UserError):
        message = exc.message
    else:
        return None
    return translator.render(message)


async def handle_command_error(
    exc: lightbulb.exceptions.ExecutionPipelineFailedException,
    translations: Translations = lightbulb.di.INJECTED,
) -> bool:
    """Answer every failed command ephemerally, in the caller's language; unexpected failures get an id that
    is also in the log. (Registered with `client.error_handler`, which injects `translations`.)"""
    ctx = exc.context
    translator = for_context(translations, ctx)
    answers = [answer for cause in exc.causes if (answer := _answer_for(cause, ctx, translator)) is not None]
    if answers and len(answers) == len(exc.causes):
        message = answers[0]
        _LOGGER.info("%s refused: %s", _describe(ctx), message)
    else:
        error_id = secrets.token_hex(4)
        _LOGGER.error("%s crashed [error id %s]", _describe(ctx), error_id, exc_info=exc.__cause__ or exc)
        message = translator.render(
            t(
                "Something went wrong on my side (error id `{error_id}`). The bot operator can look it up.",
                error_id=error_id,
            )
        )
    try:
        await ctx.respond(message, ephemeral=True)
    except hikari.HikariError as respond_failure:
        # The interaction may have expired; the log still has the failure.
        _LOGGER.warning(
            "could not tell the member about a failure of %s: %s", _describe(ctx), respond_failure
        )
    return True
