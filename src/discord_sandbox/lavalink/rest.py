"""The REST half of the fake node: sessions and players, as Lavalink v4 answers them.

Every error has Spring's body `{timestamp, status, error, message, path}`: Lavalink.py reads `error`
and `path` from it and fails with a KeyError on anything else.
"""

from __future__ import annotations

import json
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

from discord_sandbox.lavalink.player import FakePlayer
from discord_sandbox.lavalink.tracks import decode_track, track_json

if TYPE_CHECKING:
    from discord_sandbox.lavalink.node import FakeLavalinkNode
    from discord_sandbox.lavalink.session import Session

__all__ = ["ApiError", "error_response", "routes"]

VERSION = "4.0.8"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def error_response(request: web.Request, status: int, message: str, *, bare: bool = False) -> web.Response:
    """Spring's error body; `bare`: without `error`, as some Lavalink-compatible servers answer."""
    body: dict[str, Any] = {
        "timestamp": int(time.time() * 1000),
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "path": request.path,
    }
    if bare:
        del body["error"]
    if request.query.get("trace") == "true":
        body["trace"] = f"dev.arbjerg.lavalink.server.ResponseStatusException: {message}"
    return web.json_response(body, status=status)


def routes(node: FakeLavalinkNode) -> list[web.RouteDef]:
    api = _Api(node)
    return [
        web.get("/version", api.version),
        web.get("/v4/info", api.info),
        web.get("/v4/stats", api.stats),
        web.get("/v4/loadtracks", api.load_tracks),
        web.get("/v4/decodetrack", api.decode_track),
        web.post("/v4/decodetracks", api.decode_tracks),
        web.patch("/v4/sessions/{session}", api.update_session),
        web.get("/v4/sessions/{session}/players", api.players),
        web.get("/v4/sessions/{session}/players/{guild}", api.player),
        web.patch("/v4/sessions/{session}/players/{guild}", api.update_player),
        web.delete("/v4/sessions/{session}/players/{guild}", api.destroy_player),
    ]


