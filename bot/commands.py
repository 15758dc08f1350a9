"""Every chat command once: where it works and who may use it; read by Telegram, the terminal and /help."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A chat command; its menu and help lines are `texts.commands[name]`."""

    name: str
    terminal: bool = True  # also in the terminal chat
    groups: bool = False  # also in group chats (else private chats only)
    admin: bool = False  # only for telegram.admin_ids; never in the menu or /help
    menu: bool = True  # listed in Telegram's command menu


COMMANDS: tuple[Command, ...] = (
    Command("tanya", groups=True),
    Command("topik"),
    Command("hapusdata", terminal=False),
    Command("help"),
    Command("start"),
    Command("stats", terminal=False, admin=True, menu=False),
    Command("unanswered", terminal=False, admin=True, menu=False),
    Command("reload", terminal=False, admin=True, menu=False),
    Command("laporan", terminal=False, admin=True, menu=False),
)


def public(terminal: bool = False) -> tuple[Command, ...]:
    """The commands shown to everyone, in menu order (those of the terminal when `terminal`)."""
    return tuple(c for c in COMMANDS if not c.admin and (c.terminal or not terminal))
