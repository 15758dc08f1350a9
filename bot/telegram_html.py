"""Render reply blocks as Telegram HTML that stays within Telegram's message length."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.richtext import Block, Span, cut_point, head, line, prefix

MAX_MESSAGE = 4096  # Telegram's limit, counted in UTF-16 code units of the visible text
ELLIPSIS = "…"


def render(blocks: Sequence[Block], footer: Sequence[Block] = (), limit: int = MAX_MESSAGE) -> str:
    """HTML for `blocks` then `footer`; when too long, the footer's tail and then the text are cut.

    The first footer block (the source line) is kept as long as there is room for it; the
    main text is cut at a sentence or paragraph end and marked with an ellipsis.
    """
    blocks, footer = list(blocks), list(footer)
    while footer and _length(blocks + footer) > limit and len(footer) > 1:
        footer.pop()
    if _length(blocks + footer) > limit:
        footer = footer[:1] if _length(footer[:1]) + _length(blocks[:1]) + 2 <= limit else []
        blocks = _cut(blocks, limit - _length(footer) - (2 if footer else 0))
    return _join(blocks + footer)


def escape(text: str) -> str:
    """Text safe inside Telegram HTML."""
    return html.escape(text, quote=False)


def span_html(span: Span) -> str:
    """One span with its emphasis and link as Telegram HTML."""
    out = escape(span.text)
    if span.code:
        out = f"<code>{out}</code>"
    if span.italic:
        out = f"<i>{out}</i>"
    if span.bold:
        out = f"<b>{out}</b>"
    if span.href:
        out = f'<a href="{html.escape(span.href, quote=True)}">{out}</a>'
    return out


def block_html(block: Block) -> str:
    """One block as a line (or lines) of Telegram HTML."""
    body = escape(prefix(block)) + "".join(span_html(s) for s in block.spans)
    if block.kind == "quote":
        return f"<i>{body}</i>" if block.text else ""
    return body


def visible_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _join(blocks: Sequence[Block]) -> str:
    return _joined(blocks, block_html)


def _length(blocks: Sequence[Block]) -> int:
    """The visible length of `blocks` as `_join` lays them out: their plain-text lines and the breaks between."""
    return visible_length(_joined(blocks, _visible))


def _visible(block: Block) -> str:
    """What a user sees of `block_html(block)`: its plain-text line (an empty quote shows nothing)."""
    return "" if block.kind == "quote" and not block.text else line(block)


def _joined(blocks: Sequence[Block], render: Callable[[Block], str]) -> str:
    parts: list[str] = []
    for i, b in enumerate(blocks):
        if i:
            parts.append(_break(blocks[i - 1], b))
        parts.append(render(b))
    return "".join(parts)


def _break(before: Block, b: Block) -> str:
    """A line break within a list, quote or after a heading; an empty line between paragraphs."""
    tight = b.kind in ("item", "quote") and before.kind in ("item", "quote", "paragraph")
    return "\n" if tight or before.kind == "heading" else "\n\n"


def _cut(blocks: list[Block], budget: int) -> list[Block]:
    """Keep whole blocks while they fit, then the part of the next one that ends a sentence."""
    kept: list[Block] = []
    for b in blocks:
        if _length(kept + [b]) <= budget - 1:
            kept.append(b)
            continue
        room = budget - 1 - (_length(kept) + len(_break(kept[-1], b)) if kept else 0) - visible_length(prefix(b))
        partial = _cut_block(b, room)
        if partial is not None:
            kept.append(partial)
        break
    if kept:
        last = kept[-1]
        kept[-1] = replace(last, spans=last.spans + (Span(ELLIPSIS),))
    return kept


def _cut_block(b: Block, room: int) -> Block | None:
    """The block shortened to `room` code units, at a sentence end when there is one."""
    if room < 20:
        return None
    text = b.text
    limit = len(text)
    while limit and visible_length(text[:limit]) > room:
        limit -= max(1, (visible_length(text[:limit]) - room) // 2)
    limit = cut_point(text, limit, limit // 2) or limit
    spans = list(head(b.spans, limit))
    spans[-1] = replace(spans[-1], text=spans[-1].text.rstrip())
    return replace(b, spans=tuple(spans))
