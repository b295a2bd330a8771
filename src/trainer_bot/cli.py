"""`trainer-bot run` and the operator's other subcommands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from pydantic import SecretStr

from trainer_bot import __version__
from trainer_bot.config import ConfigError, Settings, configure_logging, load_settings

EXIT_CONFIG = 2


def _configured(*, needs_token: bool = False) -> Settings | None:
    """The settings, with logging set up; None once the one line saying what is wrong is printed."""
    try:
        settings = load_settings()
        if needs_token:
            settings.bot_user_id()  # a token that is not a bot token stops here, in one line
    except ConfigError as exc:
        print(f"trainer-bot: {exc}", file=sys.stderr)
        return None
    configure_logging(settings.log_level)
    return settings


def _run() -> int:
    settings = _configured(needs_token=True)
    if settings is None:
        return EXIT_CONFIG

    from trainer_bot.app import TrainerBot  # imported late: hikari is slow to import

    return _until_stopped(lambda: TrainerBot(settings).serve(), settings)


def _until_stopped(serve: Callable[[], Coroutine[Any, Any, None]], settings: Settings) -> int:
    """Serve until stopped; a start that cannot work ends in one line and the exit status it deserves."""
    from trainer_bot.startup import explain_failure

    try:
        asyncio.run(serve())
    except Exception as exc:
        line, status = explain_failure(exc, settings)
        # The traceback only where the operator asked for details.
        print(f"trainer-bot: {line}", file=sys.stderr)
        if settings.log_level == "DEBUG":
            traceback.print_exception(exc)
        return status
    return 0


def _worker() -> int:
    """Run /train jobs from the task queue (JOB_QUEUE=procrastinate), beside any number of bots and workers."""
    settings = _configured()
    if settings is None:
        return EXIT_CONFIG
    if not settings.queued_jobs:
        print(
            "trainer-bot: the worker runs the jobs of JOB_QUEUE=procrastinate: set DATABASE_URL to the bot's "
            "PostgreSQL database (JOB_QUEUE=auto or procrastinate)",
            file=sys.stderr,
        )
        return EXIT_CONFIG

    from trainer_bot.worker import serve_worker  # imported late: only workers need procrastinate

    return _until_stopped(lambda: serve_worker(settings), settings)


def _stt_server(host: str, port: int) -> int:
    """The local Whisper worker behind an OpenAI-compatible API, for deployments that scale speech apart."""
    settings = _configured()
    if settings is None:
        return EXIT_CONFIG

    from trainer_bot.speech.stt import transcriber_for
    from trainer_bot.speech.stt_server import serve_stt

    transcriber = transcriber_for(settings, local=True)  # this process is the server

    async def serve() -> None:
        task = asyncio.ensure_future(serve_stt(host, port, transcriber, max_bytes=settings.stt_max_bytes))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(serve())
    return 0


def _sandbox(host: str, port: int) -> int:
    """The bot against the local Discord emulator and fake Lavalink node, used from a web page."""
    settings = _configured()
    if settings is None:
        return EXIT_CONFIG

    from trainer_bot.sandbox import serve_sandbox  # imported late: hikari is slow to import

    def ready(url: str) -> None:
        print(f"trainer-bot sandbox: open {url} in a browser (Ctrl-C stops)", flush=True)

    return _until_stopped(lambda: serve_sandbox(settings, host=host, port=port, on_ready=ready), settings)


def _check() -> int:
    """One line per part the bot needs; exit 1 when any part fails."""
    try:
        settings = load_settings()
        settings.bot_user_id()
    except ConfigError as exc:
        print(f"trainer-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    from trainer_bot.checks import FAIL, run_checks, table

    results = asyncio.run(run_checks(settings))
    print(table(results))
    return 1 if any(check.status == FAIL for check in results) else 0


def settings_help() -> str:
    """Every setting with its default, for `trainer-bot run --help`."""
    lines = ["settings (environment variables, also read from .env):"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if field.is_required() or default is None or default == ():
            shown = "required" if name == "discord_token" else "unset"
        elif isinstance(default, tuple):
            shown = ",".join(str(item) for item in default)
        elif isinstance(default, SecretStr):
            shown = "(hidden)"
        else:
            shown = str(default)
        lines.append(f"  {name.upper():<28} {shown}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="trainer-bot", description="A Discord bot that learns from its community."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run",
        help="connect to Discord and serve commands",
        description="Connect to Discord and serve commands. Settings come from the environment and .env "
        "(see README.md, Configuration).",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands.add_parser(
        "check",
        help="check settings, Discord, the database, the speech model, Lavalink and the audio URL",
        description="Check what the bot needs, one line per part; exit status 1 when a part fails. "
        "Run it while the bot is stopped: it briefly listens on AUDIO_PORT.",
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="try the bot in a browser: a local Discord and Lavalink, no Discord application needed",
        description="Start a local Discord emulator, a fake Lavalink node and the bot, and serve a page that "
        "looks and behaves like a Discord channel. Data goes to DATA_DIR/sandbox and starts empty each run.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address the page listens on")
    sandbox.add_argument("--port", type=int, default=8765, help="the page's port (0: any free port)")
    commands.add_parser(
        "worker",
        help="run /train jobs from the task queue in PostgreSQL (JOB_QUEUE=procrastinate)",
        description="Take /train jobs from the task queue in the bot's PostgreSQL database and run them, "
        "TRAINING_WORKERS at a time. Run any number, anywhere that reaches the database and shares DATA_DIR.",
    )
    stt = commands.add_parser(
        "stt-server", help="serve speech recognition over an OpenAI-compatible HTTP API"
    )
    stt.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    stt.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run()
    if args.command == "check":
        return _check()
    if args.command == "sandbox":
        return _sandbox(args.host, args.port)
    if args.command == "worker":
        return _worker()
    if args.command == "stt-server":
        return _stt_server(args.host, args.port)
    parser.error(f"unknown command {args.command}")
    return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
