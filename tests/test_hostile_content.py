"""Hostile knowledge folders (issue 9): what `check`, `ask` and the live reload of `run` read and serve.

Each test goes through a command (`python -m bot check|ask` in a subprocess) or the reload path
`ArticleFolder.refresh` that `run` uses. Files that could hang or starve the bot (a pipe,
/dev/zero, a sparse 3 GB file, a YAML alias bomb, 40,000 tags) are met by a subprocess with a
memory limit and a timeout.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pickle
import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, WriteCorpus, article

from bot.dialog import Dialog
from bot.settings import Settings
from bot.source import ArticleFolder

pytestmark = pytest.mark.slow  # each runs `python -m bot` with memory and time limits

MEMORY_MB = 1024
TIMEOUT = 60
SECRET = "TELEGRAM_BOT_TOKEN=123456:AAE-very-secret-token"
BASE = "https://aretatrainingcenter.space"
DOCKER = article(
    "Belajar Docker", "#### Apa Itu Container?\n\nContainer adalah proses terisolasi yang berbagi kernel.\n"
)


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MB << 20, MEMORY_MB << 20))


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "BOT_CONFIG")}
    env["BOT_DATA_DIR"] = str(data)
    return env


def bot(data: Path, *args: str, timeout: float = TIMEOUT, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m bot ...` as an operator runs it, within a memory limit and a timeout."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=_env(data),
        cwd=PROJECT,
        timeout=timeout,
        preexec_fn=_limited,
        input=stdin,
    )


def ask(data: Path, folder: Path, *questions: str) -> tuple[list[dict], str]:
    """Each question asked on its own (one a line on stdin)."""
    done = bot(data, "ask", "--knowledge", str(folder), "--json", stdin="".join(q + "\n" for q in questions))
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def check(data: Path, folder: Path) -> str:
    done = bot(data, "check", "--knowledge", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


_RELOAD = textwrap.dedent(
    """
    import logging, sys
    from pathlib import Path
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    from bot.settings import load_settings
    from bot.source import ArticleFolder
    source = ArticleFolder(load_settings(), Path(sys.argv[1]))
    source.load()
    print("loaded", flush=True)
    sys.stdin.readline()
    kb = source.refresh()
    print("reloaded", *(a.id for a in kb.articles) if kb else ["(unchanged)"], flush=True)
    """
)


def reload_with(data: Path, folder: Path, add: Callable[[], object]) -> tuple[str, str]:
    """Load `folder` as `run` does, call `add()` to plant a file, reload; (stdout, stderr) of the process."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _RELOAD, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(data),
        cwd=PROJECT,
        preexec_fn=_limited,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline() == "loaded\n"
        add()
        out, err = proc.communicate("go\n", timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    return out, err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def docker(write_corpus: WriteCorpus) -> Path:
    return write_corpus({"docker.md": DOCKER})


# 1. Symbolic links ------------------------------------------------------------------------


def _plant_links(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "app.env"
    secret.write_text(f"{SECRET}\nenv token bot rahasia\n", encoding="utf-8")
    (folder / "env.md").symlink_to(secret)
    (folder / "passwd.md").symlink_to("/etc/passwd")
    (folder / "twin.md").symlink_to(folder / "docker.md")


def test_check_and_ask_never_read_a_file_outside_the_folder_and_read_an_inside_link_once(
    docker: Path, data: Path, tmp_path: Path
) -> None:
    _plant_links(docker, tmp_path)
    out = check(data, docker)
    assert "articles:  1\n" in out
    assert f"{docker / 'env.md'}: symbolic link to a file outside the articles folder: not read" in out
    assert f"{docker / 'passwd.md'}: symbolic link to a file outside the articles folder: not read" in out
    assert f"{docker / 'twin.md'}: symbolic link to docker.md: not read again" in out
    records, err = ask(data, docker, "env token bot rahasia", "root daemon nologin", "apa itu container")
    assert "very-secret" not in json.dumps(records) and "root:" not in json.dumps(records)
    assert [r["article"] for r in records] == [None, None, "docker"]
    assert [c["article"] for c in records[2]["candidates"]] == ["docker"]  # no second copy through twin.md
    assert "env.md: symbolic link to a file outside the articles folder" in err


def test_a_link_added_while_running_is_skipped_and_logged(
    settings: Settings, docker: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = ArticleFolder(settings, docker)
    source.load()
    _plant_links(docker, tmp_path)
    with caplog.at_level(logging.WARNING):
        kb = source.refresh()
    assert kb is None  # no article changed
    assert "env.md: symbolic link to a file outside the articles folder" in caplog.text
    assert "twin.md: symbolic link to docker.md" in caplog.text
    (docker / "docker.md").write_text(DOCKER.replace("Belajar Docker", "Belajar Docker Lagi"), encoding="utf-8")
    os.utime(docker / "docker.md", ns=(0, 2_000_000_000_000_000_000))
    kb = source.refresh()
    assert kb is not None and [a.title for a in kb.articles] == ["Belajar Docker Lagi"]


# 6. The index cache --------------------------------------------------------------------------


class _Payload:
    """Unpickling this creates a marker file: what an attacker's code would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("planted", ["index file", "arrays file"])
def test_a_pickle_dropped_into_the_cache_is_refused_with_a_warning_and_never_run(
    settings: Settings, docker: Path, data: Path, tmp_path: Path, planted: str
) -> None:
    ask(data, docker, "apa itu container")  # writes the cache
    index = ArticleFolder(dataclasses.replace(settings, data_dir=data), docker).cache_path
    target = index if planted == "index file" else index.with_suffix(".npz")
    marker = tmp_path / "pwned"
    target.write_bytes(pickle.dumps(_Payload(marker)))
    records, err = ask(data, docker, "apa itu container")
    assert not marker.exists()
    assert records[0]["article"] == "docker"
    assert f"index cache {index} is unreadable" in err and "rebuilding it" in err


# 7. Pipes, devices, huge files -----------------------------------------------------------------


def _plant_hostile(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}.md"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    else:
        with path.open("wb") as f:
            f.truncate(3 << 30)  # 3 GB, sparse: costs no disk
    return path


_REASONS = {
    "fifo": "not a regular file (a pipe, device or socket): skipped",
    "zero": "symbolic link to a file outside the articles folder: not read",
    "sparse": "file is larger than knowledge.max_file_kb (3145728 KB > 1024 KB)",
}


@pytest.mark.parametrize("kind", ["fifo", "zero", "sparse"])
def test_check_and_ask_refuse_pipes_devices_and_huge_files_without_reading_them(
    kind: str, docker: Path, data: Path
) -> None:
    path = _plant_hostile(kind, docker)
    records, err = ask(data, docker, "apa itu container")  # hung, or read gigabytes, before
    assert records[0]["article"] == "docker"
    assert f"{path}: {_REASONS[kind]}" in err
    out = check(data, docker)
    assert f"{path}: {_REASONS[kind]}" in out and "articles:  1\n" in out


@pytest.mark.parametrize("kind", ["fifo", "zero", "sparse"])
def test_a_pipe_device_or_huge_file_added_while_running_does_not_block_the_reload(
    kind: str, docker: Path, data: Path
) -> None:
    out, err = reload_with(data, docker, lambda: _plant_hostile(kind, docker))
    assert out.splitlines()[-1] == "reloaded (unchanged)"
    assert f"{kind}.md: {_REASONS[kind]}" in err


# 8. File names that are not UTF-8 -------------------------------------------------------------


def _plant_latin1(folder: Path) -> None:
    with open(os.fsencode(folder) + b"/caf\xe9.md", "wb") as f:
        f.write(article("Kafe", "#### Kopi\n\nKopi tubruk diseduh langsung.\n").encode())


def test_a_file_name_that_is_not_utf8_is_skipped_with_its_name_escaped(docker: Path, data: Path) -> None:
    _plant_latin1(docker)
    out = check(data, docker)
    assert "articles:  1\n" in out and "caf\\xe9.md: file name is not valid UTF-8: skipped" in out
    records, err = ask(data, docker, "apa itu container")
    assert records[0]["article"] == "docker" and "caf\\xe9.md: file name is not valid UTF-8" in err


def test_a_file_name_that_is_not_utf8_added_while_running_does_not_break_reloads(
    settings: Settings, docker: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = ArticleFolder(settings, docker)
    source.load()
    _plant_latin1(docker)
    (docker / "kopi.md").write_text(article("Kopi", "#### Tubruk\n\nKopi tubruk diseduh langsung.\n"), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        kb = source.refresh()
    assert kb is not None and sorted(a.id for a in kb.articles) == ["docker", "kopi"]
    assert "caf\\xe9.md: file name is not valid UTF-8: skipped" in caplog.text


# 9. YAML alias bombs -----------------------------------------------------------------------------


def _bomb(field: str) -> str:
    """A few hundred bytes of YAML that expand to 9^9 (387 million) strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "---\ntitle: Bom\n" + "\n".join(lines) + f"\n{field}: *i\n---\nIsi artikel.\n"


def test_check_and_ask_refuse_a_yaml_alias_bomb(docker: Path, data: Path) -> None:
    (docker / "bomb.md").write_text(_bomb("templateKey"), encoding="utf-8")
    reason = f"{docker / 'bomb.md'}: frontmatter aliases expand to more than 1000 extra values (an alias bomb?)"
    out = check(data, docker)
    assert reason in out and "articles:  1\n" in out
    records, err = ask(data, docker, "apa itu container")
    assert records[0]["article"] == "docker" and reason in err


def test_a_yaml_alias_bomb_added_while_running_is_refused(docker: Path, data: Path) -> None:
    out, err = reload_with(data, docker, lambda: (docker / "bomb.md").write_text(_bomb("lang"), encoding="utf-8"))
    assert out.splitlines()[-1] == "reloaded docker"
    assert "bomb.md: frontmatter aliases expand to more than 1000 extra values" in err


def test_a_few_aliases_are_still_fine(docker: Path, data: Path) -> None:
    text = (
        '---\ntitle: &t "Belajar Kubernetes"\ndescription: *t\ntags: &k [kubernetes, cluster]\ncategories: *k\n---\n'
        "Kubernetes mengatur container.\n"
    )
    (docker / "k8s.md").write_text(text, encoding="utf-8")
    records, _ = ask(data, docker, "kubernetes cluster")
    assert records[0]["article"] == "k8s" and records[0]["title"] == "Belajar Kubernetes"


# 10. Many tags ------------------------------------------------------------------------------------


def test_forty_thousand_tags_load_in_linear_time(docker: Path, data: Path) -> None:
    tags = [f"topik{i:05}" for i in range(40_000)]
    (docker / "tags.md").write_text(article("Banyak Tag", "Isi.\n", tags=tags + ["TOPIK00001"]), encoding="utf-8")
    out = check(data, docker)  # 71 s before: a case-folded set was rebuilt for every tag
    assert "articles:  2\n" in out and "tags:      40000 " in out


# 11. Addresses that leave the blog, characters a URL may not hold ---------------------------------


@pytest.mark.parametrize("key", ["permalink", "path", "slug"])
def test_an_address_off_the_blog_is_ignored_with_a_warning(key: str, write_corpus: WriteCorpus, data: Path) -> None:
    folder = write_corpus(
        {
            "phish.md": article(
                "Panduan Docker", "Panduan container lengkap.\n", extra=f'{key}: "https://evil.example/phish"'
            )
        }
    )
    records, err = ask(data, folder, "panduan container")
    assert records[0]["url"] == f"{BASE}/blog/phish/"
    assert f"phish.md: {key} leads off aretatrainingcenter.space: ignored, the file's address is used" in err


def test_every_address_is_percent_encoded(write_corpus: WriteCorpus, data: Path) -> None:
    folder = write_corpus(
        {
            "a.md": article("Panduan Docker", "Panduan container lengkap.\n", extra='permalink: "/promo/a b\\"<c>/"'),
            "b.md": article(
                "Belajar Kubernetes", "Belajar cluster dengan rapi.\n", extra=f'permalink: "{BASE}/x y/100%?q=a b#c d"'
            ),
        }
    )
    records, _ = ask(data, folder, "panduan container", "belajar cluster")
    assert records[0]["url"] == f"{BASE}/promo/a%20b%22%3Cc%3E/"
    assert records[1]["url"] == f"{BASE}/x%20y/100%25?q=a%20b#c%20d"


# 12. Duplicate files and addresses -----------------------------------------------------------------


def test_duplicates_keep_the_same_file_in_check_ask_and_run(
    settings: Settings, write_corpus: WriteCorpus, data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_corpus(
        {
            "dup.md": article("Dup MD", "Kontainer ganda satu.\n"),
            "dup.markdown": article("Dup Markdown", "Kontainer ganda dua.\n"),
            "dup/index.md": article("Dup Index", "Kontainer ganda tiga.\n"),
            "a.md": article("Panduan A", "Panduan container A.\n", extra="slug: promo"),
            "b.md": article("Panduan B", "Panduan container B.\n", extra="slug: promo"),
        }
    )
    records, _ = ask(data, folder, "kontainer ganda", "panduan container")
    assert (records[0]["title"], records[1]["title"]) == ("Dup Markdown", "Panduan A")
    out = check(data, folder)
    assert f"{folder / 'dup.md'}: duplicate article id 'dup', kept dup.markdown" in out
    assert f"{folder / 'dup' / 'index.md'}: duplicate article id 'dup', kept ../dup.markdown" in out
    assert f"{folder / 'b.md'}: same address as a.md ({BASE}/blog/promo/; a duplicate slug?), kept a.md" in out
    assert "articles:  2\n" in out
    with caplog.at_level(logging.WARNING):
        kb = ArticleFolder(settings, folder).load()  # what `run` serves
    assert sorted(a.title for a in kb.articles) == ["Dup Markdown", "Panduan A"]
    assert "same address as a.md" in caplog.text


# 13. What goes to Telegram is capped -----------------------------------------------------------------


def test_huge_titles_headings_and_links_are_capped(settings: Settings, write_corpus: WriteCorpus, data: Path) -> None:
    huge = "Kontainer " * 90_000  # an 880 KB heading
    folder = write_corpus(
        {
            "huge.md": article(
                "Judul " * 1000, f"#### {huge}\n\nKontainer raksasa berbagi kernel.\n", description="Ringkas " * 1000
            ),
            "math.md": article("Huruf", "#### " + "𝔸" * 300 + "\n\nHuruf matematika ganda.\n"),
        }
    )
    records, _ = ask(data, folder, "kontainer raksasa", "huruf matematika ganda")
    big, letters = records
    assert len(big["title"]) <= 200 and len(big["section"]) <= 200 and big["section"].endswith("…")
    assert len(big["url"]) <= 2048 and big["url"].startswith(f"{BASE}/blog/huge/#:~:text=Kontainer%20")
    assert letters["url"] == f"{BASE}/blog/math/"  # the section link would be over 2,048 characters
    kb = ArticleFolder(settings, folder).load()
    items = Dialog(settings, kb).inline("kontainer raksasa") + Dialog(settings, kb).inline("")
    assert all(len(i.title) <= 200 and len(i.description) <= 200 and len(i.url) <= 2048 for i in items)
    assert len(kb.articles[0].description) <= 200


# Also: YAML error lines, left-out files ----------------------------------------------------------------


def test_a_yaml_error_names_its_line(docker: Path, data: Path) -> None:
    (docker / "bad.md").write_text("---\ntemplateKey: blog-post\ntitle: a: b\n---\nIsi.\n", encoding="utf-8")
    assert f"{docker / 'bad.md'}: frontmatter is not valid YAML: mapping values are not allowed here (line 3)" in check(
        data, docker
    )


def test_check_lists_each_left_out_file_with_its_reason(docker: Path, data: Path) -> None:
    for name, extra in (("draft.md", "draft: true"), ("hidden.md", "published: false"), ("en.md", "lang: en")):
        (docker / name).write_text(article("Lain", "Isi.\n", extra=extra), encoding="utf-8")
    (docker / "page.md").write_text(article("Halaman", "Isi.\n", template_key="about-page"), encoding="utf-8")
    out = check(data, docker)
    assert "left out:  4 (drafts, unpublished, other templateKey or language)\n" in out
    for name, reason in (
        ("draft.md", "a draft (draft: true)"),
        ("en.md", "language 'en' is not indexed"),
        ("hidden.md", "not published (published: false)"),
        ("page.md", "templateKey 'about-page' is not indexed"),
    ):
        assert f"  - {docker / name}: {reason}\n" in out
