"""The terminal chat: the same conversation as Telegram, buttons shown as numbered choices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from bot.dialog import Dialog
from bot.replies import Button, Reply
from bot.richtext import Block


def render(reply: Reply, texts_choices: str) -> tuple[str, list[Button]]:
    """Plain text of a reply and the buttons in the order they are numbered."""
    lines = [_line(b) for b in reply.blocks + reply.footer]
    if reply.toast:
        lines.append(f"({reply.toast})")
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        lines.append("")
        lines.append(texts_choices)
        for n, b in enumerate(buttons, 1):
            target = f" → {b.url}" if b.url else ""
            lines.append(f"  [{n}] {b.label}{target}")
    return "\n".join(lines), buttons


def _line(b: Block) -> str:
    text = "".join(f"{s.text} ({s.href})" if s.href else s.text for s in b.spans)
    if b.kind == "item":
        return "  " * b.level + f"{b.marker} {text}"
    if b.kind == "quote":
        return f"» {text}"
    if b.kind == "heading":
        return f"== {text} =="
    return text


def respond(dialog: Dialog, text: str, buttons: list[Button]) -> Reply | str | None:
    """The reply to one line typed in the terminal (a URL string for a link button)."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        n = int(text)
        if not 1 <= n <= len(buttons):
            return dialog.texts.console_unknown_choice
        button = buttons[n - 1]
        return button.url if button.url else dialog.press(button.action or "")
    if not text.startswith("/"):
        return dialog.ask(text)
    command, _, args = text[1:].partition(" ")
    command = command.split("@", 1)[0].lower()
    if command == "start":
        return dialog.start(args)
    if command == "help":
        return dialog.help()
    if command == "tanya":
        return dialog.ask(args) if args.strip() else dialog.ask_prompt()
    if command == "topik":
        return dialog.topics(args)
    return dialog.unknown_command()


def chat(dialog: Dialog, lines: Iterable[str], out: TextIO, prompt: str = "> ") -> None:
    """Run the conversation over `lines` of input, writing replies to `out`."""
    texts = dialog.texts
    first, buttons = render(dialog.start(), texts.console_choices)
    out.write(first + "\n\n" + texts.console_intro + "\n" + prompt)
    out.flush()
    for line in lines:
        reply = respond(dialog, line, buttons)
        if isinstance(reply, Reply):
            shown, new_buttons = render(reply, texts.console_choices)
            # A bare notice (e.g. thanks for feedback) keeps the previous choices usable.
            if reply.blocks or reply.buttons:
                buttons = new_buttons
            out.write(shown + "\n")
        elif reply:
            out.write(reply + "\n")
        out.write("\n" + prompt)
        out.flush()
    out.write("\n")
