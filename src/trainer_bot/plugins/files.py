"""`/files`, `/archive`, `/getfile` and `/select_dataset`: the guild workspace from Discord."""

from __future__ import annotations

import hikari
import lightbulb

from trainer_bot.config import Settings
from trainer_bot.layout import FILES
from trainer_bot.plugins._attachments import read_attachment, upload_limit
from trainer_bot.plugins._shared import (
    MANAGE_GUILD,
    NEEDS_MANAGE_GUILD,
    per_user_cooldown,
    require_guild,
    workspace_paths,
)
from trainer_bot.text import human_size, inline_code
from trainer_bot.training.service import TrainingService
from trainer_bot.workspace import replies
from trainer_bot.workspace.service import FileService

loader = lightbulb.Loader()
files_group = lightbulb.Group(
    "files",
    "Put files into this server's workspace, see them, delete them",
    default_member_permissions=MANAGE_GUILD,
)


@files_group.register
class FilesUpload(
    lightbulb.SlashCommand,
    name="upload",
    description="Save a file into files/ (a file of the same name is replaced)",
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(60, 10)],
):
    attachment = lightbulb.attachment("attachment", "The file to save")
    folder = lightbulb.string(
        "folder",
        "A folder under files/, created if missing",
        default=FILES,
        autocomplete=workspace_paths("dir"),
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        files: FileService = lightbulb.di.INJECTED,
        settings: Settings = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        attachment = self.attachment
        saved = await files.upload(
            require_guild(ctx),
            self.folder,
            attachment.filename,
            declared_size=attachment.size,
            size_limit=upload_limit(ctx, settings),
            read=lambda limit: read_attachment(attachment, limit),
        )
        await ctx.respond(replies.saved_text(saved))


@files_group.register
class FilesList(
    lightbulb.SlashCommand,
    name="list",
    description="What a folder of this server's workspace holds",
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 10)],
):
    folder = lightbulb.string(
        "folder", "A workspace folder (default: files)", default=FILES, autocomplete=workspace_paths("dir")
    )

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, files: FileService = lightbulb.di.INJECTED) -> None:
        await ctx.defer(ephemeral=True)
        listing, quota = await files.listing(require_guild(ctx), self.folder)
        await ctx.respond(replies.listing_text(listing, quota))


@files_group.register
class FilesDelete(
    lightbulb.SlashCommand,
    name="delete",
    description="Delete a file, or a folder with everything in it, from files/ or archives/",
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 10)],
):
    path = lightbulb.string(
        "path",
        "e.g. files/old.csv or archives/reviews-20250101-120000.zip",
        autocomplete=workspace_paths("any"),
    )

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, files: FileService = lightbulb.di.INJECTED) -> None:
        await ctx.defer(ephemeral=True)
        removed, quota = await files.delete(require_guild(ctx), self.path)
        await ctx.respond(replies.removed_text(removed, quota))


loader.command(files_group)


@loader.command
class Archive(
    lightbulb.SlashCommand,
    name="archive",
    description="Zip a folder of this server's workspace into archives/",
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 3)],
):
    directory = lightbulb.string(
        "directory", "Folder to zip, e.g. files/reviews", autocomplete=workspace_paths("dir")
    )

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, files: FileService = lightbulb.di.INJECTED) -> None:
        await ctx.defer(ephemeral=True)
        result = await files.archive(require_guild(ctx), self.directory)
        await ctx.respond(
            f"Archived {result.files} files into `{result.relative}` ({human_size(result.size)})."
        )


@loader.command
class GetFile(
    lightbulb.SlashCommand,
    name="getfile",
    description="Get a file from this server's workspace",
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 5)],
):
    file_path = lightbulb.string(
        "file_path", "File to send, e.g. archives/reviews.zip", autocomplete=workspace_paths("file")
    )

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, files: FileService = lightbulb.di.INJECTED) -> None:
        await ctx.defer(ephemeral=True)
        limit = ctx.interaction.attachment_size_limit
        path = await files.file_for_download(require_guild(ctx), self.file_path, size_limit=limit)
        await ctx.respond(f"`{self.file_path.strip()}`", attachment=hikari.File(path))


@loader.command
class SelectDataset(
    lightbulb.SlashCommand,
    name="select_dataset",
    description="Use a workspace folder as training data (keeps a snapshot)",
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 3)],
):
    path = lightbulb.string(
        "path", "Folder with CSV/JSON/JSONL/TXT files", autocomplete=workspace_paths("dir")
    )
    positive = lightbulb.boolean(
        "positive", "Label for examples without one: positive (default) or negative", default=True
    )

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, training: TrainingService = lightbulb.di.INJECTED) -> None:
        await ctx.defer(ephemeral=True)
        selected = await training.select_dataset(
            require_guild(ctx), ctx.user.id, self.path, positive=self.positive
        )
        dataset = selected.dataset
        counts = ", ".join(f"{label}: {n}" for label, n in dataset.label_counts.items()) or "no labels"
        await ctx.respond(
            f"Selected {inline_code(dataset.name)} for the next training: {dataset.examples} examples ({counts}), "
            f"{dataset.pairs} prompt/response pairs. Snapshot: `{selected.snapshot.relative}`."
        )
