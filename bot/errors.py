"""The few exceptions the core raises; adapters turn them into polite replies or CLI errors."""

from __future__ import annotations


class BotError(Exception):
    """An error with a one-line message meant for the person running the bot."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(BotError):
    """The settings are missing, malformed or name an unknown key."""


class KnowledgeError(BotError):
    """The articles folder is missing or holds nothing that can be answered from."""
