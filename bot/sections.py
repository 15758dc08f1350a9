"""Split a Markdown body into headed sections of answer passages, using markdown-it-py tokens."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.normalize import fold
from bot.richtext import Block, BlockKind, Passage, Span, strip_spans


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the passages under it; `parents` are the enclosing headings."""

    heading: str
    level: int
    passages: tuple[Passage, ...]
    parents: tuple[str, ...] = ()


_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

TITLE_LIMIT = 200  # characters of a title, description or heading shown in Telegram


def clip(text: str, limit: int = TITLE_LIMIT) -> str:
    """`text` cut to at most `limit` characters, at a word boundary when one is near, with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def split_sections(body: str, title: str) -> tuple[Section, ...]:
    """Return the non-empty sections of `body`; text before the first heading is named `title`."""
    return _Splitter(title).run(_MD.parse(body))


@dataclass
class _Open:
    heading: str
    level: int
    parents: tuple[str, ...]
    passages: list[Passage] = field(default_factory=list)


class _Splitter:
    """Walks block tokens once, collecting passages per section."""

    def __init__(self, title: str) -> None:
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []
        self.current = _Open(title, 0, ())
        self.intro: list[Block] = []
        self.literal_list = False  # the last passage ends with literal "* item" paragraphs

    def run(self, tokens: Sequence[Token]) -> tuple[Section, ...]:
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            end = _closing(tokens, i)
            if tok.type == "heading_open":
                self._heading(int(tok.tag[1:]), _plain_inline(tokens[i + 1]))
            elif tok.type == "paragraph_open":
                self._paragraph(tokens[i + 1])
            elif tok.type in ("bullet_list_open", "ordered_list_open"):
                self._add(_list_blocks(tokens[i : end + 1], 0))
            elif tok.type == "blockquote_open":
                self._add(_quote_blocks(tokens[i + 1 : end]))
            elif tok.type == "table_open":
                self._add(_table_blocks(tokens[i : end + 1]))
            # Code, raw HTML, rules and images are not answer text.
            i = end + 1
        self._close()
        return tuple(self.sections)

    def _heading(self, level: int, text: str) -> None:
        if not text:
            return
        text = clip(text)
        self._close()
        self.literal_list = False
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        parents = tuple(h for _, h in self.stack)
        self.stack.append((level, text))
        self.current = _Open(text, level, parents)

    def _paragraph(self, inline: Token) -> None:
        spans = _spans(inline)
        if not spans or not _WORD.search("".join(s.text for s in spans)):
            # No word in it: an escaped rule ("\\---") or a stray letter is no answer text.
            return
        # Some CMS exports escape Markdown ("\\* item", "\\## Title"): such text is shown as
        # written, but kept together as the list items and pseudo-headings it stands for.
        items = _literal_items(spans)
        if items:
            if self.literal_list and not self.intro:
                last = self.current.passages.pop()
                self.current.passages.append(last + tuple(items))
            else:
                self._add(items)
            self.literal_list = True
            return
        b = Block(_literal_heading(spans))
        if _is_intro(b):
            self.intro.append(b)
        else:
            self._add([b])

    def _add(self, blocks: list[Block]) -> None:
        if not blocks:
            return
        self.current.passages.append(tuple(self.intro + blocks))
        self.intro = []
        self.literal_list = False

    def _close(self) -> None:
        if self.intro:
            # An introduction with nothing after it is still worth showing.
            self.current.passages.append(tuple(self.intro))
            self.intro = []
        c = self.current
        if c.passages:
            self.sections.append(Section(c.heading, c.level, tuple(c.passages), c.parents))


_WORD = re.compile(r"[^\W_]{2}")  # two letters or digits in a row
_BULLET = re.compile(r"^\s*(?:[*\-•–]|\d{1,2}[.)])\s+")
_HASHES = re.compile(r"^\s*#{1,6}\s+")


def _lines(spans: tuple[Span, ...]) -> list[tuple[Span, ...]]:
    lines: list[list[Span]] = [[]]
    for span in spans:
        if span.text == "\n":
            lines.append([])
        else:
            lines[-1].append(span)
    return [tuple(line) for line in lines if line]


def _strip_prefix(spans: tuple[Span, ...], pattern: re.Pattern[str]) -> tuple[Span, ...]:
    first = spans[0]
    return strip_spans((replace(first, text=pattern.sub("", first.text, count=1)), *spans[1:]))


def _literal_items(spans: tuple[Span, ...]) -> list[Block]:
    """Blocks for a paragraph whose every line starts with a written bullet ("* a"), else []."""
    lines = _lines(spans)
    if not lines or not all(
        line[0].text and (bullet := _BULLET.match(line[0].text)) and bullet.group().strip() in "*-•–" for line in lines
    ):
        return []
    return [Block(_strip_prefix(line, _BULLET), "item") for line in lines if _strip_prefix(line, _BULLET)]


def _literal_heading(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """A written "## Title" paragraph as a bold line (a pseudo-heading leading into what follows)."""
    if spans and _HASHES.match(spans[0].text) and len(_lines(spans)) == 1:
        return tuple(replace(s, bold=True) for s in _strip_prefix(spans, _HASHES))
    return spans


def _is_intro(b: Block) -> bool:
    """A paragraph that leads into what follows: ends with ':' or is a bold pseudo-heading."""
    text = b.text.strip()
    if text.endswith(":"):
        return True
    return len(text) <= 120 and all(s.bold or not s.text.strip() for s in b.spans)


def _closing(tokens: Sequence[Token], i: int) -> int:
    """Index of the token closing the block opened at `i` (or `i` itself)."""
    tok = tokens[i]
    if tok.nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _list_blocks(tokens: Sequence[Token], level: int) -> list[Block]:
    """Flatten a (possibly nested) list into item blocks with levels and markers."""
    blocks: list[Block] = []
    ordered = tokens[0].type == "ordered_list_open"
    number = int(tokens[0].attrGet("start") or 1) if ordered else 0
    i = 1
    while i < len(tokens) - 1:
        tok = tokens[i]
        end = _closing(tokens, i)
        if tok.type == "list_item_open":
            marker = f"{number}." if ordered else "•"
            number += 1
            blocks.extend(_item_blocks(tokens[i + 1 : end], level, marker))
        i = end + 1
    return blocks


def _item_blocks(tokens: Sequence[Token], level: int, marker: str) -> list[Block]:
    spans: list[Span] = []
    nested: list[Block] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            end = _closing(tokens, i)
            nested.extend(_list_blocks(tokens[i : end + 1], level + 1))
            i = end
        elif tok.type == "inline":
            if spans:
                spans.append(Span(" "))
            spans.extend(_spans(tok))
        i += 1
    head = [Block(strip_spans(tuple(spans)), "item", level, marker)] if strip_spans(tuple(spans)) else []
    return head + nested


def _quote_blocks(tokens: Sequence[Token]) -> list[Block]:
    """Quote lines; each source line of a quote becomes its own block, as authors intend."""
    blocks: list[Block] = []
    for tok in tokens:
        if tok.type != "inline":
            continue
        line: list[Span] = []
        for span in _spans(tok, breaks=True) + (Span("\n"),):
            if span.text == "\n":
                if strip_spans(tuple(line)):
                    blocks.append(Block(strip_spans(tuple(line)), "quote"))
                line = []
            else:
                line.append(span)
    return blocks


def _table_blocks(tokens: Sequence[Token]) -> list[Block]:
    """A table as one bold header line and one item per row, cells joined by ' | '."""
    rows: list[tuple[bool, list[tuple[Span, ...]]]] = []
    for tok in tokens:
        if tok.type == "tr_open":
            rows.append((False, []))
        elif tok.type == "th_open" and rows:
            rows[-1] = (True, rows[-1][1])
        elif tok.type == "inline" and rows:
            rows[-1][1].append(_spans(tok))
    blocks = []
    for header, cells in rows:
        spans: list[Span] = []
        for n, cell in enumerate(cells):
            if n:
                spans.append(Span(" | "))
            spans.extend(replace(s, bold=True) if header else s for s in cell)
        if strip_spans(tuple(spans)):
            kind: BlockKind = "paragraph" if header else "item"
            blocks.append(Block(strip_spans(tuple(spans)), kind))
    return blocks


def _spans(inline: Token, breaks: bool = False) -> tuple[Span, ...]:  # noqa: C901 - one branch per inline token type
    """Convert an inline token's children to spans; images and raw HTML are dropped."""
    bold = italic = 0
    href: str | None = None
    out: list[Span] = []
    for child in inline.children or []:
        t = child.type
        if t == "text":
            out.append(Span(child.content, bool(bold), bool(italic), False, href))
        elif t == "code_inline":
            out.append(Span(child.content, bool(bold), bool(italic), True, href))
        elif t == "softbreak":
            out.append(Span(_SOFT))
        elif t == "hardbreak":
            out.append(Span("\n"))
        elif t == "strong_open":
            bold += 1
        elif t == "strong_close":
            bold -= 1
        elif t == "em_open":
            italic += 1
        elif t == "em_close":
            italic -= 1
        elif t == "link_open":
            target = str(child.attrGet("href") or "")
            href = target if target.startswith(("http://", "https://", "mailto:")) else None
        elif t == "link_close":
            href = None
    keep_lines = breaks or _line_per_entry(out)
    out = [Span("\n" if keep_lines else " ") if s.text == _SOFT else s for s in out]
    return strip_spans(_merge(out))


