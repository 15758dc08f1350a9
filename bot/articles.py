"""Load a folder of Markdown articles with YAML frontmatter into plain values."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from bot.errors import KnowledgeError
from bot.links import article_url, page_path
from bot.richtext import Block, Span
from bot.sections import Section, clip, split_sections
from bot.settings import KnowledgeSettings, SiteSettings


@dataclass(frozen=True, slots=True)
class Phrasing:
    """A way of asking that editors taught the bot (frontmatter `questions`), and the section
    heading that answers it (None: the section that best answers it)."""

    text: str
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One published article, split into sections."""

    id: str
    source: Path
    title: str
    description: str
    tags: tuple[str, ...]
    date: str | None
    url: str
    sections: tuple[Section, ...]
    lang: str | None = None
    phrasings: tuple[Phrasing, ...] = ()


@dataclass(frozen=True)
class LoadWarning:
    """A file that was skipped or read with a fallback, and why."""

    file: Path
    reason: str

    def __str__(self) -> str:
        return f"{shown(self.file)}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    """The articles of a folder, the warnings met, and the files left out on purpose (and why)."""

    articles: tuple[Article, ...]
    warnings: tuple[LoadWarning, ...]
    left_out: tuple[LoadWarning, ...] = ()

    @property
    def excluded(self) -> int:
        """How many files were left out on purpose."""
        return len(self.left_out)


def shown(path: Path | str) -> str:
    """A path as it can be printed: bytes that are not UTF-8 appear escaped (caf\\xe9.md)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


class _Skip(Exception):
    """A file is left out; `warn` says whether the operator must hear about it."""

    def __init__(self, reason: str, warn: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.warn = warn


def article_id(relative: Path) -> str:
    """The id of a file: its path without extension and without a trailing `/index`."""
    return page_path(relative) or "index"


@dataclass(frozen=True)
class FileResult:
    """What reading one file gave: an article (maybe with a note), a warning, or a deliberate skip."""

    path: Path
    article: Article | None = None
    warning: str | None = None
    left_out: str | None = None  # why a file is deliberately not indexed (a draft, another language)

    @property
    def excluded(self) -> bool:
        """Whether the file was left out on purpose."""
        return self.left_out is not None


def require_folder(folder: Path) -> Path:
    """The articles folder, or a one-line `KnowledgeError` when there is none."""
    if not folder.is_dir():
        raise KnowledgeError(f"articles folder not found: {folder}")
    return folder


def load_articles(folder: Path, knowledge: KnowledgeSettings, site: SiteSettings) -> LoadResult:
    """Load every indexable article under `folder`; broken files become warnings, not errors."""
    folder = folder.resolve()
    problems: list[LoadWarning] = []
    files = markdown_files(folder, knowledge, problems)
    return collect((read_file(path, folder, knowledge, site) for path in files), problems)


def read_file(path: Path, folder: Path, knowledge: KnowledgeSettings, site: SiteSettings) -> FileResult:
    """Read one file into a result; it never raises for a bad file."""
    try:
        article, note = load_article(path, folder, knowledge, site)
    except _Skip as skip:
        return FileResult(path, warning=skip.reason) if skip.warn else FileResult(path, left_out=skip.reason)
    return FileResult(path, article, note)


def collect(results: Iterable[FileResult], problems: Sequence[LoadWarning] = ()) -> LoadResult:
    """Articles from per-file results, in order; a repeated id or address is warned about and the first kept."""
    articles: dict[str, Article] = {}
    addresses: dict[str, Article] = {}
    warnings = list(problems)
    left_out: list[LoadWarning] = []
    for result in results:
        if result.warning:
            warnings.append(LoadWarning(result.path, result.warning))
        if result.left_out:
            left_out.append(LoadWarning(result.path, result.left_out))
        article = result.article
        if article is None:
            continue
        if article.id in articles:
            kept = _beside(articles[article.id].source, result.path)
            warnings.append(LoadWarning(result.path, f"duplicate article id '{article.id}', kept {kept}"))
            continue
        if article.url in addresses:
            kept = _beside(addresses[article.url].source, result.path)
            warnings.append(
                LoadWarning(result.path, f"same address as {kept} ({article.url}; a duplicate slug?), kept {kept}")
            )
            continue
        articles[article.id] = article
        addresses[article.url] = article
    return LoadResult(tuple(articles.values()), tuple(warnings), tuple(left_out))


def _beside(kept: Path, skipped: Path) -> str:
    """The kept file named relative to the skipped one's folder, as an operator would look for it."""
    return shown(os.path.relpath(kept, skipped.parent))


def load_article(
    path: Path, folder: Path, knowledge: KnowledgeSettings, site: SiteSettings
) -> tuple[Article, str | None]:
    """Parse one file; raise `_Skip` when it cannot or must not be indexed."""
    text, note = _decode(_read_bytes(path, knowledge))
    meta, body = _parse(text)
    _wanted(meta, knowledge)
    relative = path.relative_to(folder)
    identity = article_id(relative)
    title = clip(_text(meta.get("title")) or _title_from_id(identity))
    description = clip(_text(meta.get("description") or meta.get("excerpt") or meta.get("summary")))
    sections = split_sections(body, title) or _fallback_sections(title, description)
    url, ignored = article_url(site, relative, meta)
    phrasings, odd = _phrasings(meta.get(knowledge.questions_key))
    article = Article(
        id=identity,
        source=path,
        title=title,
        description=description,
        tags=_tags(meta),
        date=_date(meta.get("date")),
        url=url,
        sections=sections,
        lang=_text(meta.get("lang")) or None,
        phrasings=phrasings,
    )
    notes = [n for n in (note, ignored, odd) if n]
    return article, "; ".join(notes) or None


def _phrasings(value: Any) -> tuple[tuple[Phrasing, ...], str | None]:
    """Taught phrasings: a list of strings, or of mappings `{q: ..., section: ...}`."""
    if value is None:
        return (), None
    if not isinstance(value, list):
        return (), "questions must be a list; ignored"
    found: list[Phrasing] = []
    skipped = 0
    for item in value:
        if isinstance(item, dict) and _text(item.get("q")):
            found.append(Phrasing(clip(_text(item.get("q"))), _text(item.get("section")) or None))
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool) and _text(item):
            found.append(Phrasing(clip(_text(item))))
        else:
            skipped += 1
    return tuple(found), (f"{skipped} question item(s) without text ignored" if skipped else None)


