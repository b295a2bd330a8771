"""Why the bot could not start, in one line an operator can act on, and the exit status to use."""

from __future__ import annotations

import errno

import aiohttp
import hikari

from trainer_bot.config import Settings

EXIT_FAILED, EXIT_CONFIG = 1, 2


class StartupError(Exception):
    """The bot cannot start; the message says why in one line."""


class TokenRejected(StartupError):
    pass


class DiscordUnreachable(StartupError):
    pass


TOKEN_REJECTED = (
    "Discord refused DISCORD_TOKEN (401 Unauthorized): reset the token in the Developer Portal "
    "(Bot -> Reset Token) and put the new one in .env"
)


async def check_discord(settings: Settings, timeout: float = 10.0) -> None:
    """Ask Discord who we are before anything else starts, so a bad token or an unreachable API is one
    clear line instead of failures deep inside the gateway's start."""
    headers = {"Authorization": f"Bot {settings.require_token()}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(f"{settings.discord_api_url}/users/@me", headers=headers) as response,
        ):
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DiscordUnreachable(
            f"could not reach Discord at {settings.discord_api_url}: {_reason(exc)}"
        ) from None
    if status == 401:
        raise TokenRejected(TOKEN_REJECTED)
    if status >= 400:
        raise StartupError(f"Discord answered {status} to the first request; try again later")


def explain_failure(exc: BaseException, settings: Settings) -> tuple[str, int]:
    """(one line, exit status): 2 where the operator's configuration must change, 1 otherwise."""
    if isinstance(exc, TokenRejected | hikari.UnauthorizedError):
        return TOKEN_REJECTED, EXIT_CONFIG
    if isinstance(exc, StartupError):
        return str(exc), EXIT_FAILED
    if isinstance(exc, aiohttp.ClientConnectionError | hikari.HTTPError | TimeoutError):
        return f"could not reach Discord at {settings.discord_api_url}: {_reason(exc)}", EXIT_FAILED
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"AUDIO_PORT {settings.audio_port} on {settings.audio_host} is already in use: stop what uses it "
            "or choose another AUDIO_PORT",
            EXIT_CONFIG,
        )
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}; check DATA_DIR ({settings.data_dir})", EXIT_CONFIG
    return f"could not start: {_reason(exc)} (LOG_LEVEL=DEBUG shows the details)", EXIT_FAILED


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