_SOFT = "\x00soft"


def _line_per_entry(spans: list[Span]) -> bool:
    """Whether the source lines of a paragraph are separate entries rather than wrapped prose."""
    lines = "".join(s.text for s in spans).split(_SOFT)
    if len(lines) < 2:
        return False
    short = all(len(line.strip()) <= 100 for line in lines)
    fresh = all(not line.strip()[:1].islower() for line in lines[1:])
    return short and fresh


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Join neighbouring spans of the same style."""
    merged: list[Span] = []
    for s in spans:
        if (
            merged
            and replace(merged[-1], text="") == replace(s, text="")
            and s.text != "\n"
            and merged[-1].text != "\n"
        ):
            merged[-1] = replace(merged[-1], text=merged[-1].text + s.text)
        else:
            merged.append(s)
    return tuple(merged)


def _plain_inline(inline: Token) -> str:
    """Heading text without markup, images or HTML."""
    return " ".join("".join(s.text for s in _spans(inline)).split())


def plain_heading(text: str) -> str:
    """Heading text written in Markdown, without its markup."""
    tokens = _MD.parseInline(text)
    return _plain_inline(tokens[0]) if tokens else text.strip()


def heading_key(text: str) -> str:
    """A heading compared as editors mean it: no markup or emoji, case-folded, letters and digits."""
    return "".join(ch for ch in fold(plain_heading(text)) if ch.isalnum())
