"""The articles folder, tracked file by file: a cached index at start-up and rebuilds on change.

At start-up the folder's fingerprint (every file's content digest, the settings that shape the
index, the code version) names an on-disk index in the data folder: a restart with unchanged
content loads it instead of parsing and indexing again. A corrupt or incompatible file is
ignored with a warning and rebuilt. `refresh` notices added, edited and removed files by their
size and modification time, re-reads only those, and builds a new knowledge base; an edit that
no longer parses keeps the last good version of that article.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bot import __version__, indexcache
from bot.articles import (
    FileResult,
    LoadWarning,
    collect,
    file_digest,
    markdown_files,
    path_order,
    read_file,
    require_folder,
)
from bot.errors import KnowledgeError
from bot.knowledge import KnowledgeBase, log_warnings
from bot.retrieval import Method
from bot.settings import Settings

log = logging.getLogger(__name__)

CACHE_FORMAT = 2  # bump when what is stored changes shape (2: JSON and .npz instead of pickle)


@dataclass(frozen=True)
class _Tracked:
    """A file as last read: how it looked on disk, its content digest, and what it gave."""

    signature: tuple[int, int]  # (size, modification time in ns)
    digest: str
    result: FileResult


class ArticleFolder:
    """A knowledge folder that can be loaded (through the index cache) and refreshed."""

    def __init__(self, settings: Settings, folder: Path | None = None, method: Method | None = None) -> None:
        self.settings = settings
        self.folder = (folder or settings.knowledge.folder).resolve()
        self.method = method
        self._files: dict[Path, _Tracked] = {}
        self._problems: tuple[LoadWarning, ...] = ()
        key = hashlib.blake2b(os.fsencode(self.folder), digest_size=8).hexdigest()
        self.cache_path = settings.data_dir / "index" / f"{key}.json"
        self.arrays_path = self.cache_path.with_suffix(".npz")

    def load(self) -> KnowledgeBase:
        """The knowledge base, from the index cache when the folder has not changed."""
        require_folder(self.folder)
        digests = self._digests()
        fingerprint = self._fingerprint(digests)
        cached = self._read_cache(fingerprint)
        if cached is not None:
            kb, files = cached
            self._files = {path: replace(t, signature=digests[path][0]) for path, t in files.items() if path in digests}
            log.info("index loaded from cache %s", self.cache_path)
            log_warnings(kb.loaded)  # the operator hears about broken files at every start
            return kb
        self._files = {
            path: _Tracked(signature, digest, self._read(path)) for path, (signature, digest) in digests.items()
        }
        kb = self._build()
        self._write_cache(fingerprint, kb)
        return kb

    def refresh(self) -> KnowledgeBase | None:
        """A new knowledge base if files were added, edited or removed since the last look, else None."""
        if not self.folder.is_dir():
            log.warning("articles folder %s is gone; keeping the articles already loaded", self.folder)
            return None
        skipped = self._problems
        signatures = self._scan()
        changed = [p for p, s in signatures.items() if p not in self._files or self._files[p].signature != s]
        removed = [p for p in self._files if p not in signatures]
        if not changed and not removed:
            # A newly refused file (a link out of the folder, a pipe) changes no article, but
            # the operator hears of it as at start-up (a rebuild logs every skipped file).
            for problem in self._problems:
                if problem not in skipped:
                    log.warning("skipped or degraded article %s", problem)
            return None
        for path in removed:
            del self._files[path]
            log.info("article removed: %s", path)
        for path in changed:
            self._reread(path, signatures[path])
        kb = self._build()
        self._write_cache(self._fingerprint({p: (t.signature, t.digest) for p, t in self._files.items()}), kb)
        return kb

    def _reread(self, path: Path, signature: tuple[int, int]) -> None:
        digest = file_digest(path, self.settings.knowledge)
        previous = self._files.get(path)
        if previous is not None and previous.digest == digest:
            self._files[path] = replace(previous, signature=signature)
            return
        result = self._read(path)
        if (
            result.article is None
            and previous is not None
            and previous.result.article is not None
            and not result.excluded
        ):
            # A broken edit: keep serving the last good version until the file is fixed.
            log.warning("article %s could not be read (%s); keeping its last good version", path, result.warning)
            self._files[path] = _Tracked(signature, digest, replace(previous.result, warning=None))
            return
        log.info("article %s: %s", "added" if previous is None else "changed", path)
        self._files[path] = _Tracked(signature, digest, result)

    def _read(self, path: Path) -> FileResult:
        knowledge, site = self.settings.knowledge, self.settings.site
        return read_file(path, self.folder, knowledge, site)

    def _build(self) -> KnowledgeBase:
        ordered = [self._files[p].result for p in sorted(self._files, key=lambda p: path_order(p, self.folder))]
        return KnowledgeBase.from_loaded(self.settings, collect(ordered, self._problems), self.folder, self.method)

    def _scan(self) -> dict[Path, tuple[int, int]]:
        """Every Markdown file of the folder with its size and modification time."""
        problems: list[LoadWarning] = []
        paths = markdown_files(self.folder, self.settings.knowledge, problems)
        self._problems = tuple(problems)
        return {p: s for p in paths if (s := _signature(p)) is not None}

    def _digests(self) -> dict[Path, tuple[tuple[int, int], str]]:
        return {
            path: (signature, file_digest(path, self.settings.knowledge)) for path, signature in self._scan().items()
        }

    def _fingerprint(self, digests: dict[Path, tuple[tuple[int, int], str]]) -> str:
        s = self.settings
        h = hashlib.blake2b(digest_size=16)
        # The folder is left out: the cache file is already named by it, and the same folder given
        # by the settings or by --knowledge must find the same index.
        knowledge = dataclasses.replace(s.knowledge, folder=Path("."))
        shaping = (
            CACHE_FORMAT,
            __version__,
            _code_digest(),
            repr(knowledge),
            repr(s.site),
            repr(s.language),
            repr(self.method),
        )
        h.update(repr(shaping).encode())
        for path in sorted(digests):
            h.update(str(path.relative_to(self.folder)).encode() + b"\0" + digests[path][1].encode())
        return h.hexdigest()

    def _read_cache(self, fingerprint: str) -> tuple[KnowledgeBase, dict[Path, _Tracked]] | None:
        try:
            header, text = indexcache.read_header(self.cache_path)
            if header.get("format") != CACHE_FORMAT:
                log.warning("index cache %s has another format; rebuilding it", self.cache_path)
                return None
            if header.get("fingerprint") != fingerprint:
                log.info("articles or settings changed since the index was cached; rebuilding it")
                return None
            stored = indexcache.read(header, text, self.arrays_path, self.settings)
            files = {path: _Tracked(*tracked) for path, tracked in stored["files"].items()}
            kb = KnowledgeBase.restore(stored["knowledge"], self.settings)
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
            log.warning("index cache %s is unreadable (%s); rebuilding it", self.cache_path, _reason(exc))
            return None
        return kb, files

    def _write_cache(self, fingerprint: str, kb: KnowledgeBase) -> None:
        """The index as JSON and arrays (see bot.indexcache); a failure only costs the next start-up time."""
        files = {path: (t.signature, t.digest, t.result) for path, t in self._files.items()}
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            header = {"format": CACHE_FORMAT, "fingerprint": fingerprint}
            indexcache.write(
                self.cache_path, self.arrays_path, header, {"knowledge": kb.state(), "files": files}, self.settings
            )
        except indexcache.Unsupported as exc:
            log.warning("index not cached: %s, which the cache cannot store", exc)
        except OSError as exc:
            log.warning("could not write the index cache %s: %s", self.cache_path, exc)


def _reason(exc: Exception) -> str:
    """A short one-line reason for a damaged cache file."""
    text = " ".join(str(exc).split())[:120]
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


@functools.cache
def _code_digest() -> str:
    """A digest of the code that shapes the index, so a changed build never reads an old cache."""
    h = hashlib.blake2b(digest_size=8)
    for module in sorted(Path(__file__).parent.glob("*.py")):
        h.update(module.read_bytes())
    return h.hexdigest()


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class Reloader:
    """Looks for changed articles every few seconds and hands over each new knowledge base.

    The rebuild runs in a worker thread, so the bot keeps answering from the current
    knowledge base meanwhile; the swap itself is one assignment in `on_reload`.
    """

    def __init__(self, folder: ArticleFolder, on_reload: Callable[[KnowledgeBase], None], seconds: float) -> None:
        self.folder = folder
        self.on_reload = on_reload
        self.seconds = seconds

    async def run(self) -> None:
        """Check forever (until cancelled)."""
        while True:
            await asyncio.sleep(self.seconds)
            await self.check()

    async def check(self) -> bool:
        """Rebuild if anything changed; True when a new knowledge base was handed over."""
        try:
            kb = await asyncio.to_thread(self.folder.refresh)
        except KnowledgeError as exc:
            log.error("reload failed, still answering from the previous articles: %s", exc)
            return False
        except Exception:  # a reload must never take the bot down
            log.exception("reload failed, still answering from the previous articles")
            return False
        if kb is None:
            return False
        self.on_reload(kb)
        log.info("reloaded: %d articles", len(kb.articles))
        return True
