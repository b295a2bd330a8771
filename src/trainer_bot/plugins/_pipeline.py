"""What every command shares: an invocation log line, and one answer for every kind of failure."""

from __future__ import annotations

import logging
import secrets
import time

import hikari
import lightbulb
from lightbulb.prefab import MissingRequiredPermission, OnCooldown

from trainer_bot.errors import UserError

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


INVOCATION_HOOKS = (start_timer, log_invocation)


def _permission_name(permission: hikari.Permissions) -> str:
    """The name members see in Discord's settings (hikari's MANAGE_GUILD is "Manage Server" there)."""
    name = (permission.name or "").replace("_", " ").title()
    return name.replace("Guild", "Server")


def _answer_for(exc: Exception, ctx: lightbulb.Context) -> str | None:
    """The plain answer for failures a member caused; None for failures that are our fault."""
    if isinstance(exc, OnCooldown):
        return f"Slow down: you can use /{ctx.command_data.qualified_name} again in {exc.remaining:.0f} s."
    if isinstance(exc, MissingRequiredPermission):
        needed = ", ".join(_permission_name(p) for p in exc.missing) or "more permissions"
        return f"You need the {needed} permission to use /{ctx.command_data.qualified_name}."
    if isinstance(exc, UserError):
        return str(exc)
    return None


async def handle_command_error(exc: lightbulb.exceptions.ExecutionPipelineFailedException) -> bool:
    """Answer every failed command ephemerally; unexpected failures get an id that is also in the log."""
    ctx = exc.context
    answers = [answer for cause in exc.causes if (answer := _answer_for(cause, ctx)) is not None]
    if answers and len(answers) == len(exc.causes):
        message = answers[0]
        _LOGGER.info("%s refused: %s", _describe(ctx), message)
    else:
        error_id = secrets.token_hex(4)
        _LOGGER.error("%s crashed [error id %s]", _describe(ctx), error_id, exc_info=exc.__cause__ or exc)
        message = f"Something went wrong on my side (error id `{error_id}`). The bot operator can look it up."
    try:
        await ctx.respond(message, ephemeral=True)
    except hikari.HikariError as respond_failure:
        # The interaction may have expired; the log still has the failure.
        _LOGGER.warning(
            "could not tell the member about a failure of %s: %s", _describe(ctx), respond_failure
        )
    return True
