"""Repair question words the articles do not know: informal verb forms, split compounds, typos."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator

_VOWELS = "aiueo"
# Informal verbs drop the prefix "me-" before these sounds: milih (memilih), nulis (menulis), ngerti.
_NASAL_START = "lmnrwy"
STANDARD_RATIO = 10  # how much more often the articles must write the standard form


class WordRepair:
    """Maps an unknown word to a known one, trying general rules of informal Indonesian first."""

    def __init__(
        self,
        known: Counter[str],
        stem: Callable[[str], str],
        stems: set[str] | dict[str, int],
        canonical: Callable[[str], str] = lambda w: w,
        spellings: Iterable[str] = (),
    ) -> None:
        self.known = known
        self.stem = stem
        self.canonical = canonical
        self.stems = stems
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        # Typos are matched against the articles' words and against the other spellings the
        # settings name for them ("sertifikasi" for "sertifikat"), which rank last on a tie.
        extra = [w for w in spellings if w not in known and self.is_known(w)]
        for word in [*known, *extra]:
            if len(word) >= 4 and word.isalpha():
                self._by_shape.setdefault((word[0], len(word)), []).append(word)

    def is_known(self, word: str) -> bool:
        """Whether the articles hold this word (in any inflected form, or as its synonym)."""
        return self.stem(word) in self.stems or all(self.stem(w) in self.stems for w in self.canonical(word).split())

    def repair(self, word: str) -> str | None:
        """A known word meant by `word`, or None."""
        if self.is_known(word):
            return word
        for candidate in informal_forms(word):
            if self.is_known(candidate):
                return candidate
        return self._typo(word) or self._shortened(word)

    def _shortened(self, word: str) -> str | None:
        """The commonest known name this word is the start of, a few letters short ("postgres" for
        "postgresql"); only for longer words, since short ones start too many."""
        if len(word) < SHORTENED_MIN or not word.isalpha():
            return None
        best: tuple[int, str] | None = None
        for size in range(len(word) + 1, len(word) + SHORTENED_MAX + 1):
            for other in self._by_shape.get((word[0], size), ()):
                if other.startswith(word) and (best is None or self.known[other] > best[0]):
                    best = (self.known[other], other)
        return best[1] if best else None

    def standard(self, word: str) -> str:
        """The standard verb a known informal one stands for, when the articles mostly write that:
        "milih" (3 times) for "memilih" (90 times), whose stem "pilih" the rest of the blog shares."""
        if not word or word[0] not in _NASAL_START:
            return word
        full = "me" + word
        if self.known[full] >= STANDARD_RATIO * max(1, self.known[word]) and self.stem(full) != self.stem(word):
            return full
        return word

    def join(self, first: str, second: str) -> str | None:
        """Two words the articles write as one ('corel draw' -> 'coreldraw')."""
        joined = first + second
        return joined if joined in self.known else None

    def _typo(self, word: str) -> str | None:
        """The commonest known word one edit away; short words are too ambiguous to guess.

        A dropped or doubled letter is a typo from six letters on; a changed letter only from
        seven, since shorter words one letter apart are often different words (hujan, human).
        """
        if len(word) < 6 or not word.isalpha():
            return None
        best: tuple[int, str] | None = None
        for size in (len(word) - 1, len(word), len(word) + 1):
            if size == len(word) and len(word) < 7:
                continue
            for other in self._by_shape.get((word[0], size), ()):
                if _one_edit(word, other):
                    count = self.known[other]
                    if best is None or count > best[0]:
                        best = (count, other)
        return best[1] if best else None


SHORTENED_MIN = 6  # letters a shortened name has at least
SHORTENED_MAX = 3  # letters it may lack ("postgres" -> "postgresql")


def informal_forms(word: str) -> Iterator[str]:
    """Standard forms an informal word may stand for: ngilangin -> hilangkan, cepet -> cepat."""
    seen: set[str] = {word}
    for base in _without_prefix(word):
        for form in _with_suffix(base):
            for variant in (form, *_vowel_variants(form)):
                if variant not in seen and len(variant) >= 3:
                    seen.add(variant)
                    yield variant


def _without_prefix(word: str) -> Iterator[str]:
    yield word
    if word[0] in _VOWELS and len(word) > 3:
        yield "h" + word  # a dropped initial h: ancur -> hancur, abis -> habis
    if word.startswith("se") and len(word) > 6:
        yield word[2:]  # sepenting -> penting ("as important as")
    if word.startswith("nge") and len(word) > 5:
        yield word[3:]  # ngecek -> cek
    if word.startswith("ng") and len(word) > 4 and word[2] in _VOWELS:
        rest = word[2:]
        yield "k" + rest  # ngirim -> kirim
        yield "h" + rest  # ngitung -> hitung
        yield rest  # ngajar -> ajar
        yield "meng" + rest
    if word.startswith("ny") and len(word) > 4 and word[2] in _VOWELS:
        yield "s" + word[2:]  # nyimpen -> simpen
        yield "c" + word[2:]  # nyari -> cari, nyiptain -> ciptain
    if word.startswith("m") and len(word) > 4 and word[1] in _VOWELS:
        yield "p" + word[1:]  # makai -> pakai
    if word.startswith("n") and not word.startswith(("ng", "ny")) and len(word) > 4 and word[1] in _VOWELS:
        yield "t" + word[1:]  # nanya -> tanya


def _with_suffix(word: str) -> Iterator[str]:
    yield word
    if word.endswith(("ku", "mu")) and len(word) > 5:
        yield word[:-2]  # nomorku -> nomor, bukumu -> buku
    if word.endswith("in") and len(word) > 5:
        stem = word[:-2]
        yield stem + "kan"  # lakuin -> lakukan
        yield stem + "i"  # datengin -> datengi
        yield stem
    if word.endswith("nya") and len(word) > 6:
        yield word[:-3]


def _vowel_variants(word: str) -> Iterator[str]:
    """Jakarta 'e' for standard 'a' in the last syllable: cepet -> cepat, dapet -> dapat."""
    i = word.rfind("e")
    if i > 0 and i >= len(word) - 3:
        yield word[:i] + "a" + word[i + 1 :]


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
