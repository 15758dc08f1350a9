"""Page and section addresses, following Gatsby's `createFilePath` as the real blog does."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from bot.settings import SiteSettings

# Characters a URL path may hold as they are (RFC 3986 pchar and '/'); all else is %-encoded.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_EMOJI_MARKS = "\ufe0e\ufe0f\u20e3"  # variation selectors and the keycap mark belong to emoji


def page_path(relative: PurePath) -> str:
    """The page path of a file: no extension, `index` maps to its folder."""
    parts = list(relative.parts)
    name = parts[-1]
    base, dot, ext = name.rpartition(".")
    parts[-1] = base if dot and ext.lower() in ("md", "markdown") else name
    if parts[-1] == "index":
        parts.pop()
    return "/".join(parts)


def article_url(site: SiteSettings, relative: PurePath, meta: Mapping[str, Any]) -> str:
    """The article's page address; a frontmatter `permalink`, `path` or `slug` overrides the file path."""
    base = site.base_url.rstrip("/")
    for key in ("permalink", "path", "slug"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            value = value.strip()
            if value.startswith(("http://", "https://")):
                return value
            if value.startswith("/"):
                return base + quote(value, safe=_PATH_SAFE + "%")
            return site.article_url.format(base_url=base, path=quote(value.strip("/"), safe=_PATH_SAFE + "%"))
    return site.article_url.format(base_url=base, path=quote(page_path(relative), safe=_PATH_SAFE))


def section_url(site: SiteSettings, url: str, heading: str, first: bool) -> str:
    """A link into the page at `heading`; the first (untitled) section links to the page itself."""
    if first or site.section_links == "none":
        return url
    if site.section_links == "anchor":
        return f"{url}#{heading_anchor(heading)}"
    text = _fragment_text(heading)
    return f"{url}#:~:text={_fragment_quote(text)}" if text else url


def heading_anchor(heading: str) -> str:
    """The id gatsby-remark-autolink-headers (github-slugger) gives a heading."""
    text = heading.strip().lower()
    text = "".join(ch for ch in text if ch in " -_" or (unicodedata.category(ch)[0] in "LNM" and ch not in _EMOJI_MARKS))
    return text.replace(" ", "-")


def _fragment_text(heading: str) -> str:
    """Heading text as a page shows it, without leading or trailing emoji and symbols."""
    return re.sub(r"^[^\w]+|[^\w?!.)\"”’]+$", "", heading.strip())


def _fragment_quote(text: str) -> str:
    # In a text fragment '-', ',' and '&' are syntax, so they are encoded too.
    return quote(text, safe="").replace("-", "%2D")
