"""Loading articles: ids, frontmatter variants, and broken files skipped with a warning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import CORPUS, WriteCorpus, article, needs_shared

from bot.articles import LoadResult, load_articles
from bot.settings import Settings


def load(settings: Settings, folder: Path) -> LoadResult:
    return load_articles(folder, settings.knowledge, settings.site)


def test_ids_and_fields(settings: Settings, write_corpus: WriteCorpus) -> None:
    folder = write_corpus(
        {
            "2025-01-01-satu.md": article("Satu", "#### A\n\nTeks.\n", tags=["X", "Y"], description="Ringkas."),
            "nested/post/index.md": article("Dua", "Teks dua.\n"),
            "nested/post/en/index.md": article("Two", "Text two.\n"),
            "lain.markdown": article("Tiga", "Teks tiga.\n"),
        }
    )
    result = load(settings, folder)
    assert [(a.id, a.title) for a in result.articles] == [
        ("2025-01-01-satu", "Satu"),
        ("lain", "Tiga"),
        ("nested/post", "Dua"),
        ("nested/post/en", "Two"),
    ]
    first = result.articles[0]
    assert (first.description, first.tags, first.date) == ("Ringkas.", ("X", "Y"), "2025-10-06T03:30:08.348000+00:00")
    assert result.warnings == ()


def test_tolerates_missing_fields_string_tags_and_categories(settings: Settings, write_corpus: WriteCorpus) -> None:
    folder = write_corpus(
        {
            "a.md": "---\ntitle: Tanpa Apa-apa\n---\nIsi saja.\n",
            "b.md": article("Tag Teks", "Isi.\n", tags="Karier IT, Backend", extra="categories: [Backend, Tutorial]"),
            "c.md": "Tanpa frontmatter sama sekali.\n",
        }
    )
    by_id = {a.id: a for a in load(settings, folder).articles}
    assert by_id["a"].tags == () and by_id["a"].description == "" and by_id["a"].date is None
    assert by_id["b"].tags == ("Karier IT", "Backend", "Tutorial")
    assert by_id["c"].title == "C"


@pytest.mark.parametrize(
    "extra",
    [pytest.param("draft: true", id="draft"), pytest.param("published: false", id="unpublished")],
)
def test_drafts_and_unpublished_are_excluded_without_warning(
    settings: Settings, write_corpus: WriteCorpus, extra: str
) -> None:
    folder = write_corpus({"a.md": article("Draf", "Isi.\n", extra=extra), "b.md": article("Terbit", "Isi.\n")})
    result = load(settings, folder)
    assert [a.id for a in result.articles] == ["b"]
    assert (result.excluded, result.warnings) == (1, ())


def test_template_key_filter(settings: Settings, write_corpus: WriteCorpus) -> None:
    folder = write_corpus(
        {
            "about.md": article("Tentang Kami", "Isi.\n", template_key="about-page"),
            "post.md": article("Artikel", "Isi.\n"),
            "bare.md": article("Tanpa Template", "Isi.\n", template_key=None),
        }
    )
    assert sorted(a.id for a in load(settings, folder).articles) == ["bare", "post"]


def test_empty_body_is_still_findable_by_its_description(settings: Settings, write_corpus: WriteCorpus) -> None:
    folder = write_corpus({"a.md": article("Kosong", "", description="Deskripsi tentang kubernetes.")})
    (only,) = load(settings, folder).articles
    assert [(s.heading, s.passages[0][0].text) for s in only.sections] == [("Kosong", "Deskripsi tentang kubernetes.")]


def test_broken_files_are_skipped_with_a_warning_and_the_rest_load(
    settings: Settings, write_corpus: WriteCorpus
) -> None:
    folder = write_corpus(
        {
            "bad-yaml.md": "---\ntitle: Rusak\ndescription: >\nteks: dengan titik dua: di sini\n---\nIsi.\n",
            "list-meta.md": "---\n- a\n- b\n---\nIsi.\n",
            "good.md": article("Baik", "Isi.\n"),
        }
    )
    result = load(settings, folder)
    assert [a.id for a in result.articles] == ["good"]
    reasons = {w.file.name: w.reason for w in result.warnings}
    assert reasons["bad-yaml.md"].startswith("frontmatter is not valid YAML:")
    assert "line" in reasons["bad-yaml.md"]
    assert reasons["list-meta.md"] == "frontmatter is not a mapping of fields"


def test_duplicate_ids_warn_and_keep_one(settings: Settings, write_corpus: WriteCorpus) -> None:
    folder = write_corpus({"post.md": article("Pertama", "Isi.\n"), "post/index.md": article("Kedua", "Isi.\n")})
    result = load(settings, folder)
    assert [(a.id, a.title) for a in result.articles] == [("post", "Pertama")]
    (warning,) = result.warnings
    assert warning.file.name == "index.md" and "duplicate article id 'post'" in warning.reason


def test_non_utf8_file_is_read_with_a_warning(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "latin.md").write_bytes(article("Kafe", "Harga caf\u00e9 naik.\n").encode("cp1252"))
    result = load(settings, folder)
    assert result.articles[0].sections[0].passages[0][0].text == "Harga café naik."
    assert "not valid UTF-8" in result.warnings[0].reason


def test_binary_and_oversized_files_are_skipped(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "binary.md").write_bytes(b"\x89PNG\x00\x00\x01")
    (folder / "huge.md").write_text(article("Besar", "kata " * 2_100_000), encoding="utf-8")  # about 10 MB
    (folder / "ok.md").write_text(article("Kecil", "Isi.\n"), encoding="utf-8")
    result = load(settings, folder)
    assert [a.id for a in result.articles] == ["ok"]
    reasons = {w.file.name: w.reason for w in result.warnings}
    assert reasons["binary.md"] == "binary file (contains NUL bytes)"
    assert reasons["huge.md"].startswith("file is larger than knowledge.max_file_kb")


@needs_shared
def test_real_blog_loads_all_74_articles(settings: Settings) -> None:
    result = load(settings, CORPUS / "areta")
    assert len(result.articles) == 74
    assert result.warnings == ()
    ids = {a.id for a in result.articles}
    assert "2026-06-22-php-modern-Scaling-mySQL " in ids  # the trailing space is part of the id
    assert "2025-09-15-" in ids


@needs_shared
def test_real_malformed_files_give_three_warnings_and_no_articles(settings: Settings) -> None:
    result = load(settings, CORPUS / "malformed")
    assert result.articles == ()
    assert len(result.warnings) == 3
    assert all(w.reason.startswith("frontmatter is not valid YAML") for w in result.warnings)


@needs_shared
def test_real_nested_blog_uses_folder_ids(settings: Settings) -> None:
    every_language = dataclasses.replace(settings, knowledge=dataclasses.replace(settings.knowledge, languages=()))
    result = load(every_language, CORPUS / "mazipan")
    ids = {a.id for a in result.articles}
    assert "2018-04-16-intro-to-intersection-observer" in ids
    assert "2019-02-21-create-simple-like-button-using-firebase-rtdb/en" in ids
    assert not any(i.endswith("/index") for i in ids)
    assert result.excluded == 2  # one draft, one unpublished


@needs_shared
def test_translations_in_other_languages_are_left_out(settings: Settings) -> None:
    result = load(settings, CORPUS / "mazipan")
    assert not any(a.lang == "en" for a in result.articles)
    assert "2018-04-16-intro-to-intersection-observer" in {a.id for a in result.articles}
    assert result.excluded == 17  # 16 English translations (one also unpublished) and a draft


def test_language_filter(settings: Settings, write_corpus: WriteCorpus) -> None:
    folder = write_corpus(
        {
            "a/index.md": article("Indonesia", "Isi.\n", extra="lang: id"),
            "a/en/index.md": article("English", "Text.\n", extra="lang: en"),
            "b.md": article("Tanpa Bahasa", "Isi.\n"),
        }
    )
    assert sorted(a.id for a in load(settings, folder).articles) == ["a", "b"]


def test_symlink_loops_and_dangling_links_do_not_hang_or_break_loading(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)  # posts/sub/loop -> posts
    (folder / "dangling.md").symlink_to(tmp_path / "gone.md")
    (folder / "ok.md").write_text(article("Baik", "Isi.\n"), encoding="utf-8")
    result = load(settings, folder)
    assert [a.id for a in result.articles] == ["ok"]
    assert [(w.file.name, w.reason) for w in result.warnings] == [
        ("dangling.md", "symbolic link to a file outside the articles folder: not read"),
        ("loop", "symbolic link to a folder: not followed"),
    ]


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "pure-python"])
def test_frontmatter_reads_the_same_with_either_yaml_parser(
    settings: Settings, write_corpus: WriteCorpus, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    import bot.articles

    if not fast:
        monkeypatch.setattr(bot.articles, "_FAST_LOADER", None)
    folder = write_corpus(
        {
            "bell.md": "---\ntitle: Bel \x07 berbunyi\n---\nIsi.\n",
            "colon.md": "---\ntitle: Rusak\ndescription: >\nteks: dengan titik dua: di sini\n---\nIsi.\n",
            "good.md": "---\ntitle: Baik\ntags: &t [a, b]\ncategories: *t\n---\nIsi.\n",
        }
    )
    result = load(settings, folder)
    assert [(a.id, a.tags) for a in result.articles] == [("good", ("a", "b"))]
    reasons = {w.file.name: w.reason for w in result.warnings}
    assert "special characters are not allowed" in reasons["bell.md"]
    assert "mapping values are not allowed here (line 4)" in reasons["colon.md"]
