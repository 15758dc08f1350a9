"""Shared fixtures: settings on a temporary data folder, small real corpora written to disk."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.knowledge import KnowledgeBase
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.store.queued import QueuedStore
    from bot.store.sqlite import SqliteStore

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
CORPUS = SHARED / "corpus"
EVAL = SHARED / "eval"

needs_shared = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is absent (real test corpora live beside the project)"
)

WriteCorpus = Callable[[dict[str, str]], Path]
MakeStore = Callable[..., "QueuedStore"]


def run_report(
    settings: Settings, make_store: MakeStore, backend: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m bot report ARGS` over the log of `backend` (the SQLite file, or PostgreSQL's URL)."""
    env = {**os.environ, "BOT_DATA_DIR": str(settings.data_dir)}
    env.pop("DATABASE_URL", None)
    if backend == "postgres":
        env["DATABASE_URL"] = make_store.url
    return subprocess.run(
        [sys.executable, "-m", "bot", "report", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def article(
    title: str,
    body: str,
    tags: list[str] | str | None = None,
    description: str = "",
    extra: str = "",
    template_key: str | None = "blog-post",
) -> str:
    """A Markdown file in the blog's Decap CMS format."""
    lines = ["---"]
    if template_key is not None:
        lines.append(f"templateKey: {template_key}")
    lines.append(f'title: "{title}"')
    lines.append("date: 2025-10-06T03:30:08.348Z")
    if description:
        lines.append(f'description: "{description}"')
    if isinstance(tags, str):
        lines.append(f'tags: "{tags}"')
    elif tags:
        lines.append("tags:")
        lines.extend(f"  - {t}" for t in tags)
    if extra:
        lines.append(textwrap.dedent(extra).strip())
    lines.append("---")
    return "\n".join(lines) + "\n" + textwrap.dedent(body).lstrip("\n")


@pytest.fixture
def write_corpus(tmp_path: Path) -> WriteCorpus:
    """Write {relative path: text} files under a fresh folder and return the folder."""
    counter = iter(range(1000))

    def write(files: dict[str, str]) -> Path:
        folder = tmp_path / f"corpus{next(counter)}"
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return folder

    return write


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The bundled settings, writing to a temporary data folder, with no token."""
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    return load_settings()


CAREERS = {
    "2025-01-01-backend.md": article(
        "Mengenal Backend Developer",
        """
        Pengantar singkat tentang profesi backend.

        #### Apa Itu Backend Developer?

        Backend developer adalah pengembang yang mengurus server, database, dan logika aplikasi.

        #### Gaji Backend Developer

        Gaji backend developer dipengaruhi pengalaman, kota, dan skala perusahaan.

        #### Cara Menjadi Backend Developer dari Nol

        Langkah belajar yang disarankan:

        1. Pelajari satu bahasa pemrograman seperti Python atau PHP.
        2. Kuasai database SQL.
        3. Buat proyek API sederhana.
        """,
        tags=["Karier IT", "Backend"],
        description="Mengenal backend developer.",
    ),
    "2025-01-02-network.md": article(
        "Network Engineer: Tugas dan Prospek",
        """
        #### Tugas Network Engineer

        Network engineer merancang dan merawat jaringan komputer, router, dan switch.

        #### Berapa Gaji Network Engineer?

        Penghasilan network engineer bergantung pada sertifikasi seperti MTCNA dan CCNA.

        #### Sertifikasi Jaringan

        Sertifikasi Mikrotik dan Cisco membantu saat melamar kerja di ISP.
        """,
        tags=["karier it", "Jaringan"],
    ),
    "2025-01-03-frontend.md": article(
        "Panduan Frontend Developer",
        """
        #### Apa Itu Frontend Developer?

        Frontend developer membangun tampilan website dengan HTML, CSS, dan JavaScript.

        #### Framework Frontend

        React dan Vue adalah framework populer untuk antarmuka pengguna.
        """,
        tags=["Karier IT", "Frontend"],
    ),
}


@pytest.fixture
def careers(write_corpus: WriteCorpus) -> Path:
    """A small corpus of three career articles."""
    return write_corpus(CAREERS)


@pytest.fixture
def kb(settings: Settings, careers: Path) -> KnowledgeBase:
    """The knowledge base over the career corpus."""
    return KnowledgeBase.load(settings, careers)


@pytest.fixture
def decide(settings: Settings, kb: KnowledgeBase):  # noqa: ANN201 - Callable[[str], Decision]
    """The answer decision over the career corpus, for a question asked without context."""
    from bot.decision import Answerer

    answerer = Answerer(kb, settings.retrieval, settings.language)
    return answerer.decide


def _started_emulator():  # noqa: ANN202 - yields an emulator_client.Emulator
    """A Bot API emulator on 127.0.0.1 until the test or module is done (skipped without Node.js)."""
    from emulator_client import Emulator, emulator_missing

    reason = emulator_missing()
    if reason:
        pytest.skip(reason)
    running = Emulator()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def emulator():  # noqa: ANN201 - an emulator_client.Emulator
    """A Bot API emulator for a module's end-to-end tests."""
    yield from _started_emulator()


@pytest.fixture
def own_emulator():  # noqa: ANN201 - an emulator_client.Emulator
    """A Bot API emulator for one test alone (tests that start and stop bots of their own)."""
    yield from _started_emulator()


@pytest.fixture(scope="session")
def postgres():  # noqa: ANN201 - a postgres_server.PostgresServer
    """A real PostgreSQL server for the session (skipped when not installed; in CI that fails)."""
    import os

    from postgres_server import PostgresServer, server_missing

    reason = server_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL: {reason}")
        pytest.skip(reason)
    server = PostgresServer()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage test runs against both backends."""
    return request.param


@pytest.fixture
def make_store(request: pytest.FixtureRequest, backend: str, tmp_path: Path):  # noqa: ANN201 - a factory of QueuedStore
    """Open stores of `backend` (SQLite in tmp_path, or a fresh PostgreSQL database); closed at the end."""
    from bot.store.postgres import PostgresStore
    from bot.store.sqlite import SqliteStore

    opened = []
    url = request.getfixturevalue("postgres").new_database() if backend == "postgres" else None

    def make(retention_days: int = 30, salt: str | None = "garam", start: bool = True, **options):  # noqa: ANN003, ANN202 - the store classes' own keyword options; returns a QueuedStore
        if url is not None:
            store = PostgresStore(url, retention_days, salt=salt, **options)
        else:
            store = SqliteStore(tmp_path / "questions.sqlite3", retention_days, salt=salt, **options)
        if start:
            store.start()
        opened.append(store)
        return store

    make.url = url  # type: ignore[attr-defined]  # tests read the database URL off the factory
    yield make
    for store in opened:
        store.close()


@dataclasses.dataclass
class Clock:
    """A clock the test sets by hand: calling it gives `now`."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SqliteStore]:
    """A question log (SQLite in tmp_path, writer started), closed after the test."""
    from bot.store.sqlite import SqliteStore

    store = SqliteStore.open(tmp_path, salt="garam", retention_days=30)
    yield store
    store.close()
