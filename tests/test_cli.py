"""The command line: `cli.main(argv)` in-process with captured output, and `python -m bot` smoke tests."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS, EVAL, PROJECT, WriteCorpus, article, needs_shared

from bot import cli

CONTRACT_KEYS = ["question", "answered", "kind", "article", "title", "section", "url", "text", "score", "candidates"]


@dataclasses.dataclass(frozen=True)
class Done:
    """What a command gave: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


Bot = Callable[..., Done]


@pytest.fixture
def bot(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Bot:
    """Run `python -m bot ARGS` in this process, as `main` sees it, with `stdin` as standard input."""
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))  # index caches go to a scratch folder
    monkeypatch.chdir(PROJECT)

    def run(*args: str, stdin: str = "") -> Done:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def python_m_bot(*args: str, data: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in a subprocess, as a user runs it."""
    environment = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "BOT_CONFIG")}
    environment["BOT_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        timeout=120,
    )


def test_ask_json_follows_the_evaluation_contract(bot: Bot, careers: Path) -> None:
    done = bot("ask", "--knowledge", str(careers), "--json", stdin="apa itu backend developer?\nresep rendang padang\n")
    assert done.returncode == 0, done.stderr
    answered, declined = [json.loads(line) for line in done.stdout.splitlines()]
    assert list(answered) == CONTRACT_KEYS
    assert (answered["answered"], answered["kind"], declined["kind"]) == (True, "answer", "none")
    assert (answered["article"], answered["section"]) == ("2025-01-01-backend", "Apa Itu Backend Developer?")
    assert answered["title"] == "Mengenal Backend Developer"
    assert answered["url"].startswith("https://aretatrainingcenter.space/blog/2025-01-01-backend/#:~:text=")
    assert answered["text"].startswith("Backend developer adalah")
    assert 0 < answered["score"] <= 1
    assert answered["candidates"][0] == {
        "article": "2025-01-01-backend",
        "section": "Apa Itu Backend Developer?",
        "score": answered["score"],
    }
    assert len(answered["candidates"]) == 5
    assert list(declined) == CONTRACT_KEYS
    assert {k: declined[k] for k in ("answered", "article", "title", "section", "url", "text")} == {
        "answered": False,
        "article": None,
        "title": None,
        "section": None,
        "url": None,
        "text": None,
    }


def test_ask_reads_questions_from_stdin_and_keeps_diagnostics_off_stdout(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    folder = write_corpus(
        {"ok.md": article("Docker", "#### Container\n\nContainer berbagi kernel.\n"), "bad.md": "---\ntitle: [x\n---\n"}
    )
    done = python_m_bot(
        "ask",
        "--knowledge",
        str(folder),
        "--json",
        data=tmp_path / "data",
        stdin="apa itu container?\n\ncontainer docker\n",
    )
    lines = done.stdout.splitlines()
    assert [json.loads(line)["question"] for line in lines] == ["apa itu container?", "container docker"]
    assert "bad.md" in done.stderr and "frontmatter is not valid YAML" in done.stderr


def test_ask_without_json_prints_the_reply_text(bot: Bot, careers: Path) -> None:
    done = bot("ask", "--knowledge", str(careers), "gaji network engineer")
    assert done.stdout.startswith("== Berapa Gaji Network Engineer? ==\n")
    assert "📖 Baca selengkapnya: https://aretatrainingcenter.space/blog/2025-01-02-network/" in done.stdout
    assert "[1]" not in done.stdout and "Jawaban lain" not in done.stdout  # nothing to press here


def test_ask_takes_its_arguments_as_one_question(bot: Bot, careers: Path) -> None:
    done = bot("ask", "--knowledge", str(careers), "--json", "apa", "itu", "backend", "developer")
    (record,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert (record["question"], record["kind"], record["section"]) == (
        "apa itu backend developer",
        "answer",
        "Apa Itu Backend Developer?",
    )


def test_ask_conversation_reads_follow_ups_and_starts_anew_after_a_blank_line(bot: Bot, careers: Path) -> None:
    turns = "halo\napa itu backend developer?\nterus gajinya berapa?\n\nterus gajinya berapa?\n"
    done = bot("ask", "--knowledge", str(careers), "--json", "--conversation", stdin=turns)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["kind"] for r in records[:3]] == ["chat", "answer", "answer"]
    assert records[0]["article"] is None and records[0]["candidates"] == []
    assert records[2]["section"] == "Gaji Backend Developer"
    assert records[3]["section"] != "Gaji Backend Developer"  # a new user: no topic to lean on
    alone = bot("ask", "--knowledge", str(careers), "--json", stdin=turns)
    assert json.loads(alone.stdout.splitlines()[2])["section"] != "Gaji Backend Developer"  # lines apart


def test_check_reports_articles_and_warnings(bot: Bot, write_corpus: WriteCorpus) -> None:
    folder = write_corpus({"ok.md": article("A", "#### B\n\nIsi.\n", tags=["T"]), "bad.md": "---\ntitle: [x\n---\n"})
    done = bot("check", "--knowledge", str(folder))
    assert done.returncode == 0
    assert "articles:  1\n" in done.stdout and "sections:  1\n" in done.stdout and "warnings:  1\n" in done.stdout
    assert "bad.md: frontmatter is not valid YAML" in done.stdout


@needs_shared
def test_check_fails_when_nothing_loads(bot: Bot) -> None:
    done = bot("check", "--knowledge", str(CORPUS / "malformed"))
    assert done.returncode == 1
    assert "warnings:  3" in done.stdout
    assert done.stderr.strip() == "error: no articles could be loaded"


@pytest.mark.parametrize("command", ["ask", "check", "chat"])
def test_missing_folder_is_one_clear_line(bot: Bot, tmp_path: Path, command: str) -> None:
    done = bot(command, "--knowledge", str(tmp_path / "nope"), stdin="")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"error: articles folder not found: {tmp_path / 'nope'}"]


def test_bad_config_is_one_clear_line(bot: Bot, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("retrieval:\n  candidates: banyak\n", encoding="utf-8")
    done = bot("check", "--config", str(config))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: config: 'retrieval.candidates' must be an integer, got text 'banyak'"
    ]


def test_eval_prints_the_four_metrics_and_misses(bot: Bot, careers: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        """
- q: "apa itu backend developer?"
  article: "2025-01-01-backend"
  section: "Apa Itu Backend Developer?"
- q: "framework frontend apa aja"
  article: "2025-01-01-backend"
- q: "resep rendang padang"
  article: null
""",
        encoding="utf-8",
    )
    done = bot("eval", str(questions), "--knowledge", str(careers))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:5] == [
        "questions: 2 in scope, 1 out of scope",
        "accuracy@1       0.500 (1/2)",
        "MRR@5            0.500",
        "rejection        1.000",
        "false rejection  0.000",
    ]
    assert "- framework frontend apa aja" in done.stdout


def test_eval_reads_a_conversation_file(bot: Bot, careers: Path, tmp_path: Path) -> None:
    conversations = tmp_path / "c.yaml"
    conversations.write_text(
        """
- turns:
  - q: "halo kak"
    chat: true
  - q: "apa itu backend developer?"
    article: "2025-01-01-backend"
    section: "Apa Itu Backend Developer?"
  - q: "terus gajinya berapa?"
    follows: true
    article: "2025-01-01-backend"
    section: "Gaji Backend Developer"
  - q: "resep rendang padang"
    article: null
""",
        encoding="utf-8",
    )
    done = bot("eval", str(conversations), "--knowledge", str(careers))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:5] == [
        "conversations: 1, turns: 4",
        "first questions  1/1 = 1.000",
        "follow-ups       1/1 = 1.000",
        "small talk       1/1 = 1.000",
        "declines         1/1 = 1.000",
    ]


def test_chat_runs_on_the_bundled_articles(tmp_path: Path) -> None:
    done = python_m_bot("chat", data=tmp_path / "data", stdin="apa itu backend developer?\n1\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Halo!")
    assert "== Apa Itu Backend Developer? ==" in done.stdout
    assert (
        "https://aretatrainingcenter.space/blog/2025-03-12-apa-itu-backend-developer-dan-bagaimana-cara-memulainya/"
        in done.stdout
    )


@pytest.mark.slow
@needs_shared
def test_eval_over_two_corpora_matches_the_dev_set_format(bot: Bot) -> None:
    done = bot(
        "eval",
        str(EVAL / "dev-questions.yaml"),
        "--corpus",
        f"areta={CORPUS / 'areta'}",
        "--corpus",
        f"mazipan={CORPUS / 'mazipan'}",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("questions: 57 in scope, 12 out of scope\n")
