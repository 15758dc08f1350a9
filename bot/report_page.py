"""The report as one self-contained HTML page: figures from the question log, charts drawn by pygal.

Everything logged is masked (phone numbers, e-mail addresses), stripped of control and bidi
characters and escaped, in the tables and inside the charts' SVG alike; the page holds no
script and loads nothing, so it opens offline and from a Telegram download.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.decision import Answerer
from bot.privacy import mask_personal, printable
from bot.settings import LanguageSettings, Settings
from bot.store.base import ArticleVotes, LoggedQuestion, Store
from bot.store.reports import group_unanswered, question_key


@functools.cache
def _chart_style() -> Any:
    # pygal is imported only to draw a page: it puts an import hook on sys.meta_path, which the
    # bot need not carry while it answers questions.
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        foreground="#333",
        foreground_strong="#111",
        foreground_subtle="#888",
        colors=("#2e7d32", "#f9a825", "#c62828", "#9e9e9e"),
        font_family="sans-serif",
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        title_font_size=15,
        value_font_size=12,
        tooltip_font_size=12,
    )


@dataclass(frozen=True)
class DayCount:
    """Questions of one local day by what the bot did."""

    date: str
    answered: int
    suggested: int
    unanswered: int
    unknown: int  # logged before the decision was kept, and not answered

    @property
    def questions(self) -> int:
        """All questions of the day."""
        return self.answered + self.suggested + self.unanswered + self.unknown


@dataclass(frozen=True)
class UnansweredGroup:
    """Unanswered questions about one topic and the article the bot came closest to."""

    label: str
    count: int
    examples: tuple[str, ...]
    closest: str | None
    now: str | None = None  # the article today's articles answer it from, when checked


@dataclass(frozen=True)
class ReportData:
    """Every figure the page shows, computed from the logged questions."""

    questions: int
    users: int
    days: tuple[DayCount, ...]
    most_asked: tuple[tuple[str, int], ...]
    unanswered: tuple[UnansweredGroup, ...]
    votes: tuple[ArticleVotes, ...]
    checked: bool = False  # whether the unanswered groups were asked again of today's articles

    def total(self, field: str) -> int:
        """The sum of one DayCount field over every day."""
        return sum(getattr(d, field) for d in self.days)


def clean(text: str) -> str:
    """Logged text as it may be shown: personal data masked, no control or bidi characters."""
    return " ".join(printable(mask_personal(text)).split())


def outcome(row: LoggedQuestion) -> str:
    """What the bot did: answered, suggested, unanswered, or unknown (older rows not answered)."""
    if row.answered or row.kind == "answer":
        return "answered"
    return {"suggest": "suggested", "none": "unanswered"}.get(row.kind or "", "unknown")


def local_day(when: float, zone: ZoneInfo) -> str:
    """The date (YYYY-MM-DD) of an instant in the report's time zone."""
    return dt.datetime.fromtimestamp(when, zone).date().isoformat()


def collect(
    rows: Sequence[LoggedQuestion],
    zone: ZoneInfo,
    language: LanguageSettings,
    group: Callable[..., list[Any]] = group_unanswered,
) -> ReportData:
    """The page's figures from the logged questions of the period."""
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        per_day[local_day(row.asked_at, zone)][outcome(row)] += 1
    days = tuple(
        DayCount(d, c["answered"], c["suggested"], c["unanswered"], c["unknown"]) for d, c in sorted(per_day.items())
    )
    return ReportData(
        len(rows),
        len({r.user_hash for r in rows if r.user_hash}),
        days,
        _most_asked(rows),
        _unanswered(rows, language, group),
        _votes(rows),
    )


def _most_asked(rows: Sequence[LoggedQuestion], limit: int = 10) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    wording: dict[str, Counter[str]] = {}
    for row in rows:
        shown = clean(row.question)
        key = question_key(shown)
        counts[key] += 1
        wording.setdefault(key, Counter())[shown] += 1
    return tuple((wording[k].most_common(1)[0][0], n) for k, n in counts.most_common(limit))


def _unanswered(
    rows: Sequence[LoggedQuestion], language: LanguageSettings, group: Callable[..., list[Any]], limit: int = 15
) -> tuple[UnansweredGroup, ...]:
    missed = [r for r in rows if outcome(r) != "answered"]
    if not missed:
        return ()
    groups = group([r.question for r in missed], language, limit)
    # The grouping shows masked examples; match them back to their rows' closest articles.
    closest: dict[str, Counter[str]] = defaultdict(Counter)
    for r in missed:
        if r.closest:
            closest[mask_personal(r.question)][r.closest] += 1
    found = []
    for g in groups:
        near: Counter[str] = Counter()
        for example in g.examples:
            near.update(closest.get(example, Counter()))
        found.append(
            UnansweredGroup(
                clean(g.label), g.count, tuple(map(clean, g.examples)), near.most_common(1)[0][0] if near else None
            )
        )
    return tuple(found)


