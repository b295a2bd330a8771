"""The emulated REST API: the routes hikari and lightbulb call, with Discord's rules and error codes."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from discord_sandbox import payloads
from discord_sandbox.commands import registration_problems
from discord_sandbox.snowflakes import new_snowflake
from discord_sandbox.state import EPHEMERAL, LOADING, Attachment, Interaction, Message

if TYPE_CHECKING:
    from discord_sandbox.emulator import DiscordEmulator

_LOGGER = logging.getLogger("discord_sandbox.rest")

MAX_CONTENT = 2000
MAX_ATTACHMENTS = 10
# Discord's JSON error codes that the bot is expected to handle.
UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, UNKNOWN_WEBHOOK, UNKNOWN_INTERACTION = 10003, 10008, 10015, 10062
CANNOT_EDIT_OTHERS, EMPTY_MESSAGE, INVALID_FORM_BODY, ALREADY_ACKNOWLEDGED = 50005, 50006, 50035, 40060
REQUEST_TOO_LARGE = 40005


class DiscordHTTPError(Exception):
    def __init__(self, status: int, message: str, code: int) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


@dataclass(frozen=True)
class Upload:
    """A file in a multipart request, or one a test attaches to a member's message or option."""

    filename: str
    data: bytes
    content_type: str | None = None
    duration_secs: float | None = None
    declared_size: int | None = None  # what the attachment object claims; None: the real size


_DOWNLOAD_CHUNK = 256 * 1024


def json_response(body: object, status: int = 200) -> web.Response:
    # hikari insists on exactly `application/json` for bodies of 2xx answers.
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)


async def read_body(request: web.Request) -> tuple[Any, dict[int, Upload]]:
    """JSON, or multipart with `payload_json` + `files[n]`, as hikari sends attachments."""
    if request.content_type != "multipart/form-data":
        raw = await request.read()
        return (json.loads(raw) if raw else {}), {}
    body: dict[str, Any] = {}
    uploads: dict[int, Upload] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue  # nested multipart: Discord does not accept it either
        if part.name == "payload_json":
            body = json.loads(await part.text())
        elif part.name and part.name.startswith("files["):
            index = _file_index(part.name)
            if index in uploads:
                raise DiscordHTTPError(
                    400, f"Invalid Form Body ({part.name}: duplicate file)", INVALID_FORM_BODY
                )
            data = await part.read()
            uploads[index] = Upload(
                part.filename or f"file{index}", bytes(data), part.headers.get("Content-Type")
            )
    return body, uploads


def _file_index(name: str) -> int:
    """n of a `files[n]` part; Discord refuses any other spelling."""
    digits = name[len("files[") : -1]
    if not name.endswith("]") or not digits.isdigit():
        raise DiscordHTTPError(400, f"Invalid Form Body ({name}: not a valid file field)", INVALID_FORM_BODY)
    return int(digits)


def _listed_attachments(body: dict[str, Any]) -> list[int] | None:
    """The ids in the body's `attachments`, in order; None when the body has no such field."""
    if "attachments" not in body:
        return None
    ids = []
    for number, item in enumerate(body["attachments"] or []):
        if not isinstance(item, dict) or "id" not in item:
            raise DiscordHTTPError(
                400, f"Invalid Form Body (attachments.{number}.id: This field is required)", INVALID_FORM_BODY
            )
        ids.append(int(item["id"]))
    return ids


