"""The catalogs: every source string has a Swedish and a Finnish translation, and none is stale."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("sv", "fi")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """The msgids of the source code as it is now."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-q", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "N_", "-o", str(pot), str(ROOT / "kb"), str(ROOT / "webapp")],
                   check=True, cwd=ROOT)
    with pot.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


def catalog(language: str):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_source_string_is_translated(extracted, language):
    cat = catalog(language)
    missing = []
    for msgid in sorted(extracted):
        message = cat.get(msgid)
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
        assert msgid in extracted, f"{language}: stale message {msgid!r} (run make translations-update)"
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else message.string[0]
        for placeholder in ("%(", "%s", "%d"):
            assert source.count(placeholder) == target.count(placeholder), (language, msgid)


def test_catalogs_compile():
    for language in LANGUAGES:
        assert (ROOT / "translations" / language / "LC_MESSAGES" / "messages.mo").exists()
