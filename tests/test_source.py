"""The index cache (hit, miss, corrupt) and live reload (add, edit, delete, broken edit)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import threading
from pathlib import Path

import pytest
from conftest import CAREERS, WriteCorpus, article

import bot.source
from bot.decision import Answerer, Decision
from bot.dialog import Dialog
from bot.knowledge import KnowledgeBase
from bot.retrieval import Candidate
from bot.settings import Settings
from bot.source import ArticleFolder, Reloader


@pytest.fixture
def folder(write_corpus: WriteCorpus) -> Path:
    return write_corpus(CAREERS)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file parsed, in order."""
    seen: list[Path] = []
    real = bot.source.read_file

    def counting(path: Path, *args: object) -> object:
        seen.append(path)
        return real(path, *args)

    monkeypatch.setattr(bot.source, "read_file", counting)
    return seen


def decision(kb: KnowledgeBase, question: str) -> Decision:
    """What the bot decides for `question` over `kb`."""
    return Answerer(kb, kb.settings.retrieval, kb.settings.language).decide(question)


def best(kb: KnowledgeBase, question: str) -> Candidate | None:
    """The section answered, when the bot answers."""
    d = decision(kb, question)
    return d.answer if d.kind == "answer" else None


def touch(path: Path, text: str) -> None:
    """Write a file and move its modification time forward (file systems can be coarse)."""
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


