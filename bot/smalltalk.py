"""Small talk: greetings, thanks, goodbyes and the like, told apart from questions."""

from __future__ import annotations

from dataclasses import dataclass

from bot.normalize import Normalizer
from bot.settings import LanguageSettings

# The kind of small talk that announces a question ("mau nanya"): what follows it is the question.
ASKING = "asking"


@dataclass(frozen=True)
class SmallTalk:
    """What a message holds of small talk: its kind, and the rest of the message."""

    kind: str | None  # None: no small talk in the message
    rest: str  # the message without its small-talk phrases (a question after "makasih, ...")
    question: bool  # whether the rest asks something

    @property
    def only(self) -> bool:
        """Whether the message is small talk and nothing else (no question in it)."""
        return self.kind is not None and not self.question


class SmallTalkDetector:
    """Finds small-talk phrases (from `language.smalltalk`) in a message."""

    def __init__(self, language: LanguageSettings, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        self._phrases = sorted(
            ((tuple(normalizer.words(p)), kind) for kind, phrases in language.smalltalk.items() for p in phrases),
            key=lambda item: -len(item[0]),
        )
        self._phrases = [(words, kind) for words, kind in self._phrases if words]
        self._order = {kind: i for i, kind in enumerate(language.smalltalk)}
        self._ignore = frozenset(normalizer.words(" ".join((*language.chat_fillers, *language.stopwords))))
        self._asking = frozenset(normalizer.words(" ".join(language.question_words)))

    def read(self, text: str) -> SmallTalk:
        """Split `text` into small talk and the rest."""
        words = self.normalizer.words(text)
        kinds: set[str] = set()
        rest: list[str] = []
        i = 0
        while i < len(words):
            match = next(((w, k) for w, k in self._phrases if tuple(words[i : i + len(w)]) == w), None)
            if match is None:
                rest.append(words[i])
                i += 1
                continue
            kinds.add(match[1])
            i += len(match[0])
        kind = min(kinds, key=self._order.__getitem__) if kinds else None
        content = [w for w in rest if w not in self._ignore]
        asking = any(w in self._asking for w in rest)
        if kind is None and words and not content and not asking and ASKING in self._order:
            kind = ASKING  # only fillers ("min", "kak"): someone about to ask
        asks = "?" in text or asking
        # Small talk with content words and a question in them is a question ("makasih, terus
        # gajinya brp?"); without a question, a few words of content stay small talk
        # ("keren ceritanya, makasih"), unless the small talk announced a question.
        question = bool(content) and (asks or kind is None or ASKING in kinds)
        # The question without the small talk around it, as normalized words (normalizing
        # them again changes nothing), so "mantap" or "makasih" do not dilute its match.
        return SmallTalk(kind, " ".join(rest) if kind else text, question)
