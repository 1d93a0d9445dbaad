"""Translations outside a request: e-mails, the CLI and background work."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from .config import LANGUAGES

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    if language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [language])


def translate(message: str, language: str, **params) -> str:
    text = translations(language).gettext(message)
    return text % params if params else text


def choose_language(value: str | None, default: str = "sv") -> str:
    """A supported language code, whatever was asked for."""
    value = (value or "").lower()[:2]
    return value if value in LANGUAGES else default
