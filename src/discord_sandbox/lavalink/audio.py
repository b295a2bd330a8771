"""Reads the real length of MP3, Ogg (Opus/Vorbis) and WAV audio, and makes small valid files for tests.

The fake node must know how long a track plays, as lavaplayer does, without FFmpeg: MP3 is measured by
walking every frame (a Xing/Info header's frame count wins, as decoders use it), Ogg by the last page's
granule position (pages are CRC-checked), WAV by its data chunk. Anything else is "Unknown file format."
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from dataclasses import dataclass

__all__ = ["AudioInfo", "UnsupportedAudio", "ogg_opus_silence", "probe", "silent_mp3", "sine_wav"]


class UnsupportedAudio(ValueError):
    """The bytes are not audio the fake node can play; the message is lavaplayer's."""


@dataclass(frozen=True)
class AudioInfo:
    container: str  # lavaplayer's probe name: "mp3", "ogg" or "wav"
    length_ms: int
    sample_rate: int


def probe(data: bytes) -> AudioInfo:
    if data.startswith(b"OggS"):
        return _probe_ogg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _probe_wav(data)
    return _probe_mp3(data)


# --- MP3 -----------------------------------------------------------------------------------------------

_MPEG1, _MPEG2, _MPEG25 = 3, 2, 0
_L3_BITRATES = {
    _MPEG1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    _MPEG2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {_MPEG1: (44100, 48000, 32000), _MPEG2: (22050, 24000, 16000), _MPEG25: (11025, 12000, 8000)}


@dataclass(frozen=True)
class _Frame:
    size: int
    samples: int
    sample_rate: int
    side_info: int  # bytes of side information after the header (and CRC)


def _parse_frame(header: bytes) -> _Frame | None:
    """An MPEG audio Layer III frame header, or None where these four bytes are not one."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 0x03
    layer = (header[1] >> 1) & 0x03
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 0x03
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, free format, or not Layer III
    bitrate = _L3_BITRATES[_MPEG1 if version == _MPEG1 else _MPEG2][bitrate_index] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    padding = (header[2] >> 1) & 0x01
    mono = header[3] >> 6 == 3
    crc = 2 if header[1] & 0x01 == 0 else 0
    if version == _MPEG1:
        size, samples, side = 144 * bitrate // sample_rate + padding, 1152, 17 if mono else 32
    else:
        size, samples, side = 72 * bitrate // sample_rate + padding, 576, 9 if mono else 17
    return _Frame(size, samples, sample_rate, side + crc)


def _skip_id3v2(data: bytes) -> int:
    offset = 0
    while data[offset : offset + 3] == b"ID3" and len(data) >= offset + 10:
        size = 0
        for byte in data[offset + 6 : offset + 10]:
            size = (size << 7) | (byte & 0x7F)  # "syncsafe": 7 bits per byte
        footer = 10 if data[offset + 5] & 0x10 else 0
        offset += 10 + size + footer
    return offset


def _xing_frames(data: bytes, offset: int, frame: _Frame) -> int | None:
    """Frame count from a Xing/Info (LAME) or VBRI header in the first frame, if it carries one."""
    tag_at = offset + 4 + frame.side_info
    tag = data[tag_at : tag_at + 4]
    if tag in (b"Xing", b"Info"):
        flags = struct.unpack(">I", data[tag_at + 4 : tag_at + 8])[0]
        if flags & 0x01:
            return int(struct.unpack(">I", data[tag_at + 8 : tag_at + 12])[0])
    vbri_at = offset + 4 + 32
    if data[vbri_at : vbri_at + 4] == b"VBRI":
        return int(struct.unpack(">I", data[vbri_at + 14 : vbri_at + 18])[0])
    return None


def _probe_mp3(data: bytes) -> AudioInfo:
    offset = _skip_id3v2(data)
    first = _parse_frame(data[offset : offset + 4])
    if first is None:
        raise UnsupportedAudio("Unknown file format.")
    declared = _xing_frames(data, offset, first)
    if declared is not None:
        # The tag frame itself is silent padding; decoders skip it and trust the count.
        return AudioInfo("mp3", declared * first.samples * 1000 // first.sample_rate, first.sample_rate)
    samples = 0
    while offset + 4 <= len(data):
        frame = _parse_frame(data[offset : offset + 4])
        if frame is None or offset + frame.size > len(data):
            break  # trailing tags (ID3v1 "TAG", APE) or a truncated last frame: decoding stops here
        samples += frame.samples
        offset += frame.size
    return AudioInfo("mp3", samples * 1000 // first.sample_rate, first.sample_rate)


def silent_mp3(seconds: float) -> bytes:
    """MPEG-2 Layer III, 24 kHz mono 48 kbit/s (edge-tts's format) of digital silence.

    Every frame is a header plus zeroed side information and main data: zero-length Huffman data with a
    global gain of 0, which any decoder plays as silence. 576 samples (24 ms) a frame.
    """
    frames = max(1, round(seconds * 24000 / 576))
    frame = bytes((0xFF, 0xF3, 0x64, 0xC0)) + bytes(140)  # 72 * 48000 / 24000 = 144 bytes a frame
    return frame * frames


# --- WAV -----------------------------------------------------------------------------------------------


def _probe_wav(data: bytes) -> AudioInfo:
    offset = 12
    fmt: tuple[int, int, int, int, int, int] | None = None
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        body = offset + 8
        if chunk_id == b"fmt " and size >= 16:
            fmt = struct.unpack("<HHIIHH", data[body : body + 16])
        elif chunk_id == b"data":
            if fmt is None:
                break
            audio_format, _channels, rate, _byte_rate, block_align, bits = fmt
            if audio_format not in (1, 0xFFFE) or bits not in (16, 24) or block_align == 0 or rate == 0:
                raise UnsupportedAudio("Unsupported WAV format: only 16 and 24 bit PCM is supported.")
            # Streaming writers (espeak-ng to stdout) leave a placeholder size: read what is there.
            available = len(data) - body
            length = available if size in (0, 0xFFFFFFFF) or size > available else size
            frames = length // block_align
            return AudioInfo("wav", frames * 1000 // rate, rate)
        offset = body + size + (size & 1)
    raise UnsupportedAudio("Unknown file format.")


def sine_wav(seconds: float, frequency: float = 440.0, sample_rate: int = 22050) -> bytes:
    """A 16-bit PCM mono WAV tone, the kind espeak-ng writes."""
    count = max(1, round(seconds * sample_rate))
    step = 2 * math.pi * frequency / sample_rate
    samples = array("h", (int(12000 * math.sin(step * i)) for i in range(count)))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    pcm = samples.tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(pcm))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(pcm))
        + pcm
    )


# --- Ogg -----------------------------------------------------------------------------------------------


def _crc_table() -> tuple[int, ...]:
    table = []
    for index in range(256):
        value = index << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
        table.append(value & 0xFFFFFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


def _probe_ogg(data: bytes) -> AudioInfo:
    offset, serial, first_packet, last_granule = 0, None, b"", -1
    while offset + 27 <= len(data) and data[offset : offset + 4] == b"OggS":
        granule, page_serial, _seq, crc, segments = struct.unpack("<qIIIB", data[offset + 6 : offset + 27])
        table = data[offset + 27 : offset + 27 + segments]
        end = offset + 27 + segments + sum(table)
        if len(table) < segments or end > len(data):
            break  # truncated: decoders stop at the last whole page
        page = data[offset:end]
        if _ogg_crc(page[:22] + b"\0\0\0\0" + page[26:]) != crc:
            raise UnsupportedAudio("Ogg page checksum mismatch.")
        if serial is None:
            serial, first_packet = page_serial, page[27 + segments : 27 + segments + table[0] if table else 0]
        if page_serial == serial and granule >= 0:
            last_granule = granule
        offset = end
    if serial is None:
        raise UnsupportedAudio("Unknown file format.")
    if first_packet.startswith(b"OpusHead") and len(first_packet) >= 19:
        pre_skip = struct.unpack("<H", first_packet[10:12])[0]
        return AudioInfo("ogg", max(0, last_granule - pre_skip) * 1000 // 48000, 48000)
    if first_packet.startswith(b"\x01vorbis") and len(first_packet) >= 16:
        rate = struct.unpack("<I", first_packet[12:16])[0]
        if rate:
            return AudioInfo("ogg", max(0, last_granule) * 1000 // rate, rate)
    raise UnsupportedAudio("Unsupported Ogg codec: only Opus and Vorbis are supported.")


_OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms CELT frame flagged as silence (what Discord bots send)
_PRE_SKIP = 312


def _ogg_page(packets: list[bytes], granule: int, serial: int, sequence: int, flags: int) -> bytes:
    table = bytearray()
    for packet in packets:
        table += b"\xff" * (len(packet) // 255) + bytes((len(packet) % 255,))
    header = b"OggS" + struct.pack("<BBqIIIB", 0, flags, granule, serial, sequence, 0, len(table))
    page = header + bytes(table) + b"".join(packets)
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def ogg_opus_silence(seconds: float, serial: int = 0x7472_6E72) -> bytes:
    """Ogg Opus (48 kHz mono) of 20 ms silence frames, 50 to a page, the way Discord voice messages are.

    Granule positions count the decoder's pre-skip samples too; the last page's granule trims the final
    frame so that exactly `seconds` of audio play (RFC 7845).
    """
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, _PRE_SKIP, 48000, 0, 0)
    vendor = b"trainer-bot"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [_ogg_page([head], 0, serial, 0, 0x02), _ogg_page([tags], 0, serial, 1, 0)]
    playable = max(960, round(seconds * 48000))
    frames = -(-(playable + _PRE_SKIP) // 960)
    for start in range(0, frames, 50):
        count = min(50, frames - start)
        last = start + count == frames
        granule = _PRE_SKIP + playable if last else (start + count) * 960
        pages.append(_ogg_page([_OPUS_SILENCE] * count, granule, serial, len(pages), 0x04 if last else 0))
    return b"".join(pages)
