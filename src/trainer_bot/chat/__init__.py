"""Talking with members: answers, corrections, ratings and feedback, the guild's preferences, the instruction."""