class _Api:
    def __init__(self, node: FakeLavalinkNode) -> None:
        self.node = node

    async def version(self, request: web.Request) -> web.Response:
        return web.Response(text=VERSION)

    async def info(self, request: web.Request) -> web.Response:
        major, minor, patch = (int(part) for part in VERSION.split("."))
        return web.json_response(
            {
                "version": {
                    "semver": VERSION,
                    "major": major,
                    "minor": minor,
                    "patch": patch,
                    "preRelease": None,
                    "build": None,
                },
                "buildTime": 1_700_000_000_000,
                "git": {"branch": "main", "commit": "0" * 40, "commitTime": 1_700_000_000_000},
                "jvm": "17.0.9",
                "lavaplayer": "2.1.1",
                "sourceManagers": ["http"],
                "filters": ["volume", "equalizer", "timescale"],
                "plugins": [],
            }
        )

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.node.stats())

    async def load_tracks(self, request: web.Request) -> web.Response:
        identifier = request.query.get("identifier")
        if not identifier:
            raise ApiError(400, "Required request parameter 'identifier' is not present")
        return web.json_response(await self.node.loader.load(identifier))

    async def decode_track(self, request: web.Request) -> web.Response:
        encoded = request.query.get("encodedTrack", "")
        try:
            return web.json_response(track_json(decode_track(encoded), encoded))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc

    async def decode_tracks(self, request: web.Request) -> web.Response:
        try:
            encoded = await request.json()
            if not isinstance(encoded, list):
                raise ApiError(400, "Expected a JSON array of encoded tracks")
            return web.json_response([track_json(decode_track(str(item)), str(item)) for item in encoded])
        except (ValueError, json.JSONDecodeError) as exc:
            raise ApiError(400, str(exc)) from exc

    async def update_session(self, request: web.Request) -> web.Response:
        session = self._session(request)
        body = await _json(request)
        if "resuming" in body:
            session.resuming = bool(body["resuming"])
        if "timeout" in body:
            session.timeout = int(body["timeout"])
        return web.json_response({"resuming": session.resuming, "timeout": session.timeout})

    async def players(self, request: web.Request) -> web.Response:
        session = self._session(request)
        return web.json_response([player.as_json() for player in session.players.values()])

    async def player(self, request: web.Request) -> web.Response:
        player = self._session(request).players.get(_guild(request))
        if player is None:
            raise ApiError(404, "Player not found")
        return web.json_response(player.as_json())

    async def destroy_player(self, request: web.Request) -> web.Response:
        session, guild_id = self._session(request), _guild(request)
        player = session.players.pop(guild_id, None)
        if player is None and self.node.quirks.strict_delete:
            raise ApiError(404, "Player not found")
        if player is not None:
            player.stop()
            await player.aclose()
        return web.Response(status=204)

    async def update_player(self, request: web.Request) -> web.Response:
        session, guild_id = self._session(request), _guild(request)
        body = await _json(request)
        self.node.patches.append((guild_id, body))
        player = session.players.get(guild_id)
        if player is None:
            player = self.node.new_player(session, guild_id)
        if "voice" in body:
            player.set_voice(_voice(body["voice"]))
        if "filters" in body:
            player.filters = body["filters"] or {}
        if "volume" in body:
            volume = body["volume"]
            if not isinstance(volume, int) or not 0 <= volume <= 1000:
                raise ApiError(400, "Volume must be between 0 and 1000")
            player.volume = volume
        if "paused" in body:
            player.set_paused(bool(body["paused"]))
        started = await self._apply_track(request, player, body)
        if "endTime" in body and not started:
            player.set_end_time(body["endTime"])
        if "position" in body and not started and player.track is not None:
            player.seek(int(body["position"]))
        return web.json_response(player.as_json())

    async def _apply_track(self, request: web.Request, player: FakePlayer, body: dict[str, Any]) -> bool:
        """Plays or stops as `track` says; True where a new track was started."""
        track = body.get("track")
        if not isinstance(track, dict) or not ({"encoded", "identifier"} & track.keys()):
            if isinstance(track, dict) and "userData" in track:
                player.user_data = dict(track["userData"] or {})
            return False
        if "encoded" in track and "identifier" in track:
            raise ApiError(400, "Cannot specify both track.encoded and track.identifier")
        if "encoded" in track and track["encoded"] is None:
            if player.track is None and self.node.quirks.idle_stop_refused:
                raise ApiError(400, "The player is not playing.")
            player.stop()  # Lavalink answers 200 with the player, even when it was idle
            return False
        if request.query.get("noReplace") == "true" and player.track is not None:
            return False
        if "identifier" in track:
            result = await self.node.loader.load(str(track["identifier"]))
            if result["loadType"] != "track":
                raise ApiError(400, f"Failed to load track: {result['loadType']}")
            encoded = str(result["data"]["encoded"])
        else:
            encoded = str(track["encoded"])
        try:
            info = decode_track(encoded)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        # Like a real node: the play waits briefly for a voice connection being made; without one the
        # answer is `"track": null` and no event ever comes.
        if not await player.voice_settled(hold=2.0):
            self.node.refused_plays.append(player.guild_id)
            return False
        player.set_end_time(body.get("endTime"))
        player.play(info, encoded, dict(track.get("userData") or {}), int(body.get("position", 0)))
        if player.record is not None:
            self.node.play_log.append(player.record)
        return True

    def _session(self, request: web.Request) -> Session:
        session = self.node.sessions.get(request.match_info["session"])
        if session is None:
            raise ApiError(404, "Session not found")
        return session


def _guild(request: web.Request) -> int:
    try:
        return int(request.match_info["guild"])
    except ValueError as exc:
        raise ApiError(400, "Invalid guild id") from exc


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise ApiError(400, "Malformed JSON body") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object")
    return body


def _voice(voice: Any) -> dict[str, Any]:
    # channelId is required since Lavalink 4.2 (Discord's DAVE encryption needs it).
    fields = ("token", "endpoint", "sessionId", "channelId")
    if not isinstance(voice, dict) or any(not isinstance(voice.get(name), str) for name in fields):
        raise ApiError(
            400, "Partial Lavalink voice state: token, endpoint, sessionId and channelId are required"
        )
    return {name: voice[name] for name in fields}
