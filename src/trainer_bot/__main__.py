"""`python -m trainer_bot` is `trainer-bot`."""

from __future__ import annotations

import sys

from trainer_bot.cli import main

sys.exit(main())
