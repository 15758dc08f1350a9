"""Kinds of questions (definition, steps, price ...): detecting them and recognizing their answers.

Kinds are bits of an integer mask, so that a section's fit can be precomputed once when the
articles are indexed and checked with a few bit operations per question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np

from bot.normalize import Normalizer, fold
from bot.settings import IntentSettings

# Particles that may sit inside a cue phrase ("itu sebenarnya apa sih") without changing it.
_FILLERS = frozenset("sih dong deh tuh nih ya kah sebenarnya sebenernya memang emang kira".split())


class Intents:
    """The question kinds of the settings, compiled for matching."""

    def __init__(self, intents: Mapping[str, IntentSettings], normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        # A word that may sit between a cue's words: one that carries no topic ("harus aku
        # lakukan"), so "buat bikin apa aja" does not read as "buat apa".
        self._gap = normalizer.stopwords
        self.names = tuple(intents)
        self._bits = {name: 1 << i for i, name in enumerate(self.names)}
        self._cues = [(self._bits[n], [p for p in map(self._cue, i.cues) if p]) for n, i in intents.items()]
        self._cue_words = [
            (self._bits[n], frozenset(self.phrase(" ".join(i.cues)).split())) for n, i in intents.items()
        ]
        # One pattern per kind, its cues as alternatives: a question is read once per kind.
        self._any_cue = [
            (bit, re.compile("|".join(f"(?:{c.pattern})" for c in cues))) for bit, cues in self._cues if cues
        ]
        self._headings = [
            (self._bits[n], [h for h in map(self.phrase, i.headings) if h.strip()]) for n, i in intents.items()
        ]
        self._avoid = [(self._bits[n], [h for h in map(self.phrase, i.avoid) if h.strip()]) for n, i in intents.items()]
        self._titles = [
            (self._bits[n], [h for h in map(self.phrase, i.titles) if h.strip()]) for n, i in intents.items()
        ]
        self.titled = self.mask(n for n, i in intents.items() if i.titles)
        self.contact = self.mask(n for n, i in intents.items() if i.contact)
        self._weights = [(self._bits[n], i.weight) for n, i in intents.items()]
        # One pattern per kind, its expressions as alternatives: a passage is read once per kind.
        self._patterns = [
            (self._bits[n], re.compile("|".join(map(_scoped, i.evidence)))) for n, i in intents.items() if i.evidence
        ]
        self.required = self.mask(n for n, i in intents.items() if i.required)
        self._replaces = [(self._bits[n], self.mask(i.replaces)) for n, i in intents.items() if i.replaces]

    def phrase(self, text: str) -> str:
        """Text as space-delimited normalized words, for phrase matching ("gajinya" as "gaji")."""
        words = (self._bare(w) for w in self.normalizer.words(text) if w not in _FILLERS)
        return " " + " ".join(words) + " "

    def _bare(self, word: str) -> str:
        """A word without its pointing suffix, in its standard form ("minusnya" -> "kekurangan")."""
        bare = self.normalizer.bare(word)
        return self.normalizer.canonical(bare) if bare != word else word

    def _cue(self, text: str) -> re.Pattern[str] | None:
        """A cue phrase as a pattern; its words may be one stopword apart ('harus aku lakukan')."""
        words = self.phrase(text).split()
        if not words:
            return None
        return re.compile(r"(?<!\S)" + r"(?: (\S+))? ".join(map(re.escape, words)) + r"(?!\S)")

    def mask(self, names: Iterable[str]) -> int:
        """The bits of the named kinds."""
        mask = 0
        for name in names:
            mask |= self._bits[name]
        return mask

    def detect(self, question: str) -> tuple[str, ...]:
        """The kinds of question `question` is.

        A cue found only inside another kind's longer cue does not count: "siapa" asks for an
        audience, but not in "dibuat siapa", which asks for a creator.
        """
        text = self.phrase(question).strip()
        spans: dict[int, list[tuple[int, int]]] = {}
        gap = self._gap
        for bit, pattern in self._any_cue:
            if pattern.search(text) is None:
                continue
            cues = next(c for b, c in self._cues if b == bit)
            spans[bit] = [
                m.span() for cue in cues for m in cue.finditer(text) if all(g is None or g in gap for g in m.groups())
            ]
        found = 0
        for bit, own in spans.items():
            others = [span for b, found_spans in spans.items() if b != bit for span in found_spans]
            if any(not any(o[0] <= s and e <= o[1] and (o[1] - o[0]) > (e - s) for o in others) for s, e in own):
                found |= bit
        for bit, replaced in self._replaces:
            if found & bit:
                found &= ~replaced | bit
        return tuple(n for n in self.names if found & self._bits[n])

    def heading_mask(self, heading_phrase: str) -> int:
        """The kinds a heading (given by `phrase`) announces an answer to."""
        mask = 0
        for bit, headings in self._headings:
            if any(h in heading_phrase for h in headings):
                mask |= bit
        return mask

    def cue_words(self, kinds: int) -> frozenset[str]:
        """The words of the cue phrases of some kinds ("ada", "pelatihan" for a course question)."""
        return frozenset(w for bit, words in self._cue_words if kinds & bit for w in words)

    def title_mask(self, title: str) -> int:
        """The kinds an article's title announces an answer to ("Pelatihan ..." for a course)."""
        phrase = self.phrase(title)
        mask = 0
        for bit, titles in self._titles:
            if any(t in phrase for t in titles):
                mask |= bit
        return mask

    def avoid_mask(self, heading_phrase: str) -> int:
        """The kinds a heading announces the opposite of (advantages, for a drawbacks question)."""
        mask = 0
        for bit, headings in self._avoid:
            if any(h in heading_phrase for h in headings):
                mask |= bit
        return mask

    def evidence_mask(self, text: str) -> int:
        """The kinds a passage looks like an answer to."""
        folded = fold(text)
        mask = 0
        for bit, pattern in self._patterns:
            if pattern.search(folded):
                mask |= bit
        return mask

    def fit(
        self, question: int, heading: np.ndarray, evidence: np.ndarray, avoid: np.ndarray | None = None
    ) -> np.ndarray:
        """How well sections answer a question's kinds, in [0, 1], from their masks.

        Per kind: 1 when the heading announces it, 0.5 when a passage looks like it, else 0,
        and -1 when the heading announces its opposite; averaged over the question's kinds, so
        fitting all of them wins.
        """
        heading, evidence = np.asarray(heading, dtype=np.int64), np.asarray(evidence, dtype=np.int64)
        kinds = question.bit_count()
        if not kinds:
            return np.ones(heading.shape)
        announced = np.bitwise_count(heading & question)
        shown = np.bitwise_count(evidence & question & ~heading)
        opposed = np.bitwise_count(np.asarray(avoid, dtype=np.int64) & question & ~heading) if avoid is not None else 0
        fit: np.ndarray = np.clip((announced + 0.5 * shown - opposed) / kinds, -1.0, 1.0)
        return fit

    def satisfied(self, question: int, evidence: int) -> bool:
        """False when a kind that requires evidence (a price, an address) has none in `evidence`."""
        return not self.missing(question, evidence)

    def missing(self, question: int, evidence: int) -> int:
        """The kinds that require evidence (a price, an address) and have none in `evidence`."""
        needed = question & self.required
        return needed & ~evidence

    def evidence_gain(self, question: int, passages: np.ndarray) -> np.ndarray:
        """Per passage, the largest evidence weight among the question's kinds it shows."""
        gain = np.zeros(len(passages))
        for bit, weight in self._weights:
            if question & bit:
                gain = np.maximum(gain, weight * ((passages & bit) != 0))
        return gain

    def kinds_of(self, mask: int) -> tuple[str, ...]:
        """The names of the kinds in a mask."""
        return tuple(n for n in self.names if mask & self._bits[n])


_LEADING_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def _scoped(expression: str) -> str:
    """An expression as a group that keeps its own flags, to join with others ("(?m)^x" -> "(?m:^x)")."""
    flags = _LEADING_FLAGS.match(expression)
    if flags:
        return f"(?{flags.group(1)}:{expression[flags.end() :]})"
    return f"(?:{expression})"
