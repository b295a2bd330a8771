"""Helpers for the speech tests: spoken test clips and a local stand-in for the edge-tts service."""
