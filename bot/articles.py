"""Load a folder of Markdown articles with YAML frontmatter into plain values."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from bot.links import article_url, page_path
from bot.richtext import Block, Span
from bot.sections import Section, split_sections
from bot.settings import KnowledgeSettings, SiteSettings


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


@dataclass(frozen=True)
class LoadWarning:
    """A file that was skipped or read with a fallback, and why."""

    file: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    """The articles of a folder, the warnings met, and how many files were left out on purpose."""

    articles: tuple[Article, ...]
    warnings: tuple[LoadWarning, ...]
    excluded: int = 0


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
    excluded: bool = False


def load_articles(folder: Path, knowledge: KnowledgeSettings, site: SiteSettings) -> LoadResult:
    """Load every indexable article under `folder`; broken files become warnings, not errors."""
    problems: list[LoadWarning] = []
    files = markdown_files(folder, knowledge.extensions, problems)
    return collect((read_file(path, folder, knowledge, site) for path in files), problems)


def read_file(path: Path, folder: Path, knowledge: KnowledgeSettings, site: SiteSettings) -> FileResult:
    """Read one file into a result; it never raises for a bad file."""
    try:
        article, note = load_article(path, folder, knowledge, site)
    except _Skip as skip:
        return FileResult(path, warning=skip.reason if skip.warn else None, excluded=not skip.warn)
    return FileResult(path, article, note)


def collect(results: Iterable[FileResult], problems: Sequence[LoadWarning] = ()) -> LoadResult:
    """Articles from per-file results, in order; a duplicate id is warned about and the first kept."""
    articles: dict[str, Article] = {}
    warnings = list(problems)
    excluded = 0
    for result in results:
        if result.warning:
            warnings.append(LoadWarning(result.path, result.warning))
        excluded += result.excluded
        article = result.article
        if article is None:
            continue
        if article.id in articles:
            kept = articles[article.id].source.name
            warnings.append(LoadWarning(result.path, f"duplicate article id '{article.id}', kept {kept}"))
            continue
        articles[article.id] = article
    return LoadResult(tuple(articles.values()), tuple(warnings), excluded)


def load_article(
    path: Path, folder: Path, knowledge: KnowledgeSettings, site: SiteSettings
) -> tuple[Article, str | None]:
    """Parse one file; raise `_Skip` when it cannot or must not be indexed."""
    size = _size(path)
    if size > knowledge.max_file_kb * 1024:
        raise _Skip(f"file is larger than knowledge.max_file_kb ({size // 1024} KB > {knowledge.max_file_kb} KB)")
    text, note = _decode(path)
    meta, body = _parse(text)
    if not _wanted(meta, knowledge):
        raise _Skip("not an indexed templateKey or language, draft or unpublished", warn=False)
    relative = path.relative_to(folder)
    identity = article_id(relative)
    title = _text(meta.get("title")) or _title_from_id(identity)
    description = _text(meta.get("description") or meta.get("excerpt") or meta.get("summary"))
    sections = split_sections(body, title) or _fallback_sections(title, description)
    article = Article(
        id=identity,
        source=path,
        title=title,
        description=description,
        tags=_tags(meta),
        date=_date(meta.get("date")),
        url=article_url(site, relative, meta),
        sections=sections,
        lang=_text(meta.get("lang")) or None,
    )
    return article, note


def markdown_files(folder: Path, extensions: tuple[str, ...], warnings: list[LoadWarning]) -> list[Path]:
    """Files with a Markdown extension, in a stable order; symlinked folders are not followed."""
    suffixes = tuple(e.lower() for e in extensions)
    found: list[Path] = []

    def on_error(err: OSError) -> None:
        warnings.append(LoadWarning(Path(err.filename or folder), f"cannot read folder: {err.strerror}"))

    for root, dirs, files in os.walk(folder, onerror=on_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / name for name in sorted(files) if name.lower().endswith(suffixes) and not name.startswith("."))
    return found


def _size(path: Path) -> int:
    try:
        if not path.is_file():
            raise _Skip("not a regular file")
        return path.stat().st_size
    except OSError as exc:
        raise _Skip(f"cannot read file: {exc.strerror or exc}") from None


def _decode(path: Path) -> tuple[str, str | None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _Skip(f"cannot read file: {exc.strerror or exc}") from None
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
        meta = handler.load(head)
    except yaml.YAMLError as exc:
        raise _Skip(f"frontmatter is not valid YAML: {_yaml_reason(exc)}") from None
    except Exception as exc:  # JSON or TOML frontmatter raise their own errors
        raise _Skip(f"frontmatter cannot be read: {exc}") from None
    if meta is None:
        return {}, body
    if not isinstance(meta, dict):
        raise _Skip("frontmatter is not a mapping of fields")
    return meta, body


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    # The frontmatter starts after the opening '---' line, so its line 1 is the file's line 2.
    return f"{problem} (line {mark.line + 2})" if mark else problem


def _wanted(meta: dict[str, Any], knowledge: KnowledgeSettings) -> bool:
    key = meta.get("templateKey")
    if key is not None and str(key) not in knowledge.template_keys:
        return False
    lang = meta.get("lang")
    if knowledge.languages and lang is not None and str(lang).lower() not in knowledge.languages:
        return False
    if meta.get("draft") is True or meta.get("published") is False:
        return False
    return True


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return " ".join(str(value).split())


def _tags(meta: dict[str, Any]) -> tuple[str, ...]:
    tags: list[str] = []
    for key in ("tags", "categories"):
        value = meta.get(key)
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
        for item in items:
            tag = _text(item)
            if tag and tag.casefold() not in {t.casefold() for t in tags}:
                tags.append(tag)
    return tuple(tags)


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
