"""What the /files commands answer, each within one Discord message."""

from __future__ import annotations

from trainer_bot.text import DISCORD_MESSAGE_LIMIT, human_size, inline_code
from trainer_bot.workspace.paths import FolderListing, ListedEntry, Removed
from trainer_bot.workspace.service import Quota, Saved, quota_text


def saved_text(saved: Saved) -> str:
    replaced = ", replacing the file that had that name" if saved.replaced else ""
    return (
        f"Saved {inline_code(saved.relative)} ({human_size(saved.size)}){replaced}. {quota_line(saved.quota)}"
    )


def removed_text(removed: Removed, quota: Quota) -> str:
    what = "the folder" if removed.folder else "the file"
    files = "1 file" if removed.files == 1 else f"{removed.files} files"
    return (
        f"Deleted {what} {inline_code(removed.relative)}: {files}, {human_size(removed.size)}. "
        f"{quota_line(quota)}"
    )


def listing_text(listing: FolderListing, quota: Quota, limit: int = DISCORD_MESSAGE_LIMIT) -> str:
    """The folder's entries, as many as fit in `limit` characters, then how many more there are."""
    footer = quota_line(quota)
    title = "The workspace" if listing.relative == "." else inline_code(f"{listing.relative}/")
    if listing.total == 0:
        return f"{title} is empty. {footer}"
    lines = [f"{title}:"]
    # Room for the "and N more" line, whatever N turns out to be.
    room = limit - len(footer) - len(lines[0]) - 40
    for entry in listing.entries:
        line = _entry_line(entry)
        if len(line) + 1 > room:
            break
        lines.append(line)
        room -= len(line) + 1
    hidden = listing.total - (len(lines) - 1)
    if hidden > 0 or not listing.counted_all:
        lines.append(f"…and {'at least ' if not listing.counted_all else ''}{hidden} more.")
    lines.append(footer)
    return "\n".join(lines)


def _entry_line(entry: ListedEntry) -> str:
    name = inline_code(entry.name + "/" if entry.folder else entry.name)
    if entry.size is None:
        return f"- {name}"
    size = human_size(entry.size)
    return f"- {name} {size if entry.size_complete else f'more than {size}'}"


def quota_line(quota: Quota) -> str:
    return f"Quota for `files` and `archives`: {quota_text(quota)} used."
