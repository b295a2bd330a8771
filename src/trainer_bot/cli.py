"""`trainer-bot run` and the operator's other subcommands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from trainer_bot.config import ConfigError, configure_logging, load_settings

EXIT_CONFIG = 2


def _run() -> int:
    try:
        settings = load_settings()
        settings.require_token()
    except ConfigError as exc:
        print(f"trainer-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level)

    from trainer_bot.app import StartupError, TrainerBot  # imported late: hikari is slow to import

    try:
        asyncio.run(TrainerBot(settings).serve())
    except StartupError as exc:
        print(f"trainer-bot: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="trainer-bot", description="A Discord bot that learns from its community."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="connect to Discord and serve commands")
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run()
    parser.error(f"unknown command {args.command}")
    return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