def markdown_files(folder: Path, knowledge: KnowledgeSettings, warnings: list[LoadWarning]) -> list[Path]:
    """Regular Markdown files of `folder` within the size limit, in path order; the rest become warnings.

    Nothing outside the folder is ever read: symbolic links (to files or folders) are not
    followed, and a link to a file inside the folder is left to that file, so it is read once.
    Pipes, devices and oversized files are refused by their type and size before any read.
    """
    suffixes = tuple(e.lower() for e in knowledge.extensions)
    found: list[Path] = []

    def on_error(err: OSError) -> None:
        warnings.append(LoadWarning(Path(err.filename or folder), f"cannot read folder: {err.strerror}"))

    for root, dirs, files in os.walk(folder, onerror=on_error):
        here = Path(root)
        dirs[:] = [d for d in dirs if not d.startswith(".") and _enterable(here / d, warnings)]
        for name in files:
            if name.lower().endswith(suffixes) and not name.startswith("."):
                path = here / name
                reason = _refusal(path, folder, knowledge)
                if reason:
                    warnings.append(LoadWarning(path, reason))
                else:
                    found.append(path)
    found.sort(key=lambda p: path_order(p, folder))
    return found


def path_order(path: Path, folder: Path) -> tuple[tuple[int, str], ...]:
    """The order files are read in everywhere, so the same file wins a duplicate in every command.

    A folder's files come before its subfolders, each sorted by name: `dup.markdown`,
    `dup.md`, then `dup/index.md`.
    """
    *folders, name = path.relative_to(folder).parts
    return (*((1, f) for f in folders), (0, name))


def _enterable(path: Path, warnings: list[LoadWarning]) -> bool:
    if not _utf8(path.name):
        warnings.append(LoadWarning(path, "folder name is not valid UTF-8: skipped"))
        return False
    if path.is_symlink():
        warnings.append(LoadWarning(path, "symbolic link to a folder: not followed"))
        return False
    return True


def _refusal(path: Path, folder: Path, knowledge: KnowledgeSettings) -> str | None:
    """Why a listed file must not be read, judged from its name, type and size alone."""
    if not _utf8(path.name):
        return "file name is not valid UTF-8: skipped"
    try:
        st = path.lstat()
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISLNK(st.st_mode):
        return _link_refusal(path, folder)
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a pipe, device or socket): skipped"
    if st.st_size > knowledge.max_file_kb * 1024:
        return _too_large(st.st_size, knowledge)
    return None


def _link_refusal(path: Path, folder: Path) -> str:
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(folder):
        return "symbolic link to a file outside the articles folder: not read"
    return f"symbolic link to {shown(target.relative_to(folder))}: not read again (the file itself is read where it is)"


def _too_large(size: int, knowledge: KnowledgeSettings) -> str:
    return f"file is larger than knowledge.max_file_kb ({size // 1024} KB > {knowledge.max_file_kb} KB)"


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.walk hands undecodable bytes over as lone surrogates
        return False
    return True


def file_digest(path: Path, knowledge: KnowledgeSettings) -> str:
    """A digest of the file's content, read with the same limits as an article ('unreadable' if refused)."""
    try:
        return hashlib.blake2b(_read_bytes(path, knowledge), digest_size=16).hexdigest()
    except _Skip:
        return "unreadable"


