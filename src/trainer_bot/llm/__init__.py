"""Language models that write chat answers: one in this process (llama.cpp) or any OpenAI-compatible server.

Framework-free: nothing here knows Discord, the chat flow or the guild's material; callers pass messages
and read text pieces as they come.
"""
