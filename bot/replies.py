"""Replies as plain data: rich text blocks and rows of buttons, composed from settings texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.articles import Article
from bot.richtext import Block, Span, block
from bot.settings import Texts

# What a reply is: adapters and tests tell replies apart by it (a typo is a type error).
ReplyKind = Literal[
    "text",
    "notice",
    "choices",
    "answer",
    "suggest",
    "no_answer",
    "chat",
    "quote",
    "article",
    "articles",
    "topics",
    "topics_empty",
    "others",
    "stale",
    "not_yours",
    "gone",
    "store_unavailable",
    "feedback",
    "welcome",
    "help",
    "prompt",
    "unknown",
    "flood",
    "error",
    "empty",
    "too_long",
    "text_only",
    "forget",
    "forget_done",
    "forget_cancelled",
    "forget_pending",
    "forget_unavailable",
    "admin",
]


@dataclass(frozen=True)
class Button:
    """A button: it either runs `action` (short callback data) or opens `url`."""

    label: str
    action: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the bot says: text blocks, button rows, and how an adapter should deliver it.

    `footer` holds secondary lines (source, related articles) that may be dropped when a
    message must be shortened. `edit` asks to replace the message whose button was pressed; `toast` is a short notice
    shown for a button press (alone, when there are no blocks); `ask_reply` asks the chat
    client to open a reply field for the user's next message.
    """

    blocks: tuple[Block, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    footer: tuple[Block, ...] = ()
    kind: ReplyKind = "text"
    edit: bool = False
    toast: str | None = None
    ask_reply: bool = False

    @property
    def text(self) -> str:
        """The reply's text without markup, one block a line."""
        return "\n".join(b.text for b in self.blocks + self.footer)


def notice(text: str, kind: ReplyKind = "notice") -> Reply:
    """A reply of plain sentences; blank lines in `text` separate paragraphs."""
    return Reply(_paragraphs(text), kind=kind)


def answer(
    texts: Texts,
    heading: str,
    passage: Sequence[Block],
    article: Article,
    link: str,
    related: Sequence[Article],
    actions: AnswerActions,
) -> Reply:
    """The answer: section heading, passage, source line, related articles, and buttons."""
    quoted = quote(texts, heading, passage, article)
    blocks = quoted.blocks
    footer = list(quoted.footer)
    if related:
        footer.append(block(texts.related_articles, bold=True))
        footer.extend(Block((Span(a.title, href=a.url),), "item") for a in related)
    rows: list[tuple[Button, ...]] = [(Button(texts.button_read_more, url=link),)]
    if actions.back:
        rows.append((Button(texts.button_back, action=actions.back),))
    elif actions.others:
        rows.append((Button(texts.button_other_answers, action=actions.others),))
    rows.append(
        (
            Button(texts.button_helpful, action=actions.helpful),
            Button(texts.button_not_helpful, action=actions.not_helpful),
        )
    )
    return Reply(blocks, tuple(rows), tuple(footer), kind="answer", edit=actions.edit)


def quote(texts: Texts, heading: str, passage: Sequence[Block], article: Article) -> Reply:
    """A section's heading and passage with the article it comes from (no buttons)."""
    source = (
        ()
        if heading == article.title
        else (Block((Span(texts.answer_source.format(title=article.title), italic=True),)),)
    )
    return Reply((block(heading, "heading", bold=True), *passage), footer=source, kind="quote")


@dataclass(frozen=True)
class AnswerActions:
    """The callback actions of an answer's buttons."""

    helpful: str
    not_helpful: str
    others: str | None = None
    back: str | None = None
    edit: bool = False


def choice_list(
    header: str,
    choices: Sequence[tuple[str, str]],
    extra: Sequence[Button] = (),
    kind: ReplyKind = "choices",
    edit: bool = False,
) -> Reply:
    """A header and one button per (label, action) choice, then `extra` buttons on one row."""
    rows: list[tuple[Button, ...]] = [(Button(label, action=action),) for label, action in choices]
    if extra:
        rows.append(tuple(extra))
    return Reply(_paragraphs(header), tuple(rows), kind=kind, edit=edit)


def article_detail(texts: Texts, article: Article, back: str | None) -> Reply:
    """An article's title, description and tags, with a button to open it."""
    blocks = [block(article.title, "heading", bold=True)]
    if article.description:
        blocks.append(block(article.description))
    if article.tags:
        blocks.append(block(" · ".join(f"#{t}" for t in article.tags[:8]), italic=True))
    blocks.append(block(texts.article_detail_link))
    rows: list[tuple[Button, ...]] = [(Button(texts.button_open_article, url=article.url),)]
    if back:
        rows.append((Button(texts.button_back, action=back),))
    return Reply(tuple(blocks), tuple(rows), kind="article", edit=back is not None)


def pager(texts: Texts, previous: str | None, following: str | None) -> tuple[Button, ...]:
    """Previous/next page buttons for the actions given (None: no such page)."""
    buttons = []
    if previous:
        buttons.append(Button(texts.button_previous, action=previous))
    if following:
        buttons.append(Button(texts.button_next, action=following))
    return tuple(buttons)


def _paragraphs(text: str) -> tuple[Block, ...]:
    return tuple(block(p.strip()) for p in text.split("\n\n") if p.strip())
