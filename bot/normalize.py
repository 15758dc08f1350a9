"""Normalize informal Indonesian text into matching terms, for questions and articles alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import Stemmer

from bot.settings import LanguageSettings

# Letters and digits, keeping a reduplication marker such as "langkah2" or "kata-kata" whole.
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
T = TypeVar("T")
BARE_LETTERS = 4
# A reduplicated word written with "2", maybe with a short suffix: "langkah2", "step2nya".
_REDUPLICATED = re.compile(r"([^\W\d_]{2,})2([^\W\d_]{0,3})")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))


class Normalizer:
    """Turns text into words (folded, slang expanded) and terms (stopwords dropped, stemmed)."""

    def __init__(self, language: LanguageSettings) -> None:
        self._slang = {k.casefold(): tuple(v.casefold().split()) for k, v in language.slang.items()}
        self._synonym = {w.casefold(): group[0].casefold() for group in language.synonyms for w in group}
        self._stop = frozenset(w.casefold() for w in language.stopwords)
        self._suffixes = tuple(s.casefold() for s in language.followup.suffixes)
        self._stemmer_name = language.stemmer
        self._caches()

    def _caches(self) -> None:
        stemmer = Stemmer.Stemmer("indonesian") if self._stemmer_name == "indonesian" else None
        stem_word: Callable[[str], str] = stemmer.stemWord if stemmer else identity

        def stem(word: str) -> str:
            term = stem_word(word)
            if term in self._stop and word not in self._stop:
                # Stemming made a word that carries no topic ("media" -> "dia", "kelebihan" ->
                # "lebih"): the word means more than that, so it keeps its own form.
                bare = self.bare(word)
                term = stem_word(bare)
                return bare if term in self._stop else term
            return term

        def quiet(word: str) -> bool:
            # A stopword, also with a suffix ("orangnya", "duluan"); not a word made from one
            # with a prefix, which means more ("kelebihan").
            if word in self._stop:
                return True
            term = stem_word(word)
            return self.bare(word) in self._stop or (term in self._stop and word.startswith(term))

        self._stem = lru_cache(maxsize=500_000)(stem)
        self._quiet = lru_cache(maxsize=500_000)(quiet)
        self._token = lru_cache(maxsize=500_000)(self._token_words)

    def __getstate__(self) -> dict[str, object]:
        # The stemmer and the caches are rebuilt on load rather than stored.
        return {k: v for k, v in self.__dict__.items() if k not in ("_stem", "_quiet", "_token")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._caches()

    def words(self, text: str) -> list[str]:
        """Folded words with slang expanded and synonyms unified, stopwords included."""
        token = self._token
        return [w for raw in _WORD.findall(fold(text)) for w in token(raw)]

    def _token_words(self, raw: str) -> tuple[str, ...]:
        out: list[str] = []
        for word in _split_word(raw):
            for w in self._slang.get(word, (word,)):
                out.append(self._synonym.get(w, w))
        return tuple(out)

    def canonical(self, word: str) -> str:
        """The standard form of one folded word (its slang replacement, then its synonym group)."""
        replaced = self._slang.get(word, (word,))
        return " ".join(self._synonym.get(w, w) for w in replaced)

    def spellings(self) -> set[str]:
        """Every standard spelling the settings name (synonyms and the words slang stands for)."""
        return set(self._synonym) | {w for words in self._slang.values() for w in words}

    @property
    def stopwords(self) -> frozenset[str]:
        """The folded words that carry no topic."""
        return self._stop

    def content_words(self, text: str) -> list[str]:
        """Words that carry topic: `words` without stopwords, with a suffix or not ("orangnya")."""
        quiet = self._quiet
        return [w for w in self.words(text) if not quiet(w)]

    def terms(self, text: str) -> list[str]:
        """Stemmed content words: what the retriever indexes and matches."""
        return [self._stem(w) for w in self.content_words(text)]

    def bare(self, word: str, letters: int = BARE_LETTERS) -> str:
        """One folded word without a pointing suffix ("gajinya" -> "gaji"), when a word of
        at least `letters` letters is left ("punya" stays)."""
        for suffix in self._suffixes:
            if word.endswith(suffix) and len(word) - len(suffix) >= letters:
                return word[: -len(suffix)]
        return word

    def stem(self, word: str) -> str:
        """The matching term of one normalized word."""
        return self._stem(word)


def fold(text: str) -> str:
    """Unicode-fold and case-fold text, dropping invisible characters and accents."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    if len(decomposed) == len(text):
        return text  # nothing had an accent to strip
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _split_word(raw: str) -> list[str]:
    """Split hyphenated words; reduplication ('kata-kata', 'langkah2') counts once."""
    if "-" not in raw and "2" not in raw:
        return [raw]
    parts = raw.split("-")
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    words = []
    for part in parts:
        m = _REDUPLICATED.fullmatch(part)
        words.append(m.group(1) + m.group(2) if m else part)
    return [w for w in words if w]


def identity(value: T) -> T:
    """`value` itself: the stemmer when there is none, the analyzer of pre-split terms."""
    return value
