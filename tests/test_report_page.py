"""`python -m bot report --html`: one self-contained page whose figures match the log."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from pathlib import Path

from conftest import MakeStore, run_report

from bot.settings import Settings
from bot.store import Entry

DAY = 86400
# Midnight UTC three days ago: questions around it fall on other days in Jakarta (UTC+7).
BASE = (int(time.time()) // DAY - 3) * DAY
HOSTILE = "kirim ke sari@contoh.co.id 0812-5555-0199 </script><script>alert(1)</script> \u202eatad\u202c"
EVIL_ARTICLE = "artikel</script><img src=x onerror=alert(1)>\u2066"

# (question, kind, answered article, closest article, vote, seconds from BASE)
LOGGED = [
    ("apa itu vlan", "answer", "vlan", None, 1, -1800),  # 23:30 UTC the day before: 06:30 WIB on BASE's date
    ("Apa itu VLAN?", "answer", "vlan", None, 0, 3600),
    ("apa itu vlan", "answer", EVIL_ARTICLE, None, 1, 7200),
    ("backend atau frontend lebih susah", "suggest", None, "backend", None, 5 * 3600),
    ("biaya kursus mikrotik berapa", "none", None, "mikrotik", None, 18 * 3600),  # 01:00 WIB the next day
    ("harga kursus mikrotik", "none", None, "mikrotik", None, DAY + 3600),
    (HOSTILE, "none", None, None, None, DAY + 7200),
    ("alamat kantor areta", None, None, None, None, 2 * DAY),  # logged before kinds were kept
    ("gimana cara jadi backend developer", "none", None, None, None, DAY + 9000),  # before the article was written
]


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


class Page(HTMLParser):
    """The page's tables (by id, rows of cell texts) and totals (by key)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.totals: dict[str, str] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._total: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table or ""] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "dd":
            self._total, self._cell = a.get("data-total"), []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "dd" and self._total and self._cell is not None:
            self.totals[self._total] = "".join(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, table: str) -> list[list[str]]:
        return self.tables[table][1:]  # without the head


def write_log(make_store: MakeStore, backend: str, settings: Settings) -> None:
    if backend == "postgres":
        store = make_store()
    else:
        from bot.store.sqlite import SqliteStore

        store = SqliteStore.open(settings.data_dir, 30, salt="s")
    for n, (question, kind, article, closest, vote, at) in enumerate(LOGGED):
        store.record(
            Entry(
                f"r{n}",
                question,
                article is not None,
                article,
                "S" if article else None,
                0.5,
                str(n % 5),
                "private",
                BASE + at,
                kind=kind,
                closest=closest,
            )
        )
        if vote is not None:
            store.vote(f"r{n}", vote == 1, article or "", "S")
    store.close()


def report_html(settings: Settings, make_store: MakeStore, backend: str, out: Path, *args: str) -> str:
    done = run_report(settings, make_store, backend, "--html", str(out), *args, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"HTML report written to {out}" in done.stdout
    return out.read_text(encoding="utf-8")


def test_the_page_shows_the_logs_figures_on_jakarta_days(
    make_store: MakeStore,
    backend: str,
    settings: Settings,
    careers: Path,
    tmp_path: Path,
) -> None:
    write_log(make_store, backend, settings)
    out = tmp_path / "report.html"
    page = Page(report_html(settings, make_store, backend, out, "--since", "30", "--knowledge", str(careers)))
    assert page.totals == {
        "questions": "9",
        "users": "5",
        "answered": "3",
        "share": "33%",
        "suggested": "1",
        "unanswered": "4",
        "unknown": "1",
        "helpful": "2",
        "not_helpful": "1",
    }
    # Day, answered, suggested, unanswered, unknown: WIB days, not UTC ones.
    assert page.rows("days") == [
        [iso(BASE), "3", "1", "0", "0"],
        [iso(BASE + DAY), "0", "0", "4", "0"],
        [iso(BASE + 2 * DAY), "0", "0", "0", "1"],
    ]
    assert page.rows("most-asked")[0] == ["apa itu vlan", "3"]
    # Count, examples, the closest article then, and whether today's articles answer it.
    unanswered = page.rows("unanswered")
    assert ["2", "biaya kursus mikrotik berapa | harga kursus mikrotik", "mikrotik", "belum"] in unanswered
    assert ["1", "alamat kantor areta", "tidak ada", "belum"] in unanswered
    assert ["1", "gimana cara jadi backend developer", "tidak ada", "2025-01-01-backend"] in unanswered
    assert sorted(page.rows("votes")) == sorted(
        [["vlan", "1", "1"], ["artikel</script><img src=x onerror=alert(1)>", "1", "0"]]
    )


def test_logged_text_is_escaped_masked_and_stripped_everywhere_and_nothing_loads(
    make_store: MakeStore,
    backend: str,
    settings: Settings,
    tmp_path: Path,
) -> None:
    write_log(make_store, backend, settings)
    text = report_html(settings, make_store, backend, tmp_path / "report.html")
    for bad in ("<script", "</script", "<img", "\u202e", "\u202c", "\u2066", "sari@", "0812", "5555"):
        assert bad not in text, bad
    # Inside the chart's SVG too: the article's name is escaped there.
    svg = text[text.index("<svg", text.index("👍/👎")) :]
    assert "artikel&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "kirim ke [email] [nomor] &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; atad" in text
    for loads in ('src="', "href=", "url(", "@import"):
        assert loads not in text, loads
    assert '<meta name=viewport content="width=device-width, initial-scale=1">' in text


def test_an_empty_period_is_a_page_that_says_so(
    make_store: MakeStore, backend: str, settings: Settings, tmp_path: Path
) -> None:
    write_log(make_store, backend, settings)
    out = tmp_path / "report.html"
    page = Page(report_html(settings, make_store, backend, out, "--since", "0.01"))  # after every logged question
    assert page.totals["questions"] == "0"
    assert "Belum ada pertanyaan pada periode ini." in out.read_text(encoding="utf-8")


def test_the_terminal_report_counts_days_in_the_report_time_zone(
    make_store: MakeStore, backend: str, settings: Settings
) -> None:
    write_log(make_store, backend, settings)
    done = run_report(settings, make_store, backend, timeout=120)
    assert done.returncode == 0, done.stderr
    days = done.stdout.split("Questions per day, Asia/Jakarta (answered / asked):\n")[1].splitlines()
    assert [line.split()[:4] for line in days] == [
        [iso(BASE), "3", "/", "4"],
        [iso(BASE + DAY), "0", "/", "4"],
        [iso(BASE + 2 * DAY), "0", "/", "1"],
    ]
