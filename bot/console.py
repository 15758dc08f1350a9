"""The terminal chat: the same conversation as Telegram, buttons shown as numbered choices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TextIO

from bot.commands import public
from bot.dialog import Dialog
from bot.replies import Button, Reply
from bot.richtext import Block, prefix


def render(
    reply: Reply, texts_choices: str, actions: bool = True, keys: Mapping[str, str] | None = None
) -> tuple[str, dict[str, Button]]:
    """Plain text of a reply and its buttons by the key that presses them.

    Buttons are numbered in order, except those whose label `keys` gives a fixed key (paging:
    "<" and ">", the same on every page). Without `actions` (a one-shot answer, where nothing
    can be pressed) only link buttons are shown, as their addresses.
    """
    lines = [_line(b) for b in reply.blocks + reply.footer]
    if reply.toast:
        lines.append(f"({reply.toast})")
    buttons = [b for row in reply.buttons for b in row]
    if not actions:
        lines.extend(f"{b.label}: {b.url}" for b in buttons if b.url)
        return "\n".join(lines), {}
    keyed: dict[str, Button] = {}
    fixed = keys or {}
    numbers = iter(range(1, len(buttons) + 1))
    for b in buttons:
        keyed[fixed.get(b.label) or str(next(numbers))] = b
    if keyed:
        lines.append("")
        lines.append(texts_choices)
        for key, b in keyed.items():
            target = f" → {b.url}" if b.url else ""
            lines.append(f"  [{key}] {b.label}{target}")
    return "\n".join(lines), keyed


def _line(b: Block) -> str:
    """A block as the terminal shows it: links followed by their address, headings framed."""
    body = "".join(f"{s.text} ({s.href})" if s.href else s.text for s in b.spans)
    return f"== {body} ==" if b.kind == "heading" else prefix(b) + body


CHAT = "console"  # the terminal session's conversation


def respond(dialog: Dialog, text: str, buttons: Mapping[str, Button]) -> Reply | str | None:
    """The reply to one line typed in the terminal (a URL string for a link button)."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() or text in buttons:
        button = buttons.get(text)
        if button is None:
            return dialog.texts.console_unknown_choice
        return button.url if button.url else dialog.press(button.action or "")
    if not text.startswith("/"):
        return dialog.ask(text, chat=CHAT)
    command, _, args = text[1:].partition(" ")
    command = command.split("@", 1)[0].lower()
    if command not in {c.name for c in public(terminal=True)}:
        return dialog.unknown_command()
    if command == "start":
        return dialog.start(args)
    if command == "help":
        return dialog.help(terminal=True)
    if command == "tanya":
        return dialog.ask(args, chat=CHAT) if args.strip() else dialog.ask_prompt()
    return dialog.topics(args)


def chat(dialog: Dialog, lines: Iterable[str], out: TextIO, prompt: str = "> ") -> None:
    """Run the conversation over `lines` of input, writing replies to `out`."""
    texts = dialog.texts
    keys = {texts.button_previous: "<", texts.button_next: ">"}
    first, buttons = render(dialog.start(), texts.console_choices, keys=keys)
    out.write(first + "\n\n" + texts.console_intro + "\n" + prompt)
    out.flush()
    for line in lines:
        reply = respond(dialog, line, buttons)
        if isinstance(reply, Reply):
            shown, new_buttons = render(reply, texts.console_choices, keys=keys)
            # A bare notice (e.g. thanks for feedback) keeps the previous choices usable.
            if reply.blocks or reply.buttons:
                buttons = new_buttons
            out.write(shown + "\n")
        elif reply:
            out.write(reply + "\n")
        out.write("\n" + prompt)
        out.flush()
    out.write("\n")
