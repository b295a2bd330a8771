"""Tracks as a Lavalink v4 node writes them: the JSON object and lavaplayer's base64 `encoded` blob.

The blob is lavaplayer's message format (version 3, http source), byte for byte, so that a client that
decodes tracks locally (Lavalink.py's `decode_track`) reads what it would read from a real node, and so
that a restarted node can still play a track encoded before the restart.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["TrackInfo", "decode_track", "encode_track", "track_json"]

_VERSIONED = 1  # lavaplayer's TRACK_INFO_VERSIONED message flag
_UNKNOWN_TITLE, _UNKNOWN_ARTIST = "Unknown title", "Unknown artist"  # lavaplayer's defaults for http


@dataclass(frozen=True)
class TrackInfo:
    uri: str
    length_ms: int
    probe: str  # lavaplayer's container probe name ("mp3", "ogg", "wav")
    title: str = _UNKNOWN_TITLE
    author: str = _UNKNOWN_ARTIST
    position_ms: int = 0


def _java_utf(text: str) -> bytes:
    """Java's DataOutput.writeUTF: a length, then "modified UTF-8" (NUL and astral chars differ)."""
    out = bytearray()
    units = text.encode("utf-16-be", "surrogatepass")
    for index in range(0, len(units), 2):
        unit = (units[index] << 8) | units[index + 1]
        if 0x01 <= unit <= 0x7F:
            out.append(unit)
        elif unit <= 0x7FF:
            out += bytes((0xC0 | (unit >> 6), 0x80 | (unit & 0x3F)))
        else:
            out += bytes((0xE0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3F), 0x80 | (unit & 0x3F)))
    return struct.pack(">H", len(out)) + bytes(out)


def encode_track(info: TrackInfo) -> str:
    body = bytearray(b"\x03")
    body += _java_utf(info.title) + _java_utf(info.author)
    body += struct.pack(">q", info.length_ms)
    body += _java_utf(info.uri)  # the identifier of an http track is its URL
    body += b"\x00"  # isStream
    body += b"\x01" + _java_utf(info.uri)
    body += b"\x00\x00"  # artworkUrl and isrc: absent
    body += _java_utf("http") + _java_utf(info.probe)
    body += struct.pack(">q", info.position_ms)
    header = struct.pack(">I", (_VERSIONED << 30) | len(body))
    return base64.b64encode(header + bytes(body)).decode()


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def take(self, count: int) -> bytes:
        if self.offset + count > len(self.data):
            raise ValueError("truncated track")
        chunk = self.data[self.offset : self.offset + count]
        self.offset += count
        return chunk

    def utf(self) -> str:
        raw = self.take(struct.unpack(">H", self.take(2))[0])
        units = bytearray()
        index = 0
        while index < len(raw):
            byte = raw[index]
            if byte < 0x80:
                unit, index = byte, index + 1
            elif byte >> 5 == 0x06:
                unit, index = ((byte & 0x1F) << 6) | (raw[index + 1] & 0x3F), index + 2
            else:
                unit = ((byte & 0x0F) << 12) | ((raw[index + 1] & 0x3F) << 6) | (raw[index + 2] & 0x3F)
                index += 3
            units += struct.pack(">H", unit)
        return units.decode("utf-16-be", "surrogatepass")

    def boolean(self) -> bool:
        return self.take(1) != b"\x00"

    def long(self) -> int:
        return int(struct.unpack(">q", self.take(8))[0])


def decode_track(encoded: str) -> TrackInfo:
    """Reads a blob this node (or a real one, for the http source) wrote; ValueError if it can't."""
    try:
        reader = _Reader(base64.b64decode(encoded, validate=True))
        flags_and_size = struct.unpack(">I", reader.take(4))[0]
        if flags_and_size >> 30 != _VERSIONED or reader.take(1) != b"\x03":
            raise ValueError("unsupported track version")
        title, author, length = reader.utf(), reader.utf(), reader.long()
        _identifier, _stream = reader.utf(), reader.boolean()
        uri = reader.utf() if reader.boolean() else ""
        for _nullable in range(2):  # artworkUrl, isrc
            if reader.boolean():
                reader.utf()
        if reader.utf() != "http":
            raise ValueError("only http tracks are supported")
        probe = reader.utf()
        position = reader.long()
    except (ValueError, struct.error, UnicodeDecodeError, IndexError) as exc:
        raise ValueError(f"Failed to decode track: {exc}") from exc
    return TrackInfo(uri=uri, length_ms=length, probe=probe, title=title, author=author, position_ms=position)


def track_json(info: TrackInfo, encoded: str, user_data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "encoded": encoded,
        "info": {
            "identifier": info.uri,
            "isSeekable": True,
            "author": info.author,
            "length": info.length_ms,
            "isStream": False,
            "position": info.position_ms,
            "title": info.title,
            "uri": info.uri,
            "artworkUrl": None,
            "isrc": None,
            "sourceName": "http",
        },
        "pluginInfo": {},
        "userData": user_data or {},
    }