def _read_bytes(path: Path, knowledge: KnowledgeSettings) -> bytes:
    """The file's bytes, checking on the open file that it is still a regular file of allowed size.

    The scan checked the path already, but a file can be swapped between scan and read; the
    flags refuse a link and make opening a pipe return at once instead of waiting for a writer.
    """
    limit = knowledge.max_file_kb * 1024
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _Skip(f"cannot read file: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Skip("not a regular file (a pipe, device or socket): skipped")
        if st.st_size > limit:
            raise _Skip(_too_large(st.st_size, knowledge))
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise _Skip(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise _Skip(_too_large(len(raw), knowledge))
    return raw


def _decode(raw: bytes) -> tuple[str, str | None]:
    if b"\x00" in raw:
        raise _Skip("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        note = f"not valid UTF-8 (byte {exc.start}), read as Windows-1252"
        return raw.decode("cp1252", errors="replace"), note


def _parse(text: str) -> tuple[dict[str, Any], str]:
    """Split frontmatter from body with python-frontmatter, keeping its errors (it hides some)."""
    handler = frontmatter.detect_format(text, frontmatter.handlers)
    if handler is None:
        return {}, text
    try:
        head, body = handler.split(text)
    except ValueError:
        return {}, text
    try:
        meta = _load_yaml(head) if isinstance(handler, YAMLHandler) else handler.load(head)
    except _Skip:
        raise
    except yaml.YAMLError as exc:
        raise _Skip(f"frontmatter is not valid YAML: {_yaml_reason(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - JSON or TOML frontmatter raise their own errors
        raise _Skip(f"frontmatter cannot be read: {exc}") from None
    if meta is None:
        return {}, body
    if not isinstance(meta, dict):
        raise _Skip("frontmatter is not a mapping of fields")
    return meta, body


ALIAS_LIMIT = 1_000  # values YAML aliases may add to a frontmatter by repeating others


# libyaml's parser when PyYAML has it (several times faster); the pure-Python one otherwise, for
# text with characters the pure-Python reader refuses (libyaml would take them), and for text
# libyaml cannot read, so that errors are worded the same everywhere.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _load_yaml(head: str) -> Any:
    """Safe YAML whose aliases are bounded: the node graph is composed and measured before any value is built.

    Aliases let a few hundred bytes stand for billions of values (an 'alias bomb'); counting
    the expanded size over the graph, each node once, costs what the text costs.
    """
    if _FAST_LOADER is not None and not yaml.reader.Reader.NON_PRINTABLE.search(head):
        try:
            return _bounded(_FAST_LOADER(head))
        except yaml.YAMLError:
            pass  # read again below, for the pure-Python parser's wording of the error
    return _bounded(yaml.SafeLoader(head))


def _bounded(loader: yaml.SafeLoader) -> Any:
    """The document of `loader`, refused when its aliases expand too far."""
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        nodes, expanded = _sizes(node)
        if expanded - nodes > ALIAS_LIMIT:
            raise _Skip(f"frontmatter aliases expand to more than {ALIAS_LIMIT} extra values (an alias bomb?)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _sizes(root: yaml.Node) -> tuple[int, int]:
    """The number of distinct nodes under `root` and the number it stands for once aliases are expanded.

    Iterative, with each node's expanded size remembered, so deep or shared graphs cost one
    visit per node; a node that contains itself expands without end.
    """
    cap = ALIAS_LIMIT * 1_000_000  # sizes are capped so the arithmetic stays small
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_.discard(key)
            size[key] = min(cap, 1 + sum(size[id(c)] for c in children))
            continue
        if key in size:
            continue
        if key in open_:
            raise _Skip("frontmatter refers to itself through an alias")
        open_.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_:
                raise _Skip("frontmatter refers to itself through an alias")
            if id(child) not in size:
                stack.append((child, False))
    return len(size), size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    # The frontmatter text starts on the opening '---' line (just after it), so its line 0 is the file's line 1.
    return f"{problem} (line {mark.line + 1})" if mark else problem


def _wanted(meta: dict[str, Any], knowledge: KnowledgeSettings) -> None:
    """Raise a quiet `_Skip` saying why when the file is deliberately not indexed."""
    key = meta.get("templateKey")
    if key is not None and str(key) not in knowledge.template_keys:
        raise _Skip(f"templateKey '{clip(str(key), 60)}' is not indexed", warn=False)
    lang = meta.get("lang")
    if knowledge.languages and lang is not None and str(lang).lower() not in knowledge.languages:
        raise _Skip(f"language '{clip(str(lang), 60)}' is not indexed", warn=False)
    if meta.get("draft") is True:
        raise _Skip("a draft (draft: true)", warn=False)
    if meta.get("published") is False:
        raise _Skip("not published (published: false)", warn=False)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return " ".join(str(value).split())


def _tags(meta: dict[str, Any]) -> tuple[str, ...]:
    tags: dict[str, str] = {}  # by casefolded name: the first spelling wins
    for key in ("tags", "categories"):
        value = meta.get(key)
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
        for item in items:
            tag = _text(item)
            if tag:
                tags.setdefault(tag.casefold(), tag)
    return tuple(tags.values())


def _date(value: Any) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return _text(value) or None


def _title_from_id(article: str) -> str:
    last = article.rsplit("/", 1)[-1]
    words = re.sub(r"^\d{4}-\d{2}-\d{2}-?", "", last).replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else last


def _fallback_sections(title: str, description: str) -> tuple[Section, ...]:
    """An article without body text is still findable (and answerable) by its description."""
    text = description or title
    return (Section(title, 0, ((Block((Span(text),)),),)),)
