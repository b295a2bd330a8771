"""DataLayout: every path the bot keeps under DATA_DIR."""

from __future__ import annotations

from pathlib import Path

from trainer_bot.config import Settings
from trainer_bot.layout import DataLayout


def test_everything_lives_under_the_data_directory(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    paths = [layout.database_file, layout.signing_key_file, layout.whisper_cache, layout.guild_dir(42)]
    assert all(path.is_relative_to(tmp_path) for path in paths)
    assert layout.guild_dir(42) == tmp_path / "guilds" / "42"
    assert (
        layout.default_database_url
        == f"sqlite+aiosqlite:///{tmp_path.resolve().as_posix()}/trainer-bot.sqlite3"
    )


def test_settings_lay_out_their_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "elsewhere", _env_file=None)  # type: ignore[call-arg]
    assert settings.layout.root == tmp_path / "elsewhere"
