"""Page and section addresses, following Gatsby's `createFilePath` as the real blog does."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from bot.settings import SiteSettings

# Characters a URL path may hold as they are (RFC 3986 pchar and '/'); all else is %-encoded.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_EMOJI_MARKS = "\ufe0e\ufe0f\u20e3"  # variation selectors and the keycap mark belong to emoji
# What a query or fragment may hold as it is; '%' stays so already-encoded text is not encoded twice.
_QUERY_SAFE = _PATH_SAFE + "?%"
URL_LIMIT = 2048  # longer section links fall back to the page address (Telegram refuses huge buttons)


def page_path(relative: PurePath) -> str:
    """The page path of a file: no extension, `index` maps to its folder."""
    parts = list(relative.parts)
    name = parts[-1]
    base, dot, ext = name.rpartition(".")
    parts[-1] = base if dot and ext.lower() in ("md", "markdown") else name
    if parts[-1] == "index":
        parts.pop()
    return "/".join(parts)


def article_url(site: SiteSettings, relative: PurePath, meta: Mapping[str, Any]) -> tuple[str, str | None]:
    """The article's page address, and why a frontmatter address was ignored (if it was).

    A `permalink`, `path` or `slug` overrides the file path, unless it leads off the blog's
    host or makes an address too long to send.
    """
    base = site.base_url.rstrip("/")
    derived = site.article_url.format(base_url=base, path=quote(page_path(relative), safe=_PATH_SAFE))
    for key in ("permalink", "path", "slug"):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if value.startswith(("http://", "https://")) or "://" in value.split("/", 1)[0]:
            url = encode_url(value)
            if urlsplit(url).netloc.lower() != urlsplit(base).netloc.lower():
                return (
                    derived,
                    f"{key} leads off {urlsplit(base).netloc or 'the blog'}: ignored, the file's address is used",
                )
        elif value.startswith("/"):
            url = base + encode_url(value)
        else:
            url = site.article_url.format(base_url=base, path=encode_url(value.strip("/")))
        if len(url) > URL_LIMIT:
            return derived, f"{key} makes an address over {URL_LIMIT} characters: ignored, the file's address is used"
        return url, None
    return derived, None


def encode_url(url: str) -> str:
    """`url` with every character a URL may not hold as it is (spaces, quotes, '<', non-ASCII) %-encoded."""
    # A '%' that does not start an escape is a literal percent sign.
    parts = urlsplit(re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", url))
    return urlunsplit(
        (
            parts.scheme,
            quote(parts.netloc, safe=_PATH_SAFE + "[]%"),
            quote(parts.path, safe=_PATH_SAFE + "%"),
            quote(parts.query, safe=_QUERY_SAFE),
            quote(parts.fragment, safe=_QUERY_SAFE),
        )
    )


def section_url(site: SiteSettings, url: str, heading: str, first: bool) -> str:
    """A link into the page at `heading`; the first (untitled) section links to the page itself."""
    if first or site.section_links == "none":
        return url
    if site.section_links == "anchor":
        link = f"{url}#{quote(heading_anchor(heading), safe='-_')}"
    else:
        text = _fragment_text(heading)
        link = f"{url}#:~:text={_fragment_quote(text)}" if text else url
    return link if len(link) <= URL_LIMIT else url


def heading_anchor(heading: str) -> str:
    """The id gatsby-remark-autolink-headers (github-slugger) gives a heading."""
    text = heading.strip().lower()
    text = "".join(
        ch for ch in text if ch in " -_" or (unicodedata.category(ch)[0] in "LNM" and ch not in _EMOJI_MARKS)
    )
    return text.replace(" ", "-")


def _fragment_text(heading: str) -> str:
    """Heading text as a page shows it, without leading or trailing emoji and symbols."""
    return re.sub(r"^[^\w]+|[^\w?!.)\"”’]+$", "", heading.strip())


def _fragment_quote(text: str) -> str:
    # In a text fragment '-', ',' and '&' are syntax, so they are encoded too.
    return quote(text, safe="").replace("-", "%2D")
