"""STT_URL: one server or several, each checked, with a one-line error that never shows the entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainer_bot.config import ConfigError, load_settings
from trainer_bot.speech.stt import LocalTranscriber, RemoteTranscriber, transcriber_for


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STT_URL", raising=False)


@pytest.mark.parametrize(
    ("value", "servers"),
    [
        ("", ()),
        ("http://stt:8000", ("http://stt:8000",)),
        ("https://api.openai.com/v1/", ("https://api.openai.com/v1",)),
        (" http://stt-1:8000 , http://stt-2:8000/,", ("http://stt-1:8000", "http://stt-2:8000")),
    ],
)
def test_one_server_or_several(monkeypatch: pytest.MonkeyPatch, value: str, servers: tuple[str, ...]) -> None:
    monkeypatch.setenv("STT_URL", value)
    assert load_settings().stt_urls == servers


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("stt:8000", "server 1 is not an http:// or https:// URL with a host"),
        (
            "http://stt-1:8000,ftp://user:secret@stt-2",
            "server 2 is not an http:// or https:// URL with a host",
        ),
        ("http://stt-1:8000,http://", "server 2 is not an http:// or https:// URL with a host"),
        ("http://stt-1:port", "server 1 is not an http:// or https:// URL with a host"),
        ("http://stt-1:8000, http://stt-1:8000/", "server 2 is listed twice"),
    ],
)
def test_a_malformed_server_is_one_line_without_its_text(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("STT_URL", value)
    with pytest.raises(
        ConfigError, match=f"^STT_URL is invalid: Value error, {re.escape(message)}$"
    ) as refused:
        load_settings()
    assert "secret" not in str(refused.value)


def test_the_transcriber_follows_stt_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(transcriber_for(load_settings()), LocalTranscriber)
    monkeypatch.setenv("STT_URL", "http://stt-1:8000,http://stt-2:8000")
    settings = load_settings()
    remote = transcriber_for(settings)
    assert isinstance(remote, RemoteTranscriber)
    assert [server.endpoint for server in remote.servers] == [
        "http://stt-1:8000/v1/audio/transcriptions",
        "http://stt-2:8000/v1/audio/transcriptions",
    ]
    assert isinstance(transcriber_for(settings, local=True), LocalTranscriber)
