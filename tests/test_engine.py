"""The engine's fence (indexer/engine/): indexes written before it moved still open, Whoosh's version is
checked, its internals are touched in one module only, and snippets are really highlighted."""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from indexer import engine
from indexer.engine import _whoosh
from indexer.schema import INDEX_NAME, build_schema
from indexer.searching import WEIGHTING, SearchRequest, run

from .sources import parse

ROOT = Path(__file__).resolve().parent.parent
# Written by kb before the engine moved (tests/data/README.md): its table of contents names indexer.codec.KbCodec.
OLD_INDEX = ROOT / "tests" / "data" / "index-indexer-codec"
# What kb found in that index when it was written: (query, [(number, score, highlighted problem)]).
OLD_ANSWERS = [
    ("lönebesked skriva ut", [(1, 4.95, '<mark class="match term0">Lönebeskedet</mark> <mark class="match term1">'
                                        'skrivs</mark> inte <mark class="match term2">ut</mark> på skrivaren')]),
    ("verokortti palkka", [(2, 1.7047, 'Työntekijän <mark class="match term0">verokortti</mark> ei näy '
                                       '<mark class="match term1">palkkalaskelmassa</mark>')]),
    ("faktura moms", [(3, 2.7402, '<mark class="match term0">Momsen</mark> syns inte på '
                                  '<mark class="match term1">fakturan</mark>')]),
    ('"skriva ut"', [(1, 2.2159, 'Lönebeskedet <mark class="match term0">skrivs</mark> inte '
                                 '<mark class="match term1">ut</mark> på skrivaren')]),
    ("skrivare", [(1, 1.9346, 'Lönebeskedet skrivs inte ut på <mark class="match term0">skrivaren</mark>')]),
]
# Every module of kb outside the engine's one private-names module.
SOURCES = [p for folder in ("indexer", "kb", "webapp", "benchmarks") for p in (ROOT / folder).rglob("*.py")
           if p != ROOT / "indexer" / "engine" / "_whoosh.py"]
INTERNAL_MODULES = ("whoosh.codec", "whoosh.filedb", "whoosh.writing", "whoosh.util", "whoosh.system",
                    "whoosh.matching", "whoosh.columns")
TERM_STATISTICS = {"_weight", "_df", "_minlength", "_maxlength", "_maxweight", "_minid", "_maxid", "_blockcount"}


def answers(folder: Path) -> list:
    ix = engine.open_index(str(folder), INDEX_NAME)
    with ix.searcher(weighting=WEIGHTING) as searcher:
        return [(text, [(h.number, h.score, h.snippet_problem) for h in run(searcher, SearchRequest(text=text)).hits])
                for text, _ in OLD_ANSWERS]


def test_an_index_naming_the_old_codec_path_opens_and_answers_as_before(tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(OLD_INDEX, folder)
    [toc] = folder.glob("*.toc")
    assert b"indexer.codec" in toc.read_bytes()  # a pickle names a class by its module's path
    assert answers(folder) == OLD_ANSWERS


def test_a_new_index_names_the_codec_by_its_new_path(tmp_path):
    ix = engine.create_index(str(tmp_path), build_schema(), INDEX_NAME)
    engine.commit(ix, engine.write_segments(ix, [dict(number="1", language="sv", resolved=datetime(2024, 1, 1),
                                                      title_sv="Fakturan saknar moms")]))
    writer = ix.writer(**engine.WRITER_OPTIONS)
    writer.add_document(number="2", language="fi", title_fi="Verokortti puuttuu")
    writer.commit()
    [toc] = tmp_path.glob("*.toc")
    pickled = toc.read_bytes()
    assert b"indexer.engine.codec" in pickled and b"indexer.codec" not in pickled
    assert engine.open_index(str(tmp_path), INDEX_NAME).doc_count() == 2


def test_another_whoosh_version_is_refused_with_one_clear_line():
    script = "import whoosh; whoosh.__version__ = (2, 7, 6)\n" \
             "try:\n    import indexer.engine\nexcept ImportError as exc:\n    print(type(exc).__name__, exc)\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("UnsupportedWhoosh kb's search engine needs whoosh-reloaded 2.7.5, but 2.7.6 is installed: "
                           "pip install 'whoosh-reloaded==2.7.5'\n")
    assert _whoosh.WHOOSH_VERSION == (2, 7, 5)


def test_setup_pins_the_whoosh_the_engine_is_written_for():
    pinned = [line.strip() for line in (ROOT / "setup.cfg").read_text().splitlines() if "whoosh-reloaded" in line]
    assert pinned == ["whoosh-reloaded==" + ".".join(map(str, _whoosh.WHOOSH_VERSION))]


def _private_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            if node.module.startswith(INTERNAL_MODULES) or any(a.name.startswith("_") for a in node.names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import ...")
        elif isinstance(node, ast.Import) and any(a.name.startswith(INTERNAL_MODULES) for a in node.names):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} import ...")
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr in TERM_STATISTICS:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} writes .{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                and isinstance(node.value, ast.Attribute) and node.value.attr in ("Highlighter", "whoosh"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}")
    return found


def test_only_the_engines_whoosh_module_touches_whooshs_internals():
    assert len(SOURCES) > 20
    assert [use for path in SOURCES for use in _private_uses(path)] == []
    assert _private_uses(ROOT / "indexer" / "engine" / "_whoosh.py")  # the check does find them there


@pytest.mark.parametrize("text, stem", [("faktura", "faktur"), ("palkka", "palk")])
def test_search_snippets_are_highlighted(app, text, stem):
    """Each form of the word is marked once (a word's lemma, parts and form are merged into one mark)."""
    ix = app.extensions["kb_index"]
    ix.rebuild(app.extensions["kb_database"])
    hits = ix.search(SearchRequest(text=text, page_size=20)).hits
    marked = [re.findall(r'<mark class="match term\d+">([^<]*)</mark>', h.snippet_problem + h.snippet_solution)
              for h in hits]
    assert len(hits) >= 5 and sum(map(bool, marked)) >= len(hits) // 2
    assert all(stem in word.lower() for words in marked for word in words)
