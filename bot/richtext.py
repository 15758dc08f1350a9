"""Rich text as plain data: spans with emphasis and links, grouped into blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

BlockKind = Literal["paragraph", "item", "quote", "heading"]


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with its emphasis; `href` makes it a link."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, list item, quote line or heading made of spans."""

    spans: tuple[Span, ...]
    kind: BlockKind = "paragraph"
    level: int = 0
    marker: str = "•"

    @property
    def text(self) -> str:
        """The block's text without markup."""
        return "".join(s.text for s in self.spans)


Passage = tuple[Block, ...]


def plain(spans: tuple[Span, ...]) -> str:
    """Concatenate the text of `spans`."""
    return "".join(s.text for s in spans)


def block(text: str, kind: BlockKind = "paragraph", **style: bool | str | None) -> Block:
    """Return a block holding one span of `text`."""
    return Block((Span(text, **style),), kind=kind)  # type: ignore[arg-type]  # `style` holds Span's own keyword fields


INDENT = "  "  # one level of list nesting, the same in the terminal, on Telegram and in the search text


def prefix(b: Block) -> str:
    """The plain text a block's line starts with: a list item's indentation and marker, a quote's mark."""
    if b.kind == "item":
        return INDENT * b.level + f"{b.marker} "
    if b.kind == "quote":
        return "» "
    return ""


def line(b: Block, body: str | None = None) -> str:
    """A block as one line of plain text; `body` stands for its spans' text where a medium marks them up."""
    return prefix(b) + (b.text if body is None else body)


def passage_text(passage: Passage) -> str:
    """Render a passage as readable plain text: one line per block, lists with markers."""
    return "\n".join(line(b, b.text.strip()) for b in passage if b.text.strip())


def strip_spans(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """Trim whitespace at both ends of a run of spans and drop empty spans."""
    items = [s for s in spans if s.text]
    if not items:
        return ()
    items[0] = replace(items[0], text=items[0].text.lstrip())
    items[-1] = replace(items[-1], text=items[-1].text.rstrip())
    return tuple(s for s in items if s.text)


_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")


def trim(blocks: tuple[Block, ...], budget: int) -> tuple[Block, ...]:
    """The leading blocks that fit `budget` characters of plain text; a first block too long
    on its own is cut at its last sentence end within the budget and marked with an ellipsis."""
    kept: list[Block] = []
    used = 0
    for b in blocks:
        size = len(b.text) + (2 if kept else 0)
        if used + size > budget:
            if not kept:
                kept.append(_cut(b, budget))
            elif kept[-1].spans:
                last = kept[-1]
                kept[-1] = replace(last, spans=(*last.spans, Span(" …")))
            break
        kept.append(b)
        used += size
    return tuple(kept)


def _cut(b: Block, budget: int) -> Block:
    """One block shortened to `budget` characters, at a sentence end when there is one."""
    limit = cut_point(b.text, budget, budget // 3) or max(1, b.text.rfind(" ", 0, budget))
    return replace(b, spans=(*strip_spans(head(b.spans, limit)), Span(" …")))


def cut_point(text: str, limit: int, floor: int) -> int:
    """Where to cut `text` within `limit` characters: after its last sentence (or line) ending
    there, then at its last space, either past `floor`; 0 when neither is."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    if ends and ends[-1] > floor:
        return ends[-1]
    space = text.rfind(" ", 0, limit)
    return space if space > floor else 0


def head(spans: tuple[Span, ...], limit: int) -> tuple[Span, ...]:
    """The spans holding the first `limit` characters of their text, styles kept."""
    kept: list[Span] = []
    used = 0
    for s in spans:
        if used >= limit:
            break
        kept.append(replace(s, text=s.text[: limit - used]))
        used += len(s.text)
    return tuple(kept)