class TestCache:
    def test_a_restart_with_unchanged_articles_loads_the_cache(
        self, settings: Settings, folder: Path, reads: list[Path], caplog: pytest.LogCaptureFixture
    ) -> None:
        first = ArticleFolder(settings, folder).load()
        assert len(reads) == 3
        assert ArticleFolder(settings, folder).cache_path.is_file()
        with caplog.at_level(logging.INFO):
            second = ArticleFolder(settings, folder).load()
        assert len(reads) == 3  # nothing parsed again
        assert "index loaded from cache" in caplog.text
        assert [a.id for a in second.articles] == [a.id for a in first.articles]
        asked = [
            kb.record("gaji network engineer", d.kind, d.result)
            for kb in (first, second)
            for d in [decision(kb, "gaji network engineer")]
        ]
        assert asked[0] == asked[1]

    def test_any_change_to_the_articles_rebuilds(self, settings: Settings, folder: Path, reads: list[Path]) -> None:
        ArticleFolder(settings, folder).load()
        touch(
            folder / "2025-01-03-frontend.md",
            article("Panduan Frontend Developer", "#### Svelte\n\nSvelte itu framework kompilasi.\n"),
        )
        kb = ArticleFolder(settings, folder).load()
        assert len(reads) == 6
        assert best(kb, "svelte") is not None

    def test_a_settings_change_that_shapes_the_index_rebuilds(
        self, settings: Settings, folder: Path, reads: list[Path]
    ) -> None:
        ArticleFolder(settings, folder).load()
        language = dataclasses.replace(settings.language, stopwords=settings.language.stopwords + ("gaji",))
        ArticleFolder(dataclasses.replace(settings, language=language), folder).load()
        assert len(reads) == 6

    def test_answer_thresholds_apply_without_a_rebuild(
        self, settings: Settings, folder: Path, reads: list[Path]
    ) -> None:
        ArticleFolder(settings, folder).load()
        strict = dataclasses.replace(settings, retrieval=dataclasses.replace(settings.retrieval, answer_threshold=0.99))
        kb = ArticleFolder(strict, folder).load()
        assert len(reads) == 3
        assert best(kb, "gaji network engineer") is None

    @pytest.mark.parametrize(
        "content",
        [
            pytest.param(b"not a pickle at all", id="garbage"),
            pytest.param(b"", id="empty"),
            pytest.param(b'{"format": -1, "fingerprint": "x"}\n{}', id="other-format"),
            pytest.param(b'["a", "list"]\n', id="wrong-shape"),
            pytest.param(b"\x80\x04K\x01.", id="a-pickle"),
        ],
    )
    def test_a_corrupt_or_incompatible_cache_is_ignored_with_a_warning_and_rebuilt(
        self, settings: Settings, folder: Path, reads: list[Path], caplog: pytest.LogCaptureFixture, content: bytes
    ) -> None:
        source = ArticleFolder(settings, folder)
        source.load()
        source.cache_path.write_bytes(content)
        with caplog.at_level(logging.WARNING):
            kb = ArticleFolder(settings, folder).load()
        assert len(reads) == 6
        assert f"index cache {source.cache_path}" in caplog.text and "rebuilding it" in caplog.text
        assert best(kb, "gaji network engineer") is not None
        with caplog.at_level(logging.INFO):
            ArticleFolder(settings, folder).load()
        assert "index loaded from cache" in caplog.text  # the cache was written anew

    def test_an_unwritable_data_folder_only_warns(
        self, settings: Settings, folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("x")
        with caplog.at_level(logging.WARNING):
            kb = ArticleFolder(dataclasses.replace(settings, data_dir=blocker), folder).load()
        assert kb.articles and "could not write the index cache" in caplog.text


class TestReload:
    def test_nothing_changed(self, settings: Settings, folder: Path) -> None:
        source = ArticleFolder(settings, folder)
        source.load()
        assert source.refresh() is None

    def test_an_added_article_is_indexed(self, settings: Settings, folder: Path, reads: list[Path]) -> None:
        source = ArticleFolder(settings, folder)
        source.load()
        touch(
            folder / "2025-02-01-qa.md",
            article("QA Engineer", "#### Apa Itu QA?\n\nQA engineer menguji perangkat lunak sebelum rilis.\n"),
        )
        kb = source.refresh()
        assert kb is not None and reads[-1].name == "2025-02-01-qa.md" and len(reads) == 4
        found = best(kb, "apa itu qa engineer")
        assert found is not None and found.article.id == "2025-02-01-qa"

    def test_an_edited_article_is_reindexed(self, settings: Settings, folder: Path) -> None:
        source = ArticleFolder(settings, folder)
        source.load()
        touch(
            folder / "2025-01-02-network.md",
            article(
                "Network Engineer", "#### Berapa Gaji Network Engineer?\n\nGajinya naik bila punya sertifikasi CCNP.\n"
            ),
        )
        kb = source.refresh()
        assert kb is not None
        found = best(kb, "gaji network engineer")
        assert found is not None and "CCNP" in found.text

    def test_a_removed_article_is_dropped(self, settings: Settings, folder: Path) -> None:
        source = ArticleFolder(settings, folder)
        source.load()
        (folder / "2025-01-03-frontend.md").unlink()
        kb = source.refresh()
        assert kb is not None and "2025-01-03-frontend" not in [a.id for a in kb.articles]

    def test_a_broken_edit_keeps_the_last_good_version(
        self, settings: Settings, folder: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        source = ArticleFolder(settings, folder)
        source.load()
        touch(folder / "2025-01-02-network.md", "---\ntitle: [rusak\n---\nSetengah jadi.\n")
        with caplog.at_level(logging.WARNING):
            kb = source.refresh()
        assert kb is not None
        assert "keeping its last good version" in caplog.text and "2025-01-02-network.md" in caplog.text
        found = best(kb, "gaji network engineer")
        assert found is not None and found.article.id == "2025-01-02-network"
        touch(
            folder / "2025-01-02-network.md",
            article("Network Engineer", "#### Gaji\n\nGaji network engineer kini dibahas ulang.\n"),
        )
        fixed = source.refresh()
        assert fixed is not None
        found = best(fixed, "gaji network engineer")
        assert found is not None and "dibahas ulang" in found.text

    def test_questions_are_answered_from_the_old_articles_during_a_rebuild(
        self, settings: Settings, folder: Path
    ) -> None:
        source = ArticleFolder(settings, folder)
        dialog = Dialog(settings, source.load())
        started, release = threading.Event(), threading.Event()
        real = source.refresh

        def slow_refresh() -> KnowledgeBase | None:
            started.set()
            assert release.wait(10)
            return real()

        source.refresh = slow_refresh  # type: ignore[method-assign]  # slows one refresh to widen the race
        touch(
            folder / "2025-02-01-qa.md",
            article("QA Engineer", "#### Apa Itu QA?\n\nQA engineer menguji perangkat lunak.\n"),
        )
        reloader = Reloader(source, lambda kb: setattr(dialog, "knowledge", kb), seconds=1)

        async def scenario() -> tuple[str, str, bool]:
            task = asyncio.create_task(reloader.check())
            await asyncio.to_thread(started.wait, 10)
            during = dialog.ask("apa itu qa?").kind  # the rebuild is still running
            answered_old = dialog.ask("gaji network engineer").kind
            release.set()
            swapped = await task
            return during, answered_old, swapped

        during, answered_old, swapped = asyncio.run(scenario())
        assert (during, answered_old, swapped) == ("no_answer", "answer", True)
        assert dialog.ask("apa itu qa engineer").kind == "answer"

    def test_a_failed_reload_keeps_the_current_articles(
        self, settings: Settings, folder: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        source = ArticleFolder(settings, folder)
        dialog = Dialog(settings, source.load())
        for path in folder.iterdir():
            path.unlink()
        reloader = Reloader(source, lambda kb: setattr(dialog, "knowledge", kb), seconds=1)
        with caplog.at_level(logging.ERROR):
            assert asyncio.run(reloader.check()) is False
        assert "reload failed" in caplog.text
        assert dialog.ask("gaji network engineer").kind == "answer"


def test_a_file_deleted_during_a_reload_is_skipped_and_the_bot_keeps_serving(
    settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    source = ArticleFolder(settings, folder)
    source.load()
    new = folder / "2025-02-01-qa.md"
    touch(new, article("QA Engineer", "#### Apa Itu QA?\n\nQA engineer menguji perangkat lunak.\n"))
    real = bot.source.read_file

    def vanishing(path: Path, *args: object) -> object:
        path.unlink()  # gone between the folder scan and the read
        return real(path, *args)

    monkeypatch.setattr(bot.source, "read_file", vanishing)
    with caplog.at_level(logging.WARNING):
        kb = source.refresh()
    assert kb is not None and "2025-02-01-qa" not in [a.id for a in kb.articles]
    assert "2025-02-01-qa.md: cannot read file" in caplog.text
    assert best(kb, "gaji network engineer") is not None
    monkeypatch.setattr(bot.source, "read_file", real)
    refreshed = source.refresh()  # the next look drops it for good
    assert refreshed is not None and len(refreshed.articles) == 3


def test_a_cached_start_still_names_the_files_it_skipped(
    settings: Settings, write_corpus: WriteCorpus, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_corpus({**CAREERS, "rusak.md": "---\ntitle: [rusak\n---\nSetengah jadi.\n"})
    ArticleFolder(settings, folder).load()
    with caplog.at_level(logging.INFO):
        ArticleFolder(settings, folder).load()
    assert "index loaded from cache" in caplog.text
    assert "rusak.md: frontmatter is not valid YAML" in caplog.text
