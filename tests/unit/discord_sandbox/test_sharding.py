"""The emulator shards as Discord does: each session holds one shard and hears only its guilds' events.

A raw websocket client plays each shard, so every rule is checked without hikari in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from discord_sandbox import DiscordEmulator
from discord_sandbox.sharding import recommended_shards, shard_of, snowflake_on_shard
from discord_sandbox.state import Guild

MESSAGE_CONTENT = 1 << 15
QUIET = 0.2  # how long a session must hear nothing to count as not told


class RawShard:
    """One gateway connection that identifies as [shard_id, shard_count] and collects its dispatches."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def identify(self, token: str, shard: list[int] | None) -> None:
        hello = await self.ws.receive_json(timeout=5)
        assert hello["op"] == 10
        data: dict[str, Any] = {"token": token, "intents": MESSAGE_CONTENT, "properties": {}}
        if shard is not None:
            data["shard"] = shard
        await self.ws.send_json({"op": 2, "d": data})

    async def next_event(self, timeout: float = 5) -> tuple[str, dict[str, Any]]:
        frame = await self.ws.receive_json(timeout=timeout)
        return frame["t"], frame["d"]

    async def events(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        return [await self.next_event() for _ in range(count)]

    async def hears_nothing(self) -> bool:
        try:
            await self.ws.receive_json(timeout=QUIET)
        except TimeoutError:
            return True
        return False

    async def close_code(self) -> int | None:
        message = await self.ws.receive(timeout=5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
        return self.ws.close_code


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    emulator = DiscordEmulator(max_guilds_per_shard=3)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def guilds(emulator: DiscordEmulator) -> dict[int, list[Guild]]:
    """The default guild and three more, with both shards of two holding at least one."""
    for number, shard_id in enumerate((0, 1, 1)):
        await emulator.add_guild(f"guild {number}", shard=(shard_id, 2))
    by_shard: dict[int, list[Guild]] = {0: [], 1: []}
    for guild in emulator.guilds.values():
        by_shard[shard_of(guild.id, 2)].append(guild)
    return by_shard


async def connect(
    http: aiohttp.ClientSession, emulator: DiscordEmulator, shard: list[int] | None
) -> RawShard:
    raw = RawShard(await http.ws_connect(emulator.gateway_url))
    await raw.identify(emulator.token, shard)
    return raw


async def ready(http: aiohttp.ClientSession, emulator: DiscordEmulator, shard: list[int]) -> RawShard:
    """A session that identified and read its READY and GUILD_CREATEs."""
    raw = await connect(http, emulator, shard)
    guild_count = len(emulator.guilds_of_shard(*shard))
    await raw.events(1 + guild_count)
    return raw


def test_a_guild_takes_the_shard_of_its_id_and_the_recommendation_covers_every_guild() -> None:
    assert shard_of(5 << 22, 2) == 1 and shard_of(6 << 22, 4) == 2 and shard_of(7, 3) == 0
    assert all(shard_of(snowflake_on_shard(shard, 5), 5) == shard for shard in range(5))
    assert recommended_shards(0, 2500) == 1
    assert recommended_shards(2500, 2500) == 1
    assert recommended_shards(2501, 2500) == 2


async def test_ready_names_only_the_shards_guilds_and_a_guild_create_follows_for_each(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, guilds: dict[int, list[Guild]]
) -> None:
    for shard_id in (0, 1):
        raw = await connect(http, emulator, [shard_id, 2])
        name, ready_event = await raw.next_event()
        expected = {str(guild.id) for guild in guilds[shard_id]}
        assert name == "READY" and ready_event["shard"] == [shard_id, 2]
        assert {g["id"] for g in ready_event["guilds"]} == expected
        assert all(g["unavailable"] for g in ready_event["guilds"])
        created = await raw.events(len(expected))
        assert {(n, e["id"]) for n, e in created} == {("GUILD_CREATE", guild_id) for guild_id in expected}
        assert await raw.hears_nothing()


async def test_a_guilds_events_reach_only_the_session_holding_its_shard(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, guilds: dict[int, list[Guild]]
) -> None:
    shards = [await ready(http, emulator, [0, 2]), await ready(http, emulator, [1, 2])]
    emulator.global_commands = [{"id": "1", "name": "hi", "type": 1, "options": []}]
    for shard_id, raw in enumerate(shards):
        other = shards[1 - shard_id]
        guild = guilds[shard_id][-1]
        member = await emulator.add_member("carol", guild=guild)
        assert await raw.next_event() == ("GUILD_MEMBER_ADD", raw_member_add(member.id, guild.id))
        await emulator.send_message(member, "hello")
        name, message = await raw.next_event()
        assert (name, message["guild_id"], message["content"]) == ("MESSAGE_CREATE", str(guild.id), "hello")
        await emulator.move_member(member, emulator.voice_channel_of(guild))
        name, state = await raw.next_event()
        assert (name, state["guild_id"]) == ("VOICE_STATE_UPDATE", str(guild.id))
        interaction = await emulator.slash(member, "hi")
        name, created = await raw.next_event()
        assert (name, created["id"], created["guild_id"]) == (
            "INTERACTION_CREATE",
            str(interaction.id),
            str(guild.id),
        )
        assert "guild_id" not in created["data"]  # a global command names no guild it was registered in
        assert await other.hears_nothing()


def raw_member_add(member_id: int, guild_id: int) -> Any:
    return Matching(
        lambda event: event["user"]["id"] == str(member_id) and event["guild_id"] == str(guild_id)
    )


class Matching:
    """Equal to any value the predicate accepts (for asserting one field of a large payload)."""

    def __init__(self, predicate: Any) -> None:
        self.predicate = predicate

    def __eq__(self, other: object) -> bool:
        return bool(self.predicate(other))

    def __hash__(self) -> int:
        return 0


async def test_a_new_guild_is_announced_on_its_shard_only(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, guilds: dict[int, list[Guild]]
) -> None:
    shards = [await ready(http, emulator, [0, 2]), await ready(http, emulator, [1, 2])]
    guild = await emulator.add_guild("late", shard=(1, 2))
    name, created = await shards[1].next_event()
    assert (name, created["id"]) == ("GUILD_CREATE", str(guild.id))
    assert await shards[0].hears_nothing()


async def test_direct_messages_go_to_shard_zero(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, guilds: dict[int, list[Guild]]
) -> None:
    shards = [await ready(http, emulator, [0, 2]), await ready(http, emulator, [1, 2])]
    stranger = guilds[1][-1].members[guilds[1][-1].owner_id].user
    await emulator.send_dm(stranger, "hello in private")
    name, message = await shards[0].next_event()
    assert (name, message["content"]) == ("MESSAGE_CREATE", "hello in private")
    assert "guild_id" not in message
    assert await shards[1].hears_nothing()


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0]])
async def test_a_shard_outside_its_count_is_refused_with_invalid_shard(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, shard: list[int]
) -> None:
    raw = await connect(http, emulator, shard)
    assert await raw.close_code() == 4010
    assert emulator.gateway.refusals == [4010]


