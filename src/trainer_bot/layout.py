"""Every path under DATA_DIR, in one place.

```
DATA_DIR/
  trainer-bot.sqlite3      the database, unless DATABASE_URL points elsewhere
  model-signing.key        signs model files, so only files this bot wrote are ever loaded
  whisper/                 speech models assembled or downloaded for local transcription
  guilds/<guild id>/       a guild's workspace: the only place member-typed paths may reach
    files/  datasets/  archives/  models/
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# A guild workspace's folders: members' own files, stored copies of datasets, zips, model versions.
FILES = "files"
DATASETS = "datasets"
ARCHIVES = "archives"
MODELS = "models"
GUILD_FOLDERS = (FILES, DATASETS, ARCHIVES, MODELS)


@dataclass(frozen=True)
class DataLayout:
    root: Path

    @property
    def database_file(self) -> Path:
        return self.root / "trainer-bot.sqlite3"

    @property
    def default_database_url(self) -> str:
        """SQLite in DATA_DIR: what DATABASE_URL means when it is not set."""
        return f"sqlite+aiosqlite:///{self.database_file.resolve().as_posix()}"

    @property
    def signing_key_file(self) -> Path:
        return self.root / "model-signing.key"

    @property
    def whisper_cache(self) -> Path:
        return self.root / "whisper"

    @property
    def guilds_dir(self) -> Path:
        return self.root / "guilds"

    def guild_dir(self, guild_id: int) -> Path:
        return self.guilds_dir / str(guild_id)

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
