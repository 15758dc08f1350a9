"""Rich text as plain data: spans with emphasis and links, grouped into blocks."""

from __future__ import annotations

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
    return Block((Span(text, **style),), kind=kind)  # type: ignore[arg-type]


def passage_text(passage: Passage) -> str:
    """Render a passage as readable plain text: one line per block, lists with markers."""
    lines = []
    for b in passage:
        text = b.text.strip()
        if not text:
            continue
        if b.kind == "item":
            lines.append("  " * b.level + f"{b.marker} {text}")
        elif b.kind == "quote":
            lines.append(f"» {text}")
        else:
            lines.append(text)
    return "\n".join(lines)


def strip_spans(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """Trim whitespace at both ends of a run of spans and drop empty spans."""
    items = [s for s in spans if s.text]
    if not items:
        return ()
    items[0] = replace(items[0], text=items[0].text.lstrip())
    items[-1] = replace(items[-1], text=items[-1].text.rstrip())
    return tuple(s for s in items if s.text)
