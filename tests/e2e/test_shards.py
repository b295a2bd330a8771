"""Two bot processes, each holding one shard of two: every guild is served by its shard's holder alone.

Both bots run in this test's process (real hikari, real sockets) on one DATA_DIR and one PostgreSQL
database, as two processes of a deployment must (SQLite cannot be shared by several processes).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import hikari
import pytest

from discord_sandbox import DiscordEmulator
from discord_sandbox.sharding import shard_of
from discord_sandbox.state import Guild, Member
from support.logguard import LogGuard
from trainer_bot.app import TrainerBot
from trainer_bot.config import Settings

from .conftest import answer_to, empty_postgres

SHARDS = 2
GUILDS_PER_SHARD = 3


class Deployment:
    """The two bots, which shard each holds, and which interactions and messages each one heard."""

    def __init__(self, make_settings: Callable[[int], Settings]) -> None:
        self._make_settings = make_settings
        self.bots: dict[int, TrainerBot] = {}
        self.heard: dict[int, list[int]] = {shard: [] for shard in range(SHARDS)}  # shard -> guild ids

    async def start(self, shard: int) -> TrainerBot:
        bot = TrainerBot(self._make_settings(shard))
        self.bots[shard] = bot

        async def heard(event: hikari.InteractionCreateEvent | hikari.GuildMessageCreateEvent) -> None:
            guild_id = (
                event.interaction.guild_id
                if isinstance(event, hikari.InteractionCreateEvent)
                else event.guild_id
            )
            if guild_id is not None:
                self.heard[shard].append(int(guild_id))

        bot.bot.subscribe(hikari.InteractionCreateEvent, heard)
        bot.bot.subscribe(hikari.GuildMessageCreateEvent, heard)
        await bot.start()
        return bot

    async def stop(self, shard: int) -> None:
        await self.bots.pop(shard).stop()


@pytest.fixture
async def guilds(emulator: DiscordEmulator) -> dict[int, list[Guild]]:
    """Six guilds, three on each shard of two (the default guild among them)."""
    default_shard = shard_of(emulator.guild.id, SHARDS)
    for shard in range(SHARDS):
        wanted = GUILDS_PER_SHARD - (shard == default_shard)
        for number in range(wanted):
            await emulator.add_guild(f"guild {shard}.{number}", shard=(shard, SHARDS))
    return {shard: emulator.guilds_of_shard(shard, SHARDS) for shard in range(SHARDS)}


@pytest.fixture
async def members(emulator: DiscordEmulator, guilds: dict[int, list[Guild]]) -> dict[int, Member]:
    """One member in each guild, by guild id."""
    return {
        guild.id: await emulator.add_member(f"member of {guild.name}", guild=guild)
        for on_shard in guilds.values()
        for guild in on_shard
    }


@pytest.fixture
async def deployment(
    postgres_url: str,
    settings_for: Callable[..., Settings],
    data_dir: Path,
    log_guard: LogGuard,
) -> AsyncIterator[Deployment]:
    shared_database = await empty_postgres(postgres_url)

    def make_settings(shard: int) -> Settings:
        overrides: dict[str, Any] = {
            "voice": False,
            "dev_guilds": (),  # global commands, as a sharded bot has
            "data_dir": data_dir,  # one DATA_DIR for both
            "database_url": shared_database,
            "job_queue": "procrastinate",  # the only queue several processes may share
            "shard_ids": (shard,),
            "shard_count": SHARDS,
        }
        return settings_for(**overrides)

    deployment = Deployment(make_settings)
    try:
        yield deployment
    finally:
        for shard in list(deployment.bots):
            await deployment.stop(shard)


async def says_hi(emulator: DiscordEmulator, member: Member) -> bool:
    interaction = await emulator.slash(member, "hi")
    return (await emulator.response(interaction)).content == "HI!"


async def test_each_guild_is_served_by_the_process_holding_its_shard(
    emulator: DiscordEmulator,
    guilds: dict[int, list[Guild]],
    members: dict[int, Member],
    deployment: Deployment,
) -> None:
    # Started one after the other: the second must not sync the commands the first registered.
    for shard in range(SHARDS):
        await deployment.start(shard)
    for shard_guilds in guilds.values():
        for guild in shard_guilds:
            await emulator.wait_until_ready(guild=guild)

    command_calls = [call for call in emulator.rest.calls if call[1].endswith("/commands")]
    assert [method for method, _ in command_calls] == ["GET", "PUT"], "synced once, by shard 0's process"
    assert [guild for guild, _ in emulator.command_syncs] == [None]

    for shard, shard_guilds in guilds.items():
        for guild in shard_guilds:
            assert await says_hi(emulator, members[guild.id])
            question = await emulator.send_message(
                members[guild.id], "who wrote war and peace", mention_bot=True
            )
            answer = await answer_to(emulator, question)
            assert answer.content.startswith("I don't know that yet")
            assert answer.channel_id == emulator.text_channel_of(guild).id
        # Every interaction and message of the shard's guilds reached its holder, and only it.
        assert sorted(set(deployment.heard[shard])) == sorted(guild.id for guild in shard_guilds)
    await asyncio.sleep(0.5)  # time for a second answer, were one coming
    for guild_id in members:
        channel = emulator.text_channel_of(emulator.guilds[guild_id])
        assert len(emulator.bot_messages(channel)) == 2, "the /hi reply and one answer, from one process"


async def test_when_one_process_stops_the_other_keeps_its_guilds_and_a_restart_brings_them_back(
    emulator: DiscordEmulator,
    guilds: dict[int, list[Guild]],
    members: dict[int, Member],
    deployment: Deployment,
) -> None:
    for shard in range(SHARDS):
        await deployment.start(shard)
    await emulator.wait_until_ready(guild=guilds[1][0])

    await deployment.stop(0)  # the process that synced the commands and receives DMs
    for guild in guilds[1]:
        assert await says_hi(emulator, members[guild.id])
    unheard = await emulator.slash(members[guilds[0][0].id], "hi")
    await asyncio.sleep(1.0)
    assert not unheard.acknowledged, "a stopped shard's guilds are answered by no one else"

    await deployment.start(0)
    for shard_guilds in guilds.values():
        for guild in shard_guilds:
            assert await says_hi(emulator, members[guild.id])
