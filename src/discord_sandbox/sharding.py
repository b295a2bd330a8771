"""Discord's sharding rules: which shard a guild's events take, and which IDENTIFYs are refused."""

from __future__ import annotations

import math
from collections.abc import Iterable

from discord_sandbox.snowflakes import new_snowflake

INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011
# Discord refuses a shard that would hold more guilds than this.
DISCORD_MAX_GUILDS_PER_SHARD = 2500


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events; DMs (no guild) always go to shard 0."""
    return (guild_id >> 22) % shard_count


def snowflake_on_shard(shard_id: int, shard_count: int) -> int:
    """A new snowflake whose guild would take `shard_id`: its creation time moved a few ms on."""
    snowflake = new_snowflake()
    return snowflake + (((shard_id - (snowflake >> 22)) % shard_count) << 22)


def recommended_shards(guild_count: int, max_guilds_per_shard: int) -> int:
    """What GET /gateway/bot recommends: enough shards that none holds more guilds than allowed."""
    return max(1, math.ceil(guild_count / max_guilds_per_shard))


def refusal(
    shard_id: int,
    shard_count: int,
    *,
    live_counts: Iterable[int],
    guild_ids: Iterable[int],
    max_guilds_per_shard: int,
) -> tuple[int, str] | None:
    """The close code and reason Discord answers an IDENTIFY for [shard_id, shard_count] with, if any.

    `live_counts` are the shard counts of the sessions connected now: every shard of one bot must use the
    same count, or two shards would both receive (or both miss) a guild's events.
    """
    if shard_count < 1 or not 0 <= shard_id < shard_count:
        return INVALID_SHARD, "Invalid shard."
    if any(count != shard_count for count in live_counts):
        return INVALID_SHARD, "Invalid shard."
    held = sum(1 for guild_id in guild_ids if shard_of(guild_id, shard_count) == shard_id)
    if held > max_guilds_per_shard:
        return SHARDING_REQUIRED, "Sharding required."
    return None
