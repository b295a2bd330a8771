"""Speech: transcription of voice messages and synthesis of spoken answers."""
