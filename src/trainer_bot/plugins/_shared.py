"""Pieces the plugins share: permission hooks, cooldowns, and workspace autocomplete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import hikari
import lightbulb

from trainer_bot.errors import UserError
from trainer_bot.i18n import t
from trainer_bot.workspace.paths import PathKind
from trainer_bot.workspace.service import FileService

MANAGE_GUILD = hikari.Permissions.MANAGE_GUILD
# The runtime check beside `default_member_permissions`: server admins can override the latter per role.
NEEDS_MANAGE_GUILD = lightbulb.prefab.has_permissions(MANAGE_GUILD)


def per_user_cooldown(seconds: float, uses: int) -> lightbulb.ExecutionHook:
    return lightbulb.prefab.sliding_window(seconds, uses, "user")


def workspace_paths(kind: PathKind) -> Callable[[lightbulb.AutocompleteContext[str]], Awaitable[None]]:
    """Autocomplete over the guild's workspace. Discord does not validate the choice: commands re-check it."""

    @lightbulb.di.with_di
    async def suggest(
        ctx: lightbulb.AutocompleteContext[str], files: FileService = lightbulb.di.INJECTED
    ) -> None:
        guild_id = ctx.interaction.guild_id
        if guild_id is None:
            await ctx.respond([])
            return
        prefix = str(ctx.focused.value or "")
        await ctx.respond(files.complete(guild_id, prefix, kind))

    return suggest


def require_guild(ctx: lightbulb.Context) -> int:
    """Workspace commands are guild commands; DMs have no workspace."""
    if ctx.guild_id is None:
        raise UserError(t("This command works in a server, not in direct messages."))
    return int(ctx.guild_id)