async def test_a_count_that_disagrees_with_a_live_session_is_refused_until_that_session_goes(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, guilds: dict[int, list[Guild]]
) -> None:
    first = await ready(http, emulator, [0, 2])
    raw = await connect(http, emulator, [1, 3])
    assert await raw.close_code() == 4010
    await first.ws.close()
    await emulator.wait_for(lambda: not emulator.gateway.connected.is_set(), 5, "the first session to go")
    again = await connect(http, emulator, [1, 3])
    name, ready_event = await again.next_event()
    assert name == "READY" and ready_event["shard"] == [1, 3]


async def test_a_shard_holding_more_guilds_than_allowed_is_refused_with_sharding_required(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, guilds: dict[int, list[Guild]]
) -> None:
    # Four guilds and at most three a shard: one shard is too few, two are enough.
    raw = await connect(http, emulator, None)  # no shard field: Discord takes it as [0, 1]
    assert await raw.close_code() == 4011
    assert emulator.gateway.refusals == [4011]
    await ready(http, emulator, [0, 2])


async def test_gateway_bot_recommends_enough_shards_for_the_guilds(
    emulator: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bot {emulator.token}"}

    async def recommended() -> int:
        async with http.get(f"{emulator.api_url}/gateway/bot", headers=headers) as response:
            body = await response.json()
        assert body["session_start_limit"]["max_concurrency"] >= 1
        return int(body["shards"])

    assert await recommended() == 1  # the default guild alone
    for number in range(3):
        await emulator.add_guild(f"guild {number}")
    assert await recommended() == 2  # four guilds, three a shard


async def test_events_of_a_shard_whose_session_went_wait_for_it_and_reach_no_other(
    emulator: DiscordEmulator, http: aiohttp.ClientSession, guilds: dict[int, list[Guild]]
) -> None:
    shards = [await ready(http, emulator, [0, 2]), await ready(http, emulator, [1, 2])]
    await shards[1].ws.close()
    await asyncio.sleep(0.05)
    member = await emulator.add_member("dave", guild=guilds[1][0])
    await emulator.send_message(member, "anyone?")
    assert await shards[0].hears_nothing()
    session = emulator.gateway.shards[1]
    assert [frame["t"] for frame in session.log[-2:]] == ["GUILD_MEMBER_ADD", "MESSAGE_CREATE"]
