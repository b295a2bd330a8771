"""Speaking in voice channels: spoken answers in order, and playback through a Lavalink node."""
