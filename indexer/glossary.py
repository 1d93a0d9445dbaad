"""English support words in a Swedish and Finnish portal: "password reset" is also searched as
"lösenord återställa" and "salasana nollata" (glossary.json).

Only a word that is none of the index's words in a language is looked up, and what it stands for is
searched at GLOSSARY_WEIGHT: a Swedish or Finnish query is ranked as it was, and "import" in a Swedish
index is the Swedish word. English is matched loosely, by its plural and verb endings.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

GLOSSARY = Path(__file__).with_name("glossary.json")
GLOSSARY_WEIGHT = 0.6  # a translated word counts a little over half as much as the word typed
_ENDINGS = ("ing", "es", "ed", "s", "d", "e")  # crashes -> crash, arrives -> arrive, failed -> fail


@cache
def _entries() -> dict[str, dict[str, tuple[str, ...]]]:
    data = json.loads(GLOSSARY.read_text(encoding="utf-8"))
    return {word: {language: tuple(terms) for language, terms in entry.items()}
            for word, entry in data.items() if not word.startswith("_")}


def translations(word: str, language: str) -> tuple[str, ...]:
    """What an English word stands for in a language (words or short phrases), or () if not listed."""
    entries = _entries()
    word = word.lower().strip(".,:;!?()\"'")
    candidates = [word] + [word[:-len(end)] for end in _ENDINGS if word.endswith(end) and len(word) > len(end) + 2]
    candidates += [c + "e" for c in candidates[1:]]  # arriv(es) -> arrive
    for candidate in candidates:
        if candidate in entries:
            return entries[candidate].get(language, ())
    return ()
