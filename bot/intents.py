"""Kinds of questions (definition, steps, price ...): detecting them and recognizing their answers."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.normalize import Normalizer, fold
from bot.settings import IntentSettings

# Particles that may sit inside a cue phrase ("itu sebenarnya apa sih") without changing it.
_FILLERS = frozenset("sih dong deh tuh nih ya kah sebenarnya sebenernya memang emang kira".split())


class Intents:
    """The question kinds of the settings, compiled for matching."""

    def __init__(self, intents: Mapping[str, IntentSettings], normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        self.cues = {name: [p for p in map(self._cue, i.cues) if p] for name, i in intents.items()}
        self.headings = {name: [h for h in map(self.phrase, i.headings) if h.strip()] for name, i in intents.items()}
        self.patterns = {name: [re.compile(e) for e in i.evidence] for name, i in intents.items()}
        self.required = frozenset(name for name, i in intents.items() if i.required)

    def phrase(self, text: str) -> str:
        """Text as space-delimited normalized words, for phrase matching."""
        return " " + " ".join(w for w in self.normalizer.words(text) if w not in _FILLERS) + " "

    def _cue(self, text: str) -> re.Pattern[str] | None:
        """A cue phrase as a pattern; its words may be one word apart ('harus aku lakukan')."""
        words = self.phrase(text).split()
        if not words:
            return None
        return re.compile(r"(?<!\S)" + r"(?: \S+)? ".join(map(re.escape, words)) + r"(?!\S)")

    def detect(self, question: str) -> tuple[str, ...]:
        """The kinds of question `question` is."""
        text = self.phrase(question).strip()
        return tuple(name for name, cues in self.cues.items() if any(c.search(text) for c in cues))

    def fit(self, intents: tuple[str, ...], heading_phrase: str, passages: list[str]) -> float:
        """How well a section answers the kinds of question, in [0, 1].

        Per kind: 1 when the heading (given by `phrase`) announces it, 0.5 when a passage
        looks like it, else 0; averaged over the kinds, so fitting all of them wins.
        """
        if not intents:
            return 1.0
        total = 0.0
        for name in intents:
            if any(h in heading_phrase for h in self.headings.get(name, ())):
                total += 1.0
            elif any(self.evidence((name,), text) for text in passages):
                total += 0.5
        return total / len(intents)

    def evidence(self, intents: tuple[str, ...], text: str) -> bool:
        """Whether a passage looks like an answer to one of `intents`."""
        folded = fold(text)
        return any(p.search(folded) for name in intents for p in self.patterns.get(name, ()))

    def satisfied(self, intents: tuple[str, ...], text: str) -> bool:
        """False when a kind that requires evidence (a price, an address) finds none in `text`."""
        folded = fold(text)
        return all(any(p.search(folded) for p in self.patterns[name]) for name in intents if name in self.required)