def _votes(rows: Sequence[LoggedQuestion]) -> tuple[ArticleVotes, ...]:
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    for r in rows:
        if r.vote is not None and r.article:
            (up if r.vote == 1 else down)[r.article] += 1
    articles = sorted(set(up) | set(down), key=lambda a: (-(up[a] + down[a]), a))
    return tuple(ArticleVotes(clean(a), up[a], down[a]) for a in articles)


# Rendering ----------------------------------------------------------------------------------


def render(data: ReportData, texts: Mapping[str, str], site: str, period: str, generated: str) -> str:
    """The whole page: one HTML document with its charts inline."""
    t = {k: html.escape(v) for k, v in texts.items()}
    parts = [
        f"<h1>{t['title']} — {html.escape(clean(site))}</h1>",
        f"<p class=meta>{html.escape(period)} · {t['generated']} {html.escape(generated)}</p>",
        _totals(data, t),
    ]
    if not data.questions:
        parts.append(f"<p>{t['empty']}</p>")
    else:
        parts += [
            f"<h2>{t['per_day']}</h2>",
            _per_day_chart(data, texts),
            _day_table(data, t),
            f"<h2>{t['share_over_time']}</h2>",
            _share_chart(data, texts),
            f"<h2>{t['most_asked']}</h2>",
            _most_asked_table(data, t),
            f"<h2>{t['unanswered_groups']}</h2>",
            _groups_table(data, t),
            f"<h2>{t['votes']}</h2>",
            _votes_chart(data, texts),
            _votes_table(data, t),
        ]
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang=id>\n<head>\n<meta charset=utf-8>\n"
        '<meta name=viewport content="width=device-width, initial-scale=1">\n'
        # Nothing may load or run: the page is opened from a download, maybe offline.
        "<meta http-equiv=Content-Security-Policy"
        " content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{t['title']}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


_CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;padding:12px;max-width:860px;color:#222;line-height:1.4}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.1em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:.9em}
dl{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:6px;margin:0}
dl div{background:#f4f6f8;border-radius:6px;padding:6px 8px}dt{font-size:.8em;color:#555}
dd{margin:0;font-size:1.2em;font-weight:600}
svg{width:100%;height:auto;display:block}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td:first-child{min-width:5.5em}summary{cursor:pointer;color:#555;margin:.3em 0}
td.n,th.n{text-align:right;white-space:nowrap}
"""


def _totals(data: ReportData, t: Mapping[str, str]) -> str:
    answered = data.total("answered")
    share = f"{answered / data.questions:.0%}" if data.questions else "-"
    items = [
        ("questions", data.questions),
        ("users", data.users),
        ("answered", answered),
        ("share", share),
        ("suggested", data.total("suggested")),
        ("unanswered", data.total("unanswered")),
        ("helpful", sum(v.helpful for v in data.votes)),
        ("not_helpful", sum(v.not_helpful for v in data.votes)),
    ]
    if data.total("unknown"):
        items.insert(6, ("unknown", data.total("unknown")))
    cells = "".join(f"<div><dt>{t[k]}</dt><dd data-total={k}>{v}</dd></div>" for k, v in items)
    return f"<dl id=totals>{cells}</dl>"


def _table(table_id: str, head: Sequence[tuple[str, bool]], rows: Sequence[Sequence[object]]) -> str:
    """A table of escaped cells; head: (label, numeric)."""
    th = "".join(f"<th{' class=n' if n else ''}>{label}</th>" for label, n in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if n else ''}>{html.escape(str(cell))}</td>"
            for cell, (_, n) in zip(row, head, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<div class=scroll><table id={table_id}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>"


def _day_table(data: ReportData, t: Mapping[str, str]) -> str:
    head = [
        (t["day"], False),
        (t["answered"], True),
        (t["suggested"], True),
        (t["unanswered"], True),
        (t["unknown"], True),
    ]
    table = _table("days", head, [(d.date, d.answered, d.suggested, d.unanswered, d.unknown) for d in data.days])
    return f"<details><summary>{t['figures']}</summary>{table}</details>"


def _most_asked_table(data: ReportData, t: Mapping[str, str]) -> str:
    return _table("most-asked", [(t["question"], False), (t["count"], True)], data.most_asked)


def _groups_table(data: ReportData, t: Mapping[str, str]) -> str:
    head = [(t["count"], True), (t["examples"], False), (t["closest"], False)]
    rows = [[g.count, " | ".join(g.examples), g.closest or t["none"]] for g in data.unanswered]
    if data.checked:
        head.append((t["answered_now"], False))
        for row, g in zip(rows, data.unanswered, strict=True):
            row.append(g.now or t["not_yet"])
    return _table("unanswered", head, rows)


def _votes_table(data: ReportData, t: Mapping[str, str]) -> str:
    head = [(t["article"], False), ("👍", True), ("👎", True)]
    return _table("votes", head, [(v.article, v.helpful, v.not_helpful) for v in data.votes])


def _chart(kind: str, height: int, **options: object) -> Any:
    """A pygal chart of class `kind` ("StackedBar", "Line" ...) with the page's look."""
    import pygal

    defaults: dict[str, object] = {
        "width": 420,
        "height": height,
        "style": _chart_style(),
        "js": (),
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 2,
        "truncate_label": 40,
        "truncate_legend": 40,
        "margin": 6,
    }
    return getattr(pygal, kind)(**{**defaults, **options})


def _svg(chart: Any) -> str:
    """The chart as inline SVG without pygal's script (its config, which repeats the labels)."""
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return ET.tostring(tree, encoding="unicode")


def _per_day_chart(data: ReportData, texts: Mapping[str, str]) -> str:
    chart = _chart(
        "StackedBar",
        340,
        x_label_rotation=45,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(data.days) // 8),
        legend_at_bottom_columns=1,
        truncate_legend=-1,
    )
    chart.x_labels = [d.date[5:] for d in data.days]
    for field in ("answered", "suggested", "unanswered", "unknown"):
        if field != "unknown" or data.total("unknown"):
            chart.add(texts[field], [getattr(d, field) for d in data.days])
    return _svg(chart)


def _share_chart(data: ReportData, texts: Mapping[str, str]) -> str:
    chart = _chart(
        "Line",
        260,
        range=(0, 100),
        x_label_rotation=45,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(data.days) // 8),
        show_legend=False,
        value_formatter=lambda v: f"{v:.0f}%",
    )
    chart.x_labels = [d.date[5:] for d in data.days]
    chart.add(texts["share"], [round(100 * d.answered / d.questions, 1) for d in data.days])
    return _svg(chart)


def _votes_chart(data: ReportData, texts: Mapping[str, str]) -> str:
    shown = data.votes[:10]
    if not shown:
        return ""
    # Each article's name is printed on its bar: names beside the bars would leave them no room on a phone.
    chart = _chart(
        "HorizontalStackedBar", 70 + 34 * len(shown), show_x_labels=False, print_labels=True, truncate_label=-1
    )
    chart.add("👍", [{"value": v.helpful, "label": v.article[:45]} for v in reversed(shown)])
    chart.add("👎", [{"value": v.not_helpful, "label": ""} for v in reversed(shown)])
    return _svg(chart)


# The whole report --------------------------------------------------------------------------


def answered_by(answerer: Answerer) -> Callable[[str], str | None]:
    """Asks a question of today's articles: the id of the article it is answered from, else None."""

    def answer(question: str) -> str | None:
        decision = answerer.decide(question, None)
        shown = decision.answer if decision.kind == "answer" else None
        return shown.article.id if shown else None

    return answer


def build_page(
    store: Store,
    start: float,
    now: float,
    days: float | None,
    texts: Mapping[str, str],
    site: str,
    timezone: str,
    language: LanguageSettings,
    group: Callable[..., list[Any]] = group_unanswered,
    answer_now: Callable[[str], str | None] | None = None,
) -> str:
    """The page for the period starting at `start`; `group` groups unanswered questions (maybe in another
    process); with `answer_now`, each group's first question is asked again of today's articles."""
    zone = ZoneInfo(timezone)
    data = collect(store.logged(start), zone, language, group)
    if answer_now is not None:
        groups = tuple(dataclasses.replace(g, now=answer_now(g.examples[0])) for g in data.unanswered)
        data = dataclasses.replace(data, unanswered=groups, checked=True)
    period = texts["period"].format(days=f"{days:g}") if days is not None else texts["all_time"]
    generated = dt.datetime.fromtimestamp(now, zone).strftime("%Y-%m-%d %H:%M %Z")
    return render(data, texts, site, period, generated)


def page(
    store: Store,
    settings: Settings,
    days: float | None,
    now: float,
    isolated: bool = False,
    answerer: Answerer | None = None,
) -> str:
    """The page of the last `days` days (everything when None), as settings say; `isolated` groups in
    another process; with `answerer`, unanswered topics are asked again of today's articles."""
    from bot.store.reports import group_isolated, since

    return build_page(
        store,
        since(days, now),
        now,
        days,
        settings.texts.report_page,
        settings.site.name,
        settings.report.timezone,
        settings.language,
        group_isolated if isolated else group_unanswered,
        answered_by(answerer) if answerer is not None else None,
    )


def file_name(settings: Settings, now: float) -> str:
    """The name the page is sent under: laporan-<local date>.html."""
    return f"laporan-{dt.datetime.fromtimestamp(now, ZoneInfo(settings.report.timezone)).date().isoformat()}.html"
