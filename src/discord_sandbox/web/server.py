"""The sandbox page: a local web page that acts as members of the emulated guild, like a Discord client.

It serves one page (static/) and a small JSON API on 127.0.0.1. Everything a member does goes through
the emulator's own Python API (the same one the tests use), so the bot cannot tell the page from the
real Discord, and the page shows each member what Discord would show them (view.py), live, through
server-sent events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

from aiohttp import web

from discord_sandbox.emulator import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.rest import Upload
from discord_sandbox.serving import serve
from discord_sandbox.state import Interaction, Member
from discord_sandbox.web.recording import NotAudio, to_voice_message
from discord_sandbox.web.view import snapshot

_LOGGER = logging.getLogger("discord_sandbox.web")
_STATIC = resources.files("discord_sandbox.web") / "static"
_STATIC_TYPES = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
MAX_REQUEST_BYTES = 32 * 1024 * 1024
_LOOK_AGAIN_SECONDS = 0.5  # deadlines and plays change without an emulator event: look this often
_KEEPALIVE_SECONDS = 15.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageError(Exception):
    """Something Discord's own client would not let the member do; shown on the page as it is."""


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (PageError, NotAudio, ValueError, LookupError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    except TimeoutError as exc:
        return web.json_response({"error": f"the bot did not answer: {exc}"}, status=504)


class SandboxPage:
    def __init__(self, emulator: DiscordEmulator, node: FakeLavalinkNode, members: Sequence[Member]) -> None:
        self.emulator = emulator
        self.node = node
        self.members = {member.id: member for member in members}
        self._submitted_modals: set[int] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(middlewares=[_errors], client_max_size=MAX_REQUEST_BYTES)
        app.add_routes(
            [
                web.get("/", self._index),
                web.get("/static/{name}", self._static),
                web.get("/api/state", self._state),
                web.get("/api/events", self._events),
                web.post("/api/slash", self._slash),
                web.post("/api/autocomplete", self._autocomplete),
                web.post("/api/message", self._message),
                web.post("/api/voice-message", self._voice_message),
                web.post("/api/click", self._click),
                web.post("/api/menu", self._menu),
                web.post("/api/modal", self._modal),
                web.post("/api/voice", self._voice),
            ]
        )
        self._runner, bound_port = await serve(app, host, port)
        self.url = f"http://{host}:{bound_port}"

    async def stop(self) -> None:
        self._closing.set()  # ends the event streams, which would otherwise hold the server open
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the page ---------------------------------------------------------------------------------------
    async def _index(self, request: web.Request) -> web.Response:
        return self._file("index.html")

    async def _static(self, request: web.Request) -> web.Response:
        return self._file(request.match_info["name"])

    @staticmethod
    def _file(name: str) -> web.Response:
        if name not in _STATIC_TYPES:
            raise web.HTTPNotFound()
        body = (_STATIC / name).read_bytes()
        return web.Response(
            body=body, content_type=_STATIC_TYPES[name], headers={"Cache-Control": "no-store"}
        )

    # -- what a member sees -----------------------------------------------------------------------------
    def _member(self, value: object) -> Member:
        if value is None and self.members:  # the page's first look: the first member (the admin)
            return next(iter(self.members.values()))
        try:
            return self.members[int(str(value))]
        except (KeyError, ValueError):
            raise PageError("choose one of the sandbox's members") from None

    def _view(self, member: Member) -> dict[str, Any]:
        return snapshot(self.emulator, self.node, member, self.members.values(), self._submitted_modals)

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self._view(self._member(request.query.get("member"))))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the member's view, again whenever it changes."""
        member = self._member(request.query.get("member"))
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        changes = self.emulator.changes
        last_sent = ""
        quiet = 0.0
        with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
            while not self._closing.is_set():
                version = changes.version
                view = json.dumps(self._view(member))
                if view != last_sent:
                    await response.write(f"data: {view}\n\n".encode())
                    last_sent, quiet = view, 0.0
                elif quiet >= _KEEPALIVE_SECONDS:
                    await response.write(b": still here\n\n")  # finds closed pages
                    quiet = 0.0
                with contextlib.suppress(TimeoutError):
                    await changes.wait_for(lambda v=version: changes.version != v, _LOOK_AGAIN_SECONDS)
                quiet += _LOOK_AGAIN_SECONDS
        return response

    # -- what a member does -----------------------------------------------------------------------------
    async def _slash(self, request: web.Request) -> web.Response:
        form = await request.post()
        member = self._member(form.get("member"))
        options: dict[str, object] = json.loads(str(form.get("options") or "{}"))
        for field_name, value in form.items():
            if field_name.startswith("file:") and isinstance(value, web.FileField):
                options[field_name.removeprefix("file:")] = await _upload(value)
        interaction = await self.emulator.slash(member, str(form.get("command", "")), options)
        return _interaction(interaction)

    async def _autocomplete(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = self._member(body.get("member"))
        choices = await self.emulator.autocomplete(
            member, str(body["command"]), dict(body.get("options") or {}), str(body["focused"])
        )
        return web.json_response({"choices": choices})

    async def _message(self, request: web.Request) -> web.Response:
        form = await request.post()
        member = self._member(form.get("member"))
        files = [
            await _upload(value) for value in form.getall("files", []) if isinstance(value, web.FileField)
        ]
        content = str(form.get("content", ""))
        if not content.strip() and not files:
            raise PageError("write something or attach a file")
        message = await self.emulator.send_message(
            member, content, attachments=files, reply_to=self._reply_target(form.get("reply_to"))
        )
        return web.json_response({"message": str(message.id)})

    async def _voice_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        member = self._member(form.get("member"))
        recording = form.get("recording")
        if not isinstance(recording, web.FileField):
            raise PageError("no recording was sent")
        clip = await asyncio.to_thread(lambda: to_voice_message(recording.file.read()))
        upload = Upload("voice-message.ogg", clip.data, "audio/ogg", duration_secs=clip.duration_secs)
        message = await self.emulator.send_message(
            member, attachments=[upload], voice=True, reply_to=self._reply_target(form.get("reply_to"))
        )
        return web.json_response({"message": str(message.id)})

    async def _click(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = self._member(body.get("member"))
        message = self.emulator.messages[int(body["message"])]
        return _interaction(await self.emulator.click(member, message, str(body["custom_id"])))

    async def _menu(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = self._member(body.get("member"))
        message = self.emulator.messages[int(body["message"])]
        return _interaction(await self.emulator.message_command(member, str(body["command"]), message))

    async def _modal(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = self._member(body.get("member"))
        opened_by = self.emulator.interactions_by_token.values()
        interaction = next((i for i in opened_by if str(i.id) == str(body["interaction"])), None)
        if interaction is None or interaction.member.id != member.id:
            raise PageError("that form is not open for this member")
        self._submitted_modals.add(interaction.id)
        values = {str(k): str(v) for k, v in dict(body.get("values") or {}).items()}
        return _interaction(await self.emulator.submit_modal(member, interaction, values))

    async def _voice(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = self._member(body.get("member"))
        channel_id = body.get("channel")
        channel = None if channel_id is None else self.emulator.guild.channels[int(channel_id)]
        if channel is not None and channel.type != 2:
            raise PageError("that is not a voice channel")
        await self.emulator.move_member(member, channel)
        self.emulator.changes.notify()
        return web.json_response({"voice": None if channel is None else str(channel.id)})

    def _reply_target(self, value: object) -> Any:
        if not value:
            return None
        return self.emulator.messages[int(str(value))]


async def _upload(field: web.FileField) -> Upload:
    # Off the loop: the bot being tried out shares it, and a file may be tens of megabytes.
    return Upload(field.filename, await asyncio.to_thread(field.file.read), field.content_type or None)


def _interaction(interaction: Interaction) -> web.Response:
    return web.json_response({"interaction": str(interaction.id)})
