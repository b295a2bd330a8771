"""A local Discord for the real bot: gateway + REST on 127.0.0.1, and a Python API to act as members.

emulator = DiscordEmulator()
await emulator.start()
alice = emulator.add_member("alice", manage_guild=True)
... start the bot with DISCORD_API_URL=emulator.api_url and DISCORD_TOKEN=emulator.token ...
interaction = await emulator.slash(alice, "hi")
reply = await emulator.response(interaction)

`emulator.guild` is the default guild; `await emulator.add_guild(...)` adds more, and a member, channel or
message acts in its own guild. The bot may connect as several shards (even from several processes): each
guild's events reach only the session holding its shard.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from discord_sandbox import payloads
from discord_sandbox.gateway import Gateway, Session
from discord_sandbox.rest import RestApi, Upload
from discord_sandbox.serving import serve
from discord_sandbox.sharding import (
    DISCORD_MAX_GUILDS_PER_SHARD,
    recommended_shards,
    shard_of,
    snowflake_on_shard,
)
from discord_sandbox.snowflakes import bot_token, new_snowflake
from discord_sandbox.state import (
    IS_VOICE_MESSAGE,
    MANAGE_GUILD,
    TEXT_CHANNEL,
    VOICE_CHANNEL,
    Attachment,
    Changes,
    Channel,
    Guild,
    Interaction,
    Member,
    Message,
    User,
)
from discord_sandbox.voice_gateway import VoiceGateway

__all__ = ["DiscordEmulator", "Upload"]

_LOGGER = logging.getLogger("discord_sandbox")
T = TypeVar("T")

MESSAGE_CONTENT_INTENT = 1 << 15
# Option types in Discord's application command schema.
SUB_COMMAND_GROUP, INTEGER, BOOLEAN, NUMBER, ATTACHMENT = 2, 4, 5, 10, 11
SLASH, MESSAGE_MENU = 1, 3
APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


class DiscordEmulator:
    def __init__(
        self,
        *,
        interaction_deadline: float = 3.0,
        heartbeat_interval_ms: int = 41_250,
        attachment_size_limit: int = 10 * 1024 * 1024,
        max_guilds_per_shard: int = DISCORD_MAX_GUILDS_PER_SHARD,
    ) -> None:
        self.interaction_deadline = interaction_deadline
        self.attachment_size_limit = attachment_size_limit
        self.bot_user = User(new_snowflake(), "trainer-bot", bot=True)
        self.application_id = self.bot_user.id
        self.token = bot_token(self.bot_user.id)
        self.guilds: dict[int, Guild] = {}
        self.guild = self._new_guild("Sandbox")  # the default guild, where members act unless told otherwise
        self.owner = self.guild.members[self.guild.owner_id]
        self.dm_channels: dict[int, User] = {}
        self.messages: dict[int, Message] = {}
        self.attachments: dict[int, Attachment] = {}
        self.served_bytes: dict[int, int] = {}  # attachment id -> bytes a download really took
        self.interactions_by_token: dict[str, Interaction] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, list[str]]] = []
        self.typing: list[tuple[int, float]] = []
        self.bot_voice_requests: list[dict[str, Any]] = []
        self.changes = Changes()
        self.rest = RestApi(self)
        self.gateway = Gateway(
            token=lambda: self.token,
            ready_events=self._ready_events,
            on_voice_state=self._on_bot_voice_state,
            resume_url=lambda: self.gateway_url,
            guild_ids=lambda: self.guilds.keys(),
            on_change=self.changes.notify,
            heartbeat_interval_ms=heartbeat_interval_ms,
            max_guilds_per_shard=max_guilds_per_shard,
        )
        self.voice = VoiceGateway()
        # guild id -> the voice session id the bot joined its voice channel with (one per gateway session)
        self._bot_voice_sessions: dict[int, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle --------------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=64 * 1024 * 1024)
        app.add_routes([web.get("/gateway", self.gateway.handle), *self.rest.routes()])
        self._runner, bound_port = await serve(app, host, port)
        self.base_url = f"http://{host}:{bound_port}"
        await self.voice.start(host)

    async def stop(self) -> None:
        await self.voice.stop()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url.replace('http', 'ws', 1)}/gateway"

    # -- guilds -------------------------------------------------------------------------------------------
    @property
    def text_channel(self) -> Channel:
        return self.text_channel_of(self.guild)

    @property
    def voice_channel(self) -> Channel:
        return self.voice_channel_of(self.guild)

    @staticmethod
    def text_channel_of(guild: Guild) -> Channel:
        return guild.channel_named("general")

    @staticmethod
    def voice_channel_of(guild: Guild) -> Channel:
        return guild.channel_named("Lounge")

    def _new_guild(
        self, name: str, *, preferred_locale: str = "en-US", shard: tuple[int, int] | None = None
    ) -> Guild:
        """A guild with its owner, the bot, a text channel "general" and a voice channel "Lounge"."""
        owner = User(new_snowflake(), "owner")
        guild_id = new_snowflake() if shard is None else snowflake_on_shard(*shard)
        guild = Guild(id=guild_id, name=name, owner_id=owner.id, preferred_locale=preferred_locale)
        self.guilds[guild.id] = guild
        self._join(owner, guild, manage_guild=True)
        self._join(self.bot_user, guild, manage_guild=False)
        for position, (channel_name, kind) in enumerate(
            [("general", TEXT_CHANNEL), ("Lounge", VOICE_CHANNEL)]
        ):
            channel = Channel(new_snowflake(), guild.id, channel_name, kind, position)
            guild.channels[channel.id] = channel
        return guild

    async def add_guild(
        self, name: str, *, preferred_locale: str = "en-US", shard: tuple[int, int] | None = None
    ) -> Guild:
        """Another guild the bot is in; the session holding its shard hears of it through GUILD_CREATE.

        `shard=(shard_id, shard_count)` picks an id whose events take that shard under that count.
        """
        guild = self._new_guild(name, preferred_locale=preferred_locale, shard=shard)
        if self.gateway.session_for(guild.id) is not None:
            await self.gateway.dispatch("GUILD_CREATE", self._guild_create(guild))
        return guild

    def guilds_of_shard(self, shard_id: int, shard_count: int) -> list[Guild]:
        return [guild for guild in self.guilds.values() if shard_of(guild.id, shard_count) == shard_id]

    def recommended_shards(self) -> int:
        """GET /gateway/bot's `shards`."""
        return recommended_shards(len(self.guilds), self.gateway.max_guilds_per_shard)

    def channel(self, channel_id: int) -> Channel | None:
        """A channel of any guild."""
        return next((g.channels[channel_id] for g in self.guilds.values() if channel_id in g.channels), None)

    def _join(self, user: User, guild: Guild, *, manage_guild: bool) -> Member:
        roles = [guild.moderator_role_id] if manage_guild else []
        permissions = guild.everyone_permissions | (MANAGE_GUILD if manage_guild else 0)
        member = Member(user=user, guild_id=guild.id, role_ids=roles, permissions=permissions)
        guild.members[user.id] = member
        return member

    async def add_member(
        self, name: str, *, manage_guild: bool = False, bot: bool = False, guild: Guild | None = None
    ) -> Member:
        """A new member of the guild (the default one unless given); a connected bot hears of it through
        GUILD_MEMBER_ADD."""
        guild = guild or self.guild
        member = self._join(User(new_snowflake(), name, bot=bot), guild, manage_guild=manage_guild)
        if self.gateway.session_for(guild.id) is not None:
            event = payloads.member(member) | {"guild_id": str(guild.id)}
            await self.gateway.dispatch("GUILD_MEMBER_ADD", event)
        return member

    def _guild_create(self, guild: Guild) -> dict[str, Any]:
        return payloads.guild_create(
            guild, application_id=self.application_id, moderator_permissions=MANAGE_GUILD
        )

    def _ready_events(self, session: Session) -> list[tuple[str, dict[str, Any]]]:
        """READY names only the session's shard's guilds, as unavailable; a GUILD_CREATE for each follows."""
        guilds = self.guilds_of_shard(session.shard_id, session.shard_count)
        self._end_voice_sessions(guilds)
        ready = {
            "v": 10,
            "user": payloads.user(self.bot_user) | {"verified": True, "email": None},
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
        }
        return [("READY", ready), *(("GUILD_CREATE", self._guild_create(guild)) for guild in guilds)]

    def _end_voice_sessions(self, guilds: list[Guild]) -> None:
        """A new gateway session for these guilds: voice connections made with the old one are invalid."""
        ended = {self._bot_voice_sessions.pop(guild.id, None) for guild in guilds} - {None}
        for guild in guilds:
            guild.voice_states.pop(self.bot_user.id, None)
        for voice_session in ended:
            assert voice_session is not None
            task = asyncio.get_running_loop().create_task(self.voice.end_session(voice_session))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def message_payload(self, message: Message) -> dict[str, Any]:
        referenced = self.messages.get(message.referenced_message_id or -1)
        guild = self.guilds.get(message.guild_id) if message.guild_id is not None else None
        return payloads.message(message, guild=guild, referenced=referenced)

    def store_attachment(self, channel_id: int, upload: Upload) -> Attachment:
        attachment_id = new_snowflake()
        attachment = Attachment(
            id=attachment_id,
            filename=upload.filename,
            data=upload.data,
            content_type=upload.content_type,
            url=f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{upload.filename}",
            duration_secs=upload.duration_secs,
            waveform="AAAA" if upload.duration_secs is not None else None,
            declared_size=upload.declared_size,
        )
        self.attachments[attachment_id] = attachment
        return attachment

    # -- acting as members ------------------------------------------------------------------------------
    async def wait_until_ready(self, timeout: float = 15.0, *, guild: Guild | None = None) -> None:
        """The bot identified on the guild's shard (the default guild's unless given) and synced its
        commands: the first moment a member of the guild could use them."""
        guild = guild or self.guild
        connected = lambda: (s := self.gateway.session_for(guild.id)) is not None and s.connection is not None  # noqa: E731
        await self.wait_for(connected, timeout, "the bot to identify")
        synced = lambda: self.guild_commands.get(guild.id) or self.global_commands  # noqa: E731
        await self.wait_for(synced, timeout, "the bot to sync commands")

    def command(self, name: str, guild: Guild | None = None) -> dict[str, Any]:
        """The command a member of the guild (the default one unless given) sees under that name."""
        for command in self.guild_commands.get((guild or self.guild).id, []) + self.global_commands:
            if command["name"] == name:
                return command
        raise LookupError(f"the bot has not registered a command named {name!r}")

    def _guild_of(self, member: Member) -> Guild:
        return self.guilds[member.guild_id]

    async def slash(
        self,
        member: Member,
        name: str,
        options: Mapping[str, object] | None = None,
        *,
        channel: Channel | None = None,
    ) -> Interaction:
        """Invoke `/name` (or `/group sub`) as a member would, options checked against the synced schema."""
        resolved: dict[str, Any] = {}
        channel = channel or self.text_channel_of(self._guild_of(member))
        data = self._command_data(name, dict(options or {}), resolved, channel)
        data |= {"resolved": resolved} if resolved else {}
        return await self._post_interaction(APPLICATION_COMMAND, member, data, channel)

    def _command_data(
        self,
        name: str,
        options: dict[str, object],
        resolved: dict[str, Any],
        channel: Channel,
        *,
        focused: str | None = None,
    ) -> dict[str, Any]:
        """The interaction's `data` for `/name` or `/group sub`: options nested under their subcommands."""
        top, *path = name.split()
        command = self.command(top, self.guilds[channel.guild_id])
        chain = self._walk(command.get("options") or [], path)
        leaf_schema = (chain[-1].get("options") if chain else command.get("options")) or []
        option_payload = self._options(leaf_schema, options, resolved, channel, focused=focused)
        for subcommand in reversed(chain):
            option_payload = [
                {"name": subcommand["name"], "type": subcommand["type"], "options": option_payload}
            ]
        data = {"id": command["id"], "name": top, "type": SLASH} | self._registered_in(command)
        return data | {"options": option_payload}

    @staticmethod
    def _registered_in(command: dict[str, Any]) -> dict[str, Any]:
        """`data.guild_id`: Discord names the guild a command was registered in; global commands have none."""
        return {"guild_id": command["guild_id"]} if command.get("guild_id") else {}

    @staticmethod
    def _walk(schema: list[dict[str, Any]], path: list[str]) -> list[dict[str, Any]]:
        options = schema
        found: list[dict[str, Any]] = []
        for part in path:
            option = next(o for o in options if o["name"] == part)
            found.append(option)
            options = option.get("options") or []
        return found

    def _options(
        self,
        schema: list[dict[str, Any]],
        given: dict[str, object],
        resolved: dict[str, Any],
        channel: Channel,
        *,
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        by_name = {option["name"]: option for option in schema if option["type"] > SUB_COMMAND_GROUP}
        unknown = set(given) - set(by_name)
        if unknown:
            raise ValueError(f"Discord would not let a member send unknown options: {sorted(unknown)}")
        if focused is not None and not by_name[focused].get("autocomplete"):
            raise ValueError(f"Discord sends no autocomplete for {focused!r}: the command did not ask for it")
        # While a member types into one option, the others may still be empty, required or not.
        missing = [n for n, o in by_name.items() if o.get("required") and n not in given]
        if missing and focused is None:
            raise ValueError(f"Discord would not let a member omit required options: {missing}")
        out = []
        for option_name, value in given.items():
            kind = by_name[option_name]["type"]
            item: dict[str, Any] = {"name": option_name, "type": kind}
            if kind == ATTACHMENT:
                if not isinstance(value, Upload):
                    raise ValueError("attachment options take an Upload")
                attachment = self.store_attachment(channel.id, value)
                item["value"] = str(attachment.id)
                resolved.setdefault("attachments", {})[str(attachment.id)] = payloads.attachment(attachment)
            else:
                item["value"] = self._option_value(kind, value)
            if option_name == focused:
                item["focused"] = True
            out.append(item)
        return out

    @staticmethod
    def _option_value(kind: int, value: object) -> object:
        if kind == BOOLEAN and not isinstance(value, bool):
            raise ValueError("boolean options take True or False")
        if kind == INTEGER and not isinstance(value, int):
            raise ValueError("integer options take an int")
        return value if kind in (BOOLEAN, INTEGER, NUMBER) else str(value)

    async def autocomplete(
        self, member: Member, name: str, options: Mapping[str, object], focused: str
    ) -> list[dict[str, Any]]:
        """Type into an option of `/name` (or `/group sub`): returns the choices the bot offered
        (lightbulb answers with type 8)."""
        if focused not in options:
            raise ValueError("Discord only sends autocomplete for an option being typed into")
        channel = self.text_channel_of(self._guild_of(member))
        data = self._command_data(name, dict(options), {}, channel, focused=focused)
        interaction = await self._post_interaction(AUTOCOMPLETE, member, data, None)
        await self.wait_for(lambda: interaction.callback_type == 8, 5.0, f"autocomplete for /{name}")
        choices: list[dict[str, Any]] = interaction.callback_data.get("choices", [])
        return choices

    async def message_command(self, member: Member, name: str, target: Message) -> Interaction:
        """Use a message context-menu entry ("Apps > name") on a message."""
        channel = self.channel(target.channel_id)
        assert channel is not None, "context menus are for guild messages"
        command = self.command(name, self.guilds[channel.guild_id])
        data = {
            "id": command["id"],
            "name": name,
            "type": MESSAGE_MENU,
            **self._registered_in(command),
            "target_id": str(target.id),
            "resolved": {"messages": {str(target.id): self.message_payload(target)}},
        }
        return await self._post_interaction(APPLICATION_COMMAND, member, data, channel)

    async def submit_modal(
        self, member: Member, opened_by: Interaction, values: Mapping[str, str]
    ) -> Interaction:
        """Fill in and submit the modal the bot opened in answer to `opened_by`."""
        if opened_by.callback_type != 9:
            raise ValueError("the bot did not answer that interaction with a modal")
        modal = opened_by.callback_data
        rows = []
        for row in modal.get("components", []):
            inputs = [
                {
                    "type": 4,
                    "id": new_snowflake() % 1000,
                    "custom_id": c["custom_id"],
                    "value": values.get(c["custom_id"], c.get("value", "")),
                }
                for c in row.get("components", [])
            ]
            rows.append({"type": 1, "id": new_snowflake() % 1000, "components": inputs})
        data = {"custom_id": modal["custom_id"], "components": rows}
        return await self._post_interaction(MODAL_SUBMIT, member, data, None)

    async def click(self, member: Member, message: Message, custom_id: str) -> Interaction:
        """Press a button on one of the bot's messages."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._post_interaction(
            COMPONENT, member, data, self.channel(message.channel_id), message=message
        )

    async def _post_interaction(
        self,
        kind: int,
        member: Member,
        data: dict[str, Any],
        channel: Channel | None,
        *,
        message: Message | None = None,
    ) -> Interaction:
        guild = self._guild_of(member)
        channel = channel or self.text_channel_of(guild)
        interaction = Interaction(
            id=new_snowflake(),
            token=f"sandbox.{secrets.token_urlsafe(32)}",
            type=kind,
            guild_id=guild.id,
            channel_id=channel.id,
            member=member,
            data=data | ({"message_id": str(message.id)} if message else {}),
        )
        self.interactions_by_token[interaction.token] = interaction
        payload: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(guild.id),
            "channel": {"id": str(channel.id), "type": channel.type, "guild_id": str(guild.id)},
            "channel_id": str(channel.id),
            "member": payloads.member(member, with_permissions=True),
            "token": interaction.token,
            "version": 1,
            "app_permissions": str(guild.everyone_permissions),
            "locale": member.locale,
            "guild_locale": guild.preferred_locale,
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": self.attachment_size_limit,
            "entitlements": [],
        }
        if message is not None:
            payload["message"] = self.message_payload(message)
        interaction.created_at = time.monotonic()
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        interaction.dispatched_at = time.monotonic()
        return interaction

    async def send_message(
        self,
        member: Member,
        content: str = "",
        *,
        channel: Channel | None = None,
        attachments: Iterable[Upload] = (),
        voice: bool = False,
        reply_to: Message | None = None,
        mention_bot: bool = False,
    ) -> Message:
        """A member posts a message (in their guild's "general" unless told). `voice=True` makes it a voice
        message (one audio attachment)."""
        channel = channel or self.text_channel_of(self._guild_of(member))
        if mention_bot:
            content = f"<@{self.bot_user.id}> {content}".strip()
        stored = [self.store_attachment(channel.id, upload) for upload in attachments]
        message = Message(
            id=new_snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=member.user,
            content=content,
            flags=IS_VOICE_MESSAGE if voice else 0,
            attachments=stored,
            referenced_message_id=reply_to.id if reply_to else None,
            mentions=[self.bot_user] if mention_bot or (reply_to and reply_to.author.bot) else [],
        )
        self.messages[message.id] = message
        await self._dispatch_message(message, mentions_bot=mention_bot)
        return message

    async def send_dm(self, user: User, content: str) -> Message:
        """A user writes to the bot directly: the event has no guild, so it goes to shard 0."""
        channel_id = next((cid for cid, u in self.dm_channels.items() if u.id == user.id), None)
        if channel_id is None:
            channel_id = new_snowflake()
            self.dm_channels[channel_id] = user
        message = Message(
            id=new_snowflake(), channel_id=channel_id, guild_id=None, author=user, content=content
        )
        self.messages[message.id] = message
        # Discord gives bots the content of DMs without the privileged intent.
        await self._dispatch_message(message, mentions_bot=True)
        return message

    async def _dispatch_message(self, message: Message, *, mentions_bot: bool) -> None:
        payload = self.message_payload(message)
        session = self.gateway.session_for(message.guild_id)
        if session is not None and not session.intents & MESSAGE_CONTENT_INTENT and not mentions_bot:
            payload["content"] = ""  # Discord blanks content for bots without the privileged intent
        await self.gateway.dispatch("MESSAGE_CREATE", payload)
        self.changes.notify()

    async def move_member(self, member: Member, channel: Channel | None) -> None:
        """Join (or with None, leave) a voice channel of the member's guild."""
        guild = self._guild_of(member)
        if channel is None:
            guild.voice_states.pop(member.id, None)
        else:
            guild.voice_states[member.id] = channel.id
        if self.gateway.session_for(guild.id) is None:
            return  # a bot that connects later sees it in GUILD_CREATE
        state = payloads.voice_state(guild, member.id, channel.id if channel else None, f"voice-{member.id}")
        await self.gateway.dispatch("VOICE_STATE_UPDATE", state)

    async def _on_bot_voice_state(self, session: Session, data: dict[str, Any]) -> None:
        """The bot asked (gateway op 4) to join or leave voice: answer as Discord does."""
        self.bot_voice_requests.append(data)
        guild = self.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return  # Discord ignores a request for a guild the bot is not in
        channel_id = int(data["channel_id"]) if data.get("channel_id") else None
        if channel_id is None:
            guild.voice_states.pop(self.bot_user.id, None)
        else:
            guild.voice_states[self.bot_user.id] = channel_id
        session_id = self._bot_voice_sessions[guild.id] = f"voice-{session.id}"
        state = payloads.voice_state(guild, self.bot_user.id, channel_id, session_id)
        state |= {"self_deaf": bool(data.get("self_deaf")), "self_mute": bool(data.get("self_mute"))}
        await self.gateway.dispatch("VOICE_STATE_UPDATE", state)
        if channel_id is None:
            await self.voice.revoke(guild.id)
        else:
            # Every join gets a fresh token; a node still using an older one is refused (4004).
            grant = self.voice.grant(guild.id, self.bot_user.id, session_id, channel_id)
            server = {"guild_id": str(guild.id), "token": grant.token, "endpoint": self.voice.endpoint}
            await self.gateway.dispatch("VOICE_SERVER_UPDATE", server)
        self.changes.notify()

    async def force_reconnect(self, shard_id: int | None = None) -> None:
        """op 7 to the shard's session (the latest session's when None)."""
        await self.gateway.request_reconnect(shard_id)

    async def drop_connection(self, code: int = 4000, shard_id: int | None = None) -> None:
        await self.gateway.drop(code, shard_id)

    # -- reading what the bot did -----------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
        result: T = await self.changes.wait_for(predicate, timeout, what)
        return result

    async def response(self, interaction: Interaction, timeout: float = 10.0) -> Message:
        """The message the interaction produced, once it is final (not "thinking...")."""

        def final() -> Message | None:
            message = self.messages.get(interaction.original_message_id or -1)
            return message if message is not None and not message.loading else None

        message = await self.wait_for(final, timeout, f"a response to interaction {interaction.id}")
        assert message is not None
        return message

    async def followups(self, interaction: Interaction, count: int, timeout: float = 10.0) -> list[Message]:
        await self.wait_for(lambda: len(interaction.followup_ids) >= count, timeout, f"{count} follow-ups")
        return [self.messages[message_id] for message_id in interaction.followup_ids]

    def bot_messages(self, channel: Channel | None = None) -> list[Message]:
        return [
            m
            for m in self.messages.values()
            if m.author.id == self.bot_user.id
            and not m.deleted
            and (channel is None or m.channel_id == channel.id)
        ]
