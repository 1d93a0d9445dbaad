"""The catalogs: every source string has a Swedish and a Finnish translation, and none is stale."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("sv", "fi")


@pytest.fixture(scope="module")
def extracted() -> set[tuple[str, str | None]]:
    """The msgids (with their contexts) of the source code as it is now, extracted as `make
    translations-update` does."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
    ids = set()
    for folder in ("kb", "webapp"):
        for _file, _line, message, _comments, context in extract_from_dir(
                ROOT / folder, method_map, options_map, keywords=keywords):
            ids.add((message if isinstance(message, str) else message[0], context))
    return ids


def catalog(language: str):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_source_string_is_translated(extracted, language):
    cat = catalog(language)
    missing = []
    for msgid, context in sorted(extracted, key=lambda m: (m[0], m[1] or "")):
        message = cat.get(msgid, context)
        strings = message.string if message is not None else None
        if isinstance(strings, tuple):
            ok = all(strings)
        else:
            ok = bool(strings)
        if message is None or not ok or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"untranslated in {language}: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_obsolete_or_placeholder_mismatch(extracted, language):
    cat = catalog(language)
    for message in cat:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        assert (msgid, message.context) in extracted, f"{language}: stale message {msgid!r} (run make translations-update)"
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else message.string[0]
        for placeholder in ("%(", "%s", "%d"):
            assert source.count(placeholder) == target.count(placeholder), (language, msgid)


def test_catalogs_compile():
    for language in LANGUAGES:
        assert (ROOT / "translations" / language / "LC_MESSAGES" / "messages.mo").exists()