def numbered_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Discord gives every component in a stored message a numeric `id` (hikari requires it)."""
    counter = 0

    def number(component: dict[str, Any]) -> dict[str, Any]:
        nonlocal counter
        counter += 1
        numbered = component | {"id": component.get("id") or counter}
        if "components" in component:
            numbered["components"] = [number(child) for child in component["components"]]
        return numbered

    return [number(component) for component in components]


class RestApi:
    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emu = emulator
        self.calls: list[tuple[str, str]] = []
        self.unhandled: list[tuple[str, str]] = []

    def routes(self) -> list[web.RouteDef]:
        api = "/api/v10"
        return [
            web.get(f"{api}/gateway/bot", self.gateway_bot),
            web.get(f"{api}/gateway", self.gateway_bot),
            web.get(f"{api}/oauth2/applications/@me", self.application),
            web.get(f"{api}/users/@me", self.me),
            web.get(f"{api}/applications/{{app}}/commands", self.get_commands),
            web.put(f"{api}/applications/{{app}}/commands", self.put_commands),
            web.get(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self.get_commands),
            web.put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self.put_commands),
            web.post(f"{api}/interactions/{{id}}/{{token}}/callback", self.interaction_callback),
            web.post(f"{api}/webhooks/{{app}}/{{token}}", self.followup),
            web.get(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self.get_webhook_message),
            web.patch(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self.edit_webhook_message),
            web.delete(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self.delete_webhook_message),
            web.post(f"{api}/channels/{{channel}}/messages", self.create_message),
            web.get(f"{api}/channels/{{channel}}/messages/{{message}}", self.get_message),
            web.patch(f"{api}/channels/{{channel}}/messages/{{message}}", self.edit_message),
            web.delete(f"{api}/channels/{{channel}}/messages/{{message}}", self.delete_message),
            web.post(f"{api}/channels/{{channel}}/typing", self.typing),
            web.put(f"{api}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}/@me", self.react),
            web.get("/attachments/{channel}/{attachment}/{filename}", self.download_attachment),
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        public = request.path.startswith(("/api/v10/interactions/", "/api/v10/webhooks/", "/attachments/"))
        authorised = request.headers.get("Authorization") == f"Bot {self.emu.token}"
        if request.path.startswith("/api/") and not public and not authorised:
            return json_response(payloads.error("401: Unauthorized", 0), 401)
        try:
            response: web.StreamResponse = await handler(request)
        except DiscordHTTPError as exc:
            return json_response(payloads.error(exc.message, exc.code), exc.status)
        except web.HTTPNotFound:
            self.unhandled.append((request.method, request.path))
            _LOGGER.warning("sandbox has no route for %s %s", request.method, request.path)
            return json_response(payloads.error("404: Not Found", 0), 404)
        self.emu.changes.notify()
        return response

    # -- start-up ---------------------------------------------------------------------------------------
    async def gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.emu.gateway_url,
                "shards": self.emu.recommended_shards(),
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def application(self, request: web.Request) -> web.Response:
        bot = payloads.user(self.emu.bot_user)
        return json_response(
            {
                "id": str(self.emu.application_id),
                "name": self.emu.bot_user.username,
                "icon": None,
                "description": "trainer-bot in the sandbox",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": payloads.user(self.emu.owner.user),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "bot": bot,
                "approximate_guild_count": len(self.emu.guilds),
                "approximate_user_install_count": 0,
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        return json_response(payloads.user(self.emu.bot_user))

    # -- commands ---------------------------------------------------------------------------------------
    def _command_list(self, request: web.Request) -> list[dict[str, Any]]:
        guild = request.match_info.get("guild")
        if guild is None:
            return self.emu.global_commands
        return self.emu.guild_commands.setdefault(int(guild), [])

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_response(self._command_list(request))

    async def put_commands(self, request: web.Request) -> web.Response:
        body, _ = await read_body(request)  # a bulk overwrite: a JSON list of commands
        if problems := registration_problems(body):
            raise DiscordHTTPError(400, f"Invalid Form Body ({'; '.join(problems)})", INVALID_FORM_BODY)
        guild = request.match_info.get("guild")
        existing = {command["name"]: command for command in self._command_list(request)}
        stored: list[dict[str, Any]] = []
        for command in body:
            previous = existing.get(command["name"])
            permissions = command.get("default_member_permissions")
            if permissions is not None:  # Discord answers with a string, whatever the client sent
                command = command | {"default_member_permissions": str(permissions)}
            stored.append(
                {
                    "type": 1,
                    "description": "",
                    "options": [],
                    "default_member_permissions": None,
                    "nsfw": False,
                    **command,
                    "id": previous["id"] if previous else str(new_snowflake()),
                    "application_id": str(self.emu.application_id),
                    "version": str(new_snowflake()),
                    **({"guild_id": guild} if guild else {}),
                }
            )
        if guild is None:
            self.emu.global_commands = stored
        else:
            self.emu.guild_commands[int(guild)] = stored
        self.emu.command_syncs.append((int(guild) if guild else None, [c["name"] for c in stored]))
        return json_response(stored)

    # -- interactions -----------------------------------------------------------------------------------
    def _interaction(self, interaction_id: int | None, token: str) -> Interaction:
        interaction = self.emu.interactions_by_token.get(token)
        if interaction is None or (interaction_id is not None and interaction.id != interaction_id):
            raise DiscordHTTPError(404, "Unknown interaction", UNKNOWN_INTERACTION)
        return interaction

    async def interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(int(request.match_info["id"]), request.match_info["token"])
        body, uploads = await read_body(request)
        if interaction.acknowledged:
            interaction.callback_errors.append(ALREADY_ACKNOWLEDGED)
            raise DiscordHTTPError(400, "Interaction has already been acknowledged.", ALREADY_ACKNOWLEDGED)
        if time.monotonic() - interaction.created_at > self.emu.interaction_deadline:
            interaction.callback_errors.append(UNKNOWN_INTERACTION)
            raise DiscordHTTPError(404, "Unknown interaction", UNKNOWN_INTERACTION)
        kind, data = int(body["type"]), body.get("data") or {}
        interaction.callback_type, interaction.callback_at, interaction.callback_data = (
            kind,
            time.monotonic(),
            data,
        )
        resource: dict[str, Any] = {"type": kind}
        answer: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            if kind == 5:
                flags |= LOADING
                interaction.deferred_followup_pending = True
                data = {}
            message = self._new_bot_message(interaction.channel_id, data, uploads, flags=flags)
            message.interaction_id = interaction.id
            interaction.original_message_id = message.id
            resource["message"] = self.emu.message_payload(message)
            answer |= {
                "response_message_id": str(message.id),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        elif kind == 7:
            target = self.emu.messages[int(interaction.data["message_id"])]
            self._apply_edit(target, data, uploads)
            resource["message"] = self.emu.message_payload(target)
        return json_response({"interaction": answer, "resource": resource})

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self.emu.interactions_by_token.get(request.match_info["token"])
        if interaction is None or not interaction.acknowledged:
            raise DiscordHTTPError(404, "Unknown Webhook", UNKNOWN_WEBHOOK)
        body, uploads = await read_body(request)
        if interaction.deferred_followup_pending and interaction.original_message_id is not None:
            # Discord: the first follow-up after a defer replaces the "thinking..." message and keeps
            # the ephemeral flag the defer chose.
            interaction.deferred_followup_pending = False
            original = self.emu.messages[interaction.original_message_id]
            self._apply_edit(original, body, uploads, record_edit=False)
            original.flags &= ~LOADING
            return json_response(self.emu.message_payload(original))
        flags = int(body.get("flags") or 0) & EPHEMERAL
        message = self._new_bot_message(interaction.channel_id, body, uploads, flags=flags)
        message.interaction_id = interaction.id
        message.webhook_id = self.emu.application_id
        interaction.followup_ids.append(message.id)
        return json_response(self.emu.message_payload(message))

    def _webhook_message(self, request: web.Request) -> tuple[Interaction, Message]:
        interaction = self.emu.interactions_by_token.get(request.match_info["token"])
        if interaction is None:
            raise DiscordHTTPError(404, "Unknown Webhook", UNKNOWN_WEBHOOK)
        ref = request.match_info["message"]
        message_id = interaction.original_message_id if ref == "@original" else int(ref)
        message = self.emu.messages.get(message_id or -1)
        if message is None or message.deleted or message.interaction_id != interaction.id:
            raise DiscordHTTPError(404, "Unknown Message", UNKNOWN_MESSAGE)
        return interaction, message

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        return json_response(self.emu.message_payload(message))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message = self._webhook_message(request)
        body, uploads = await read_body(request)
        self._apply_edit(message, body, uploads)
        if message.id == interaction.original_message_id:
            message.flags &= ~LOADING
            interaction.deferred_followup_pending = False
        return json_response(self.emu.message_payload(message))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        message.deleted = True
        return no_content()

    # -- channel messages -------------------------------------------------------------------------------
    def _channel(self, request: web.Request) -> int:
        channel_id = int(request.match_info["channel"])
        if self.emu.channel(channel_id) is None and channel_id not in self.emu.dm_channels:
            raise DiscordHTTPError(404, "Unknown Channel", UNKNOWN_CHANNEL)
        return channel_id

    def _channel_message(self, request: web.Request) -> Message:
        channel_id = self._channel(request)
        ref = request.match_info["message"]
        message = self.emu.messages.get(int(ref)) if ref.isdigit() else None
        # Ephemeral messages are invisible to the channel API, as on Discord.
        if message is None or message.deleted or message.channel_id != channel_id or message.ephemeral:
            raise DiscordHTTPError(404, "Unknown Message", UNKNOWN_MESSAGE)
        return message

    async def create_message(self, request: web.Request) -> web.Response:
        channel_id = self._channel(request)
        body, uploads = await read_body(request)
        message = self._new_bot_message(channel_id, body, uploads, flags=0)
        reference = body.get("message_reference") or {}
        if reference.get("message_id"):
            message.referenced_message_id = int(reference["message_id"])
        return json_response(self.emu.message_payload(message))

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(self.emu.message_payload(self._channel_message(request)))

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if message.author.id != self.emu.bot_user.id:
            raise DiscordHTTPError(403, "Cannot edit a message authored by another user", CANNOT_EDIT_OTHERS)
        body, uploads = await read_body(request)
        self._apply_edit(message, body, uploads)
        return json_response(self.emu.message_payload(message))

    async def delete_message(self, request: web.Request) -> web.Response:
        self._channel_message(request).deleted = True
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self.emu.typing.append((self._channel(request), time.monotonic()))
        return no_content()

    async def react(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        message.reactions.setdefault(request.match_info["emoji"], set()).add(self.emu.bot_user.id)
        return no_content()

    async def download_attachment(self, request: web.Request) -> web.StreamResponse:
        """Streams the body in chunks and counts what the client really took before it hung up."""
        attachment = self.emu.attachments.get(int(request.match_info["attachment"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        response = web.StreamResponse(
            headers={"Content-Type": attachment.content_type or "application/octet-stream"}
        )
        response.content_length = len(attachment.data)
        await response.prepare(request)
        served = 0
        try:
            for start in range(0, len(attachment.data), _DOWNLOAD_CHUNK):
                chunk = attachment.data[start : start + _DOWNLOAD_CHUNK]
                await response.write(chunk)
                served += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading
        finally:
            self.emu.served_bytes[attachment.id] = served
        return response

    # -- message bodies ---------------------------------------------------------------------------------
    def _check_content(self, body: dict[str, Any]) -> None:
        content = body.get("content")
        if isinstance(content, str) and len(content) > MAX_CONTENT:
            raise DiscordHTTPError(
                400,
                f"Invalid Form Body (content: Must be {MAX_CONTENT} or fewer in length.)",
                INVALID_FORM_BODY,
            )

    def _attachments(
        self,
        channel_id: int,
        body: dict[str, Any],
        uploads: dict[int, Upload],
        existing: list[Attachment] | None = None,
    ) -> list[Attachment]:
        """The message's attachments after this request: `existing` is None when creating a message.

        On an edit (API v10) a body with `attachments` lists every attachment the message keeps: the
        existing ones by id, the new `files[n]` by n; anything unlisted goes. Without the field, the
        existing ones stay and new files are added. Every listed id must name one or the other.
        """
        listed = _listed_attachments(body)
        known = set(uploads) | {attachment.id for attachment in existing or []}
        for number, attachment_id in enumerate(listed or []):
            if attachment_id not in known:
                raise DiscordHTTPError(
                    400, f"Invalid Form Body (attachments.{number}.id: Unknown attachment)", INVALID_FORM_BODY
                )
        if listed is None or existing is None:
            kept, new = list(existing or []), sorted(uploads)
        else:
            kept = [attachment for attachment in existing if attachment.id in listed]
            new = [index for index in sorted(uploads) if index in listed]
        if len(kept) + len(new) > MAX_ATTACHMENTS:
            raise DiscordHTTPError(
                400,
                f"Invalid Form Body (attachments: Must be {MAX_ATTACHMENTS} or fewer in length.)",
                INVALID_FORM_BODY,
            )
        if sum(len(uploads[index].data) for index in new) > self.emu.attachment_size_limit:
            raise DiscordHTTPError(413, "Request entity too large", REQUEST_TOO_LARGE)
        names = {int(item["id"]): item.get("filename") for item in body.get("attachments") or []}
        stored = []
        for index in new:
            up = uploads[index]
            renamed = Upload(names.get(index) or up.filename, up.data, up.content_type, up.duration_secs)
            stored.append(self.emu.store_attachment(channel_id, renamed))
        return kept + stored

    def _new_bot_message(
        self, channel_id: int, body: dict[str, Any], uploads: dict[int, Upload], *, flags: int
    ) -> Message:
        self._check_content(body)
        attachments = self._attachments(channel_id, body, uploads)
        has_body = body.get("content") or body.get("embeds") or body.get("components") or attachments
        if not has_body and not flags & LOADING:
            raise DiscordHTTPError(400, "Cannot send an empty message", EMPTY_MESSAGE)
        message = Message(
            id=new_snowflake(),
            channel_id=channel_id,
            guild_id=channel.guild_id if (channel := self.emu.channel(channel_id)) else None,
            author=self.emu.bot_user,
            content=body.get("content") or "",
            flags=flags,
            attachments=attachments,
            embeds=body.get("embeds") or [],
            components=numbered_components(body.get("components") or []),
        )
        self.emu.messages[message.id] = message
        return message

    def _apply_edit(
        self, message: Message, body: dict[str, Any], uploads: dict[int, Upload], *, record_edit: bool = True
    ) -> None:
        self._check_content(body)
        # Checked before anything changes: Discord refuses the whole edit.
        attachments = self._attachments(message.channel_id, body, uploads, message.attachments)
        if record_edit:
            message.edits.append(message.content)
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = body["embeds"] or []
        if "components" in body:
            message.components = numbered_components(body["components"] or [])
        message.attachments = attachments
