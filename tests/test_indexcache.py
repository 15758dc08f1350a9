"""The index cache stores the index generically: attributes added to the retriever later keep working."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from conftest import CAREERS, WriteCorpus
from scipy import sparse

import bot.retrieval
from bot.decision import Answerer
from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.source import ArticleFolder


@pytest.fixture
def folder(write_corpus: WriteCorpus) -> Path:
    return write_corpus(CAREERS)


def _with_extra(monkeypatch: pytest.MonkeyPatch, **extra: object) -> None:
    """Make every new Retriever carry `extra` attributes, as a later version of it might."""
    real = bot.retrieval.Retriever.__init__

    def init(self: bot.retrieval.Retriever, *args: object, **kwargs: object) -> None:
        real(self, *args, **kwargs)
        self.__dict__.update(extra)

    monkeypatch.setattr(bot.retrieval.Retriever, "__init__", init)


def test_new_arrays_matrices_and_plain_attributes_are_cached_and_restored(
    settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    matrix = sparse.random(4, 6, density=0.5, format="csc", dtype=np.float32, random_state=1)
    _with_extra(
        monkeypatch,
        boosts=np.linspace(0, 1, 7, dtype=np.float32),
        pairs=matrix,
        weight=np.float32(0.25),
        names={"a": (1, 2.5), "b": ["x", None]},
        by_pair={("a", 1): frozenset({"x"})},
    )
    built = ArticleFolder(settings, folder).load()
    with caplog.at_level(logging.INFO):
        cached = ArticleFolder(settings, folder).load()
    assert "index loaded from cache" in caplog.text
    r = cached.retriever
    assert r.boosts.dtype == np.float32 and np.array_equal(r.boosts, built.retriever.boosts)
    assert type(r.pairs) is type(matrix) and (r.pairs != matrix).nnz == 0
    assert r.weight == np.float32(0.25) and isinstance(r.weight, np.float32)
    assert r.names == {"a": (1, 2.5), "b": ["x", None]}
    assert r.by_pair == {("a", 1): frozenset({"x"})}
    assert record(cached, "gaji network engineer") == record(built, "gaji network engineer")


def test_the_cache_is_json_and_npz_only(settings: Settings, folder: Path) -> None:
    source = ArticleFolder(settings, folder)
    source.load()
    header, _, state = source.cache_path.read_text(encoding="ascii").partition("\n")
    assert json.loads(header)["format"] == 2 and isinstance(json.loads(state), dict)
    with np.load(source.arrays_path, allow_pickle=False) as arrays:
        assert "knowledge.retriever.idf" in arrays.files and "knowledge.retriever.article_match.data" in arrays.files
    assert sorted(p.suffix for p in source.cache_path.parent.iterdir()) == [".json", ".npz"]


def test_an_attribute_the_cache_cannot_store_leaves_the_index_uncached_with_a_warning(
    settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _with_extra(monkeypatch, scorer=lambda x: x)
    with caplog.at_level(logging.WARNING):
        kb = ArticleFolder(settings, folder).load()
    assert record(kb, "gaji network engineer")["kind"] == "answer"
    assert "index not cached: knowledge.retriever.scorer is a builtins.function" in caplog.text
    assert not ArticleFolder(settings, folder).cache_path.exists()


def test_a_cache_whose_arrays_belong_to_another_index_is_rebuilt(
    settings: Settings, folder: Path, write_corpus: WriteCorpus, caplog: pytest.LogCaptureFixture
) -> None:
    source = ArticleFolder(settings, folder)
    source.load()
    other = ArticleFolder(settings, write_corpus({"x.md": CAREERS["2025-01-01-backend.md"]}))
    other.load()
    source.arrays_path.write_bytes(other.arrays_path.read_bytes())  # as a crash between two renames could leave
    with caplog.at_level(logging.WARNING):
        kb = ArticleFolder(settings, folder).load()
    assert f"index cache {source.cache_path} is unreadable" in caplog.text
    assert record(kb, "gaji network engineer")["kind"] == "answer"


def record(kb: KnowledgeBase, question: str) -> dict:
    """What `ask --json` prints for `question` over `kb`."""
    decision = Answerer(kb, kb.settings.retrieval, kb.settings.language).decide(question)
    return kb.record(question, decision.kind, decision.result)
