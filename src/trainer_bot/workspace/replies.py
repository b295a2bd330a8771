"""What the /files commands answer, each within one Discord message."""

from __future__ import annotations

from trainer_bot.i18n import SOURCE, Message, Translator, t, tn
from trainer_bot.text import DISCORD_MESSAGE_LIMIT, human_size, inline_code
from trainer_bot.workspace.paths import FolderListing, ListedEntry, Removed
from trainer_bot.workspace.service import Quota, Saved, quota_text


def saved_text(saved: Saved) -> Message:
    fields = {
        "path": inline_code(saved.relative),
        "size": human_size(saved.size),
        "quota": quota_line(saved.quota),
    }
    if saved.replaced:
        return t("Saved {path} ({size}), replacing the file that had that name. {quota}", **fields)
    return t("Saved {path} ({size}). {quota}", **fields)


def removed_text(removed: Removed, quota: Quota) -> Message:
    fields = {
        "path": inline_code(removed.relative),
        "files": tn("{count} file", "{count} files", removed.files),
        "size": human_size(removed.size),
        "quota": quota_line(quota),
    }
    if removed.folder:
        return t("Deleted the folder {path}: {files}, {size}. {quota}", **fields)
    return t("Deleted the file {path}: {files}, {size}. {quota}", **fields)


def listing_text(
    listing: FolderListing,
    quota: Quota,
    translator: Translator = SOURCE,
    limit: int = DISCORD_MESSAGE_LIMIT,
) -> str:
    """The folder's entries, as many as fit in `limit` characters, then how many more there are.

    Rendered here rather than by the caller: what fits depends on the length of the translated lines.
    """
    footer = translator.render(quota_line(quota))
    title = t("The workspace") if listing.relative == "." else inline_code(f"{listing.relative}/")
    if listing.total == 0:
        return translator.render(t("{title} is empty. {quota}", title=title, quota=footer))
    lines = [translator.render(t("{title}:", title=title))]
    # Room for the "and N more" line, whatever N turns out to be.
    room = limit - len(footer) - len(lines[0]) - 60
    for entry in listing.entries:
        line = _entry_line(entry, translator)
        if len(line) + 1 > room:
            break
        lines.append(line)
        room -= len(line) + 1
    hidden = listing.total - (len(lines) - 1)
    if hidden > 0 or not listing.counted_all:
        more = (
            t("…and {count} more.", count=hidden)
            if listing.counted_all
            else t("…and at least {count} more.", count=hidden)
        )
        lines.append(translator.render(more))
    lines.append(footer)
    return "\n".join(lines)


def _entry_line(entry: ListedEntry, translator: Translator) -> str:
    name = inline_code(entry.name + "/" if entry.folder else entry.name)
    if entry.size is None:
        return f"- {name}"
    size = human_size(entry.size)
    shown = size if entry.size_complete else t("more than {size}", size=size)
    return f"- {name} {translator.render(shown)}"


def quota_line(quota: Quota) -> Message:
    return t("Quota for `files` and `archives`: {quota} used.", quota=quota_text(quota))
