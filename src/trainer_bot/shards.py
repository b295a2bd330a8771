"""Which guilds this process serves when the bot runs as several processes, each holding some shards.

Discord sends a guild's events, interactions included, only to the shard `(guild_id >> 22) % shard_count`,
so the process holding that shard is the only one that hears the guild; DMs go to shard 0.
"""

from __future__ import annotations

from dataclasses import dataclass


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """`0-1`, `0,2` or `0-3,8`: sorted, without repeats; ValueError naming the part that is wrong."""
    ids: set[int] = set()
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            raise ValueError(f"{part!r} is not a shard id or a range: give ids such as 0-1 or 0,2")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"the range {part!r} runs backwards: give it as {high}-{low}")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


@dataclass(frozen=True)
class ShardRange:
    """The shards this process holds: `ids` of `count`; no ids means every shard (one process)."""

    ids: tuple[int, ...] = ()
    count: int | None = None

    @property
    def everything(self) -> bool:
        return not self.ids

    @property
    def holds_shard_zero(self) -> bool:
        """Shard 0 also receives DMs; its process is the one that syncs commands by default."""
        return self.everything or 0 in self.ids

    def holds(self, guild_id: int) -> bool:
        """Whether this process receives the guild's events (and so keeps its in-memory state)."""
        if self.everything or self.count is None:
            return True
        return (guild_id >> 22) % self.count in self.ids

    def describe(self) -> str:
        if self.everything:
            return "every shard" if self.count is None else f"every shard of {self.count}"
        return f"shard{'s' if len(self.ids) > 1 else ''} {','.join(map(str, self.ids))} of {self.count}"
