"""`/files`, `/archive`, `/getfile` and `/select_dataset`: the guild workspace from Discord."""

from __future__ import annotations

import hikari
import lightbulb

from trainer_bot.config import Settings
from trainer_bot.i18n import Translator, command_text, t, tn
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
    command_text("files"),
    command_text("Put files into this server's workspace, see them, delete them"),
    default_member_permissions=MANAGE_GUILD,
    localize=True,
)


@files_group.register
class FilesUpload(
    lightbulb.SlashCommand,
    name=command_text("upload"),
    description=command_text("Save a file into files/ (a file of the same name is replaced)"),
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(60, 10)],
    localize=True,
):
    attachment = lightbulb.attachment(
        command_text("attachment"), command_text("The file to save"), localize=True
    )
    folder = lightbulb.string(
        command_text("folder"),
        command_text("A folder under files/, created if missing"),
        default=FILES,
        autocomplete=workspace_paths("dir"),
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        files: FileService = lightbulb.di.INJECTED,
        settings: Settings = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
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
        await ctx.respond(translator.render(replies.saved_text(saved)))


@files_group.register
class FilesList(
    lightbulb.SlashCommand,
    name=command_text("list"),
    description=command_text("What a folder of this server's workspace holds"),
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 10)],
    localize=True,
):
    folder = lightbulb.string(
        command_text("folder"),
        command_text("A workspace folder (default: files)"),
        default=FILES,
        autocomplete=workspace_paths("dir"),
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        files: FileService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        listing, quota = await files.listing(require_guild(ctx), self.folder)
        await ctx.respond(replies.listing_text(listing, quota, translator))


@files_group.register
class FilesDelete(
    lightbulb.SlashCommand,
    name=command_text("delete"),
    description=command_text("Delete a file, or a folder with everything in it, from files/ or archives/"),
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 10)],
    localize=True,
):
    path = lightbulb.string(
        command_text("path"),
        command_text("e.g. files/old.csv or archives/reviews-20250101-120000.zip"),
        autocomplete=workspace_paths("any"),
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        files: FileService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        removed, quota = await files.delete(require_guild(ctx), self.path)
        await ctx.respond(translator.render(replies.removed_text(removed, quota)))


loader.command(files_group)


@loader.command
class Archive(
    lightbulb.SlashCommand,
    name=command_text("archive"),
    description=command_text("Zip a folder of this server's workspace into archives/"),
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 3)],
    localize=True,
):
    directory = lightbulb.string(
        command_text("directory"),
        command_text("Folder to zip, e.g. files/reviews"),
        autocomplete=workspace_paths("dir"),
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        files: FileService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        result = await files.archive(require_guild(ctx), self.directory)
        archived = tn(
            "Archived {count} file into `{archive}` ({size}).",
            "Archived {count} files into `{archive}` ({size}).",
            result.files,
            archive=result.relative,
            size=human_size(result.size),
        )
        await ctx.respond(translator.render(archived))


@loader.command
class GetFile(
    lightbulb.SlashCommand,
    name=command_text("getfile"),
    description=command_text("Get a file from this server's workspace"),
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 5)],
    localize=True,
):
    file_path = lightbulb.string(
        command_text("file_path"),
        command_text("File to send, e.g. archives/reviews.zip"),
        autocomplete=workspace_paths("file"),
        localize=True,
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
    name=command_text("select_dataset"),
    description=command_text("Use a workspace folder as training data (keeps a snapshot)"),
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(30, 3)],
    localize=True,
):
    path = lightbulb.string(
        command_text("path"),
        command_text("Folder with CSV/JSON/JSONL/TXT files"),
        autocomplete=workspace_paths("dir"),
        localize=True,
    )
    positive = lightbulb.boolean(
        command_text("positive"),
        command_text("Label for examples without one: positive (default) or negative"),
        default=True,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        training: TrainingService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        selected = await training.select_dataset(
            require_guild(ctx), ctx.user.id, self.path, positive=self.positive
        )
        dataset = selected.dataset
        counts = ", ".join(f"{label}: {n}" for label, n in dataset.label_counts.items()) or translator.render(
            t("no labels")
        )
        chosen = t(
            "Selected {dataset} for the next training: {examples} ({counts}), {pairs}. Snapshot: `{snapshot}`.",
            dataset=inline_code(dataset.name),
            examples=tn("{count} example", "{count} examples", dataset.examples),
            counts=counts,
            pairs=tn("{count} prompt/response pair", "{count} prompt/response pairs", dataset.pairs),
            snapshot=selected.snapshot.relative,
        )
        await ctx.respond(translator.render(chosen))
