"""Settings: bundled YAML, override files, environment, and one-line errors for bad config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import PROJECT_DIR, load_settings


def write(tmp_path: Path, text: str, name: str = "override.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_settings_load_with_project_relative_paths() -> None:
    settings = load_settings(env={})
    assert settings.site.name == "Areta Training Center"
    assert settings.site.base_url == "https://aretatrainingcenter.space"
    assert settings.knowledge.folder == PROJECT_DIR / "knowledge"
    assert settings.knowledge.template_keys == ("blog-post",)
    assert settings.data_dir == PROJECT_DIR / "data"
    assert settings.token is None
    assert settings.texts.no_answer.startswith("Maaf")


def test_settings_are_frozen() -> None:
    settings = load_settings(env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.data_dir = Path("/elsewhere")  # type: ignore[misc]  # the point: assigning must fail


def test_environment_sets_data_dir_and_token_which_never_shows_in_repr(tmp_path: Path) -> None:
    settings = load_settings(env={"BOT_DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": "123:secret-token"})
    assert settings.data_dir == tmp_path
    assert settings.token == "123:secret-token"
    assert "secret-token" not in repr(settings)


def test_override_file_merges_over_bundled_and_resolves_paths_against_itself(tmp_path: Path) -> None:
    override = write(tmp_path, "knowledge:\n  folder: posts\nretrieval:\n  candidates: 3\n")
    settings = load_settings(override, env={})
    assert settings.knowledge.folder == tmp_path / "posts"
    assert settings.retrieval.candidates == 3
    assert settings.retrieval.related_articles == 3  # untouched keys keep their bundled value
    assert settings.site.name == "Areta Training Center"


def test_override_file_from_environment(tmp_path: Path) -> None:
    override = write(tmp_path, "site:\n  name: Blog Lain\n")
    assert load_settings(env={"BOT_CONFIG": str(override)}).site.name == "Blog Lain"


def test_knowledge_argument_wins(tmp_path: Path) -> None:
    override = write(tmp_path, "knowledge:\n  folder: posts\n")
    settings = load_settings(override, knowledge=tmp_path / "other", env={})
    assert settings.knowledge.folder == tmp_path / "other"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("retrieval:\n  colour: red\n", "config: unknown key 'retrieval.colour'", id="unknown-nested-key"),
        pytest.param("sites: {}\n", "config: unknown key 'sites'", id="unknown-top-key"),
        pytest.param(
            "retrieval:\n  candidates: lima\n",
            "config: 'retrieval.candidates' must be an integer, got text 'lima'",
            id="int-as-text",
        ),
        pytest.param(
            "retrieval:\n  answer_threshold: yes\n",
            "config: 'retrieval.answer_threshold' must be a number, got true (a boolean)",
            id="bool-as-number",
        ),
        pytest.param(
            "knowledge:\n  template_keys: blog-post\n",
            "config: 'knowledge.template_keys' must be a list, got text 'blog-post'",
            id="text-as-list",
        ),
        pytest.param(
            "site:\n  section_links: footnote\n",
            "config: 'site.section_links' must be one of 'text_fragment', 'anchor', 'none', got 'footnote'",
            id="bad-choice",
        ),
        pytest.param(
            "retrieval:\n  answer_threshold: 1.5\n",
            "config: 'retrieval.answer_threshold' must be between 0 and 1, got 1.5",
            id="out-of-range",
        ),
        pytest.param(
            "retrieval:\n  answer_threshold: 0.3\n  suggest_threshold: 0.25\n",
            "config: 'retrieval.suggest_threshold' must not be below 'retrieval.answer_threshold'",
            id="suggest-below-answer",
        ),
        pytest.param(
            "site:\n  base_url: aretatrainingcenter.space\n",
            "config: 'site.base_url' must start with http:// or https://",
            id="base-url-scheme",
        ),
        pytest.param(
            "site:\n  article_url: '{base_url}/{slug}/'\n",
            "config: 'site.article_url' may use only {base_url} and {path} ('slug')",
            id="url-placeholder",
        ),
        pytest.param(
            "texts:\n  no_answer: 'Maaf {nama}'\n",
            "config: 'texts.no_answer' uses unknown placeholder {nama}",
            id="text-placeholder",
        ),
        pytest.param(
            "token: '123:abc'\n",
            "config: 'token' is read only from the environment variable TELEGRAM_BOT_TOKEN",
            id="token-in-yaml",
        ),
        pytest.param("- a\n- b\n", "must hold a mapping of settings", id="not-a-mapping"),
        pytest.param(
            "report:\n  timezone: Asia/Bandung\n",
            "config: 'report.timezone' must be an IANA time zone such as Asia/Jakarta, got 'Asia/Bandung'",
            id="time-zone",
        ),
        pytest.param(
            "report:\n  digest_day: senin\n",
            "config: 'report.digest_day' must be one of monday, tuesday",
            id="digest-day",
        ),
        pytest.param(
            "report:\n  digest_hour: 24\n",
            "config: 'report.digest_hour' must be an hour from 0 to 23, got 24",
            id="digest-hour",
        ),
        pytest.param(
            "texts:\n  report_page:\n    period: '{hari} hari'\n",
            "config: 'texts.report_page.period' uses unknown placeholder {hari}",
            id="page-placeholder",
        ),
        pytest.param(
            "language:\n  intents:\n    choice:\n      cues: [mending]\n      replaces: [perbandingan]\n",
            "config: 'language.intents.choice.replaces' names no kind 'perbandingan'",
            id="intent-replaces-unknown-kind",
        ),
        pytest.param(
            "language:\n  stopwords: [yang, sama sekali]\n",
            "config: 'language.stopwords' holds 'sama sekali': a stopword is one word",
            id="stopword-phrase",
        ),
    ],
)
def test_bad_config_stops_with_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    override = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(override, env={})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    override = write(tmp_path, "site:\n  name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"override\.yaml line \d+"):
        load_settings(override, env={})


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml", env={})


def test_yaml_booleans_in_word_lists_get_a_hint(tmp_path: Path) -> None:
    override = write(tmp_path, "language:\n  stopwords: [yang, on]\n")
    with pytest.raises(ConfigError, match=r"'language.stopwords\[1\]' must be text.*quotes"):
        load_settings(override, env={})
