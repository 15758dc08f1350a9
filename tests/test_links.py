"""Page and section links: Gatsby createFilePath paths, percent-encoding, overrides, fragments."""

from __future__ import annotations

import dataclasses
from pathlib import PurePath

import pytest

from bot.links import article_url, heading_anchor, section_url
from bot.settings import Settings

BASE = "https://aretatrainingcenter.space"


@pytest.mark.parametrize(
    ("file", "url"),
    [
        pytest.param("2025-07-11.md", f"{BASE}/blog/2025-07-11/", id="plain"),
        pytest.param("2025-06-23 figma.md", f"{BASE}/blog/2025-06-23%20figma/", id="space"),
        pytest.param("2025-07-30-🎯-manajemen.md", f"{BASE}/blog/2025-07-30-%F0%9F%8E%AF-manajemen/", id="emoji"),
        pytest.param(
            "2025-11-04-jadi-“tukang-jaringan”.md",
            f"{BASE}/blog/2025-11-04-jadi-%E2%80%9Ctukang-jaringan%E2%80%9D/",
            id="smart-quotes",
        ),
        pytest.param("static-vs-dynamic-—-mana.md", f"{BASE}/blog/static-vs-dynamic-%E2%80%94-mana/", id="em-dash"),
        pytest.param(
            "2026-06-22-php-modern-Scaling-mySQL .md",
            f"{BASE}/blog/2026-06-22-php-modern-Scaling-mySQL%20/",
            id="trailing-space",
        ),
        pytest.param("2025-09-15-.md", f"{BASE}/blog/2025-09-15-/", id="empty-slug"),
        pytest.param("a-post/index.md", f"{BASE}/blog/a-post/", id="index"),
        pytest.param("a-post/en/index.md", f"{BASE}/blog/a-post/en/", id="nested-index"),
        pytest.param("100% #1?.md", f"{BASE}/blog/100%25%20%231%3F/", id="reserved-characters"),
    ],
)
def test_page_url_follows_gatsby_create_file_path(settings: Settings, file: str, url: str) -> None:
    assert article_url(settings.site, PurePath(file), {}) == (url, None)


@pytest.mark.parametrize(
    ("meta", "url"),
    [
        pytest.param({"slug": "jadi-backend"}, f"{BASE}/blog/jadi-backend/", id="slug"),
        pytest.param({"path": "/karier/backend/"}, f"{BASE}/karier/backend/", id="path"),
        pytest.param({"permalink": f"{BASE}/x/"}, f"{BASE}/x/", id="permalink-absolute"),
        pytest.param({"slug": "  "}, f"{BASE}/blog/post/", id="blank-slug-ignored"),
    ],
)
def test_frontmatter_overrides_the_file_path(settings: Settings, meta: dict, url: str) -> None:
    assert article_url(settings.site, PurePath("post.md"), meta) == (url, None)


def test_url_pattern_is_configurable(settings: Settings) -> None:
    site = dataclasses.replace(settings.site, article_url="{base_url}/artikel/{path}.html")
    assert article_url(site, PurePath("a b.md"), {}) == (f"{BASE}/artikel/a%20b.html", None)


def test_section_links(settings: Settings) -> None:
    page = f"{BASE}/blog/post/"
    heading = "💡 Apa Itu Mikrotik, RouterOS & Winbox-nya?"
    assert section_url(settings.site, page, heading, first=False) == (
        page + "#:~:text=Apa%20Itu%20Mikrotik%2C%20RouterOS%20%26%20Winbox%2Dnya%3F"
    )
    assert section_url(settings.site, page, heading, first=True) == page
    anchor = dataclasses.replace(settings.site, section_links="anchor")
    assert section_url(anchor, page, heading, first=False) == page + "#-apa-itu-mikrotik-routeros--winbox-nya"
    none = dataclasses.replace(settings.site, section_links="none")
    assert section_url(none, page, heading, first=False) == page


def test_heading_anchor_matches_github_slugger() -> None:
    assert heading_anchor("Apa Itu Backend Developer?") == "apa-itu-backend-developer"
    assert heading_anchor("⚙️ Load Balancing & Failover") == "-load-balancing--failover"
