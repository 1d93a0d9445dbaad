"""The search engines compared, each indexing the same documents and answering the same queries.

A document is {"id", "language", "title", "problem", "solution", "product"}. `search` returns document
ids, best first, and builds snippets where the engine can (so latency includes them).
"""
from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from whoosh import fields, index, qparser
from whoosh.analysis import LanguageAnalyzer

MODES = {"free": ("title", "problem", "solution"), "problem": ("problem",), "solution": ("solution",)}
WORDS = re.compile(r"\w+", re.UNICODE)


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


class KbEngine:
    """This project: kb import, ExperienceIndex.rebuild (kb reindex), ExperienceIndex.search."""

    name = "kb"

    def __init__(self, procs: int = 2):
        self.procs = procs
        self.folder = Path(tempfile.mkdtemp(prefix="kb-bench-"))

    def build(self, docs: list[dict]) -> float:
        from kb import migrate
        from kb.config import data_path
        from kb.db import Database, writing
        from kb.demo import load_catalogue, read_dataset
        from kb.importer import import_tickets
        from kb.models import Ticket
        from sqlalchemy import select

        from indexer.store import ExperienceIndex

        url = f"sqlite:///{self.folder / 'kb.sqlite3'}"
        migrate.upgrade(url)
        self.database = Database(url)
        lines = (_import_line(d) for d in docs)
        with self.database.session() as session:
            with writing(session):
                load_catalogue(session, read_dataset(data_path())["catalogue"])
            import_tickets(session, lines)
            self.ids = dict(session.execute(select(Ticket.number, Ticket.external_id)).all())
        self.index = ExperienceIndex(self.folder / "index")
        started = time.perf_counter()
        self.index.rebuild(self.database, procs=self.procs)
        return time.perf_counter() - started

    def search(self, query: str, mode: str = "free", k: int = 10, snippets: bool = True,
               any_word: bool = False) -> list[str]:
        """The product's own strategy: all words, then ranked any-word when that finds nothing."""
        from indexer.searching import SearchRequest

        result = self.index.search(SearchRequest(text=query, mode=mode, page_size=k, as_you_type=False,
                                                 snippets=snippets, facets=False))
        return [self.ids[h.number] for h in result.hits]

    def suggest(self, prefix: str) -> list[str]:
        return [self.ids[h.number] for h in self.index.suggest(prefix)]

    def size(self) -> int:
        return _folder_size(self.folder / "index")

    def close(self) -> None:
        self.index.close()
        self.database.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def _import_line(doc: dict) -> str:
    import json

    return json.dumps({"language": doc["language"], "subject": doc["title"] or doc["id"], "problem": doc["problem"],
                       "solution": doc["solution"], "product": doc.get("product"), "general": True,
                       "external_id": doc["id"]}, ensure_ascii=False)


class NaiveWhoosh:
    """What a first Whoosh version looks like: LanguageAnalyzer per language, one field per column, one writer."""

    name = "naive Whoosh"

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="naive-bench-"))

    def build(self, docs: list[dict]) -> float:
        schema = fields.Schema(id=fields.ID(stored=True, unique=True), **{
            f"{part}_{lang}": fields.TEXT(analyzer=LanguageAnalyzer(lang), stored=True)
            for part in MODES["free"] for lang in ("sv", "fi")})
        ix = index.create_in(str(self.folder), schema)
        started = time.perf_counter()
        writer = ix.writer()
        for d in docs:
            writer.add_document(id=d["id"], **{f"{part}_{d['language']}": d[part] or "" for part in MODES["free"]})
        writer.commit()
        self.ix = ix
        self.searcher = ix.searcher()
        return time.perf_counter() - started

    def search(self, query: str, mode: str = "free", k: int = 10, snippets: bool = True,
               any_word: bool = False) -> list[str]:
        names = [f"{part}_{lang}" for part in MODES[mode] for lang in ("sv", "fi")]
        group = qparser.OrGroup if any_word else qparser.AndGroup
        parser = qparser.MultifieldParser(names, self.ix.schema, group=group)
        hits = self.searcher.search(parser.parse(" ".join(WORDS.findall(query))), limit=k)
        if snippets:
            for hit in hits:
                stored = hit.fields()
                for name in names:
                    if stored.get(name):
                        hit.highlights(name)
        return [hit["id"] for hit in hits]

    def size(self) -> int:
        return _folder_size(self.folder)

    def close(self) -> None:
        self.searcher.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Fts5:
    """SQLite FTS5 with unicode61 (diacritics folded) and BM25: what a SQL-minded team would use."""

    name = "SQLite FTS5"

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="fts-bench-"))

    def build(self, docs: list[dict]) -> float:
        self.db = sqlite3.connect(self.folder / "fts.sqlite3")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, problem, solution, "
                        "tokenize='unicode61 remove_diacritics 2')")
        started = time.perf_counter()
        with self.db:
            self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)",
                                ((d["id"], d["title"], d["problem"], d["solution"]) for d in docs))
        return time.perf_counter() - started

    def search(self, query: str, mode: str = "free", k: int = 10, snippets: bool = True,
               any_word: bool = False) -> list[str]:
        words = ['"' + w.replace('"', "") + '"' for w in WORDS.findall(query)]
        if not words:
            return []
        match = "{" + " ".join(MODES[mode]) + "} : (" + (" OR " if any_word else " AND ").join(words) + ")"
        columns = ", snippet(docs, 2, '<b>', '</b>', '…', 16), snippet(docs, 3, '<b>', '</b>', '…', 16)" \
            if snippets else ""
        rows = self.db.execute(f"SELECT id{columns} FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, 2, 1, 1) "
                               "LIMIT ?", (match, k)).fetchall()
        return [r[0] for r in rows]

    def size(self) -> int:
        return _folder_size(self.folder)

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class LikeScan:
    """What most helpdesks do: LIKE '%word%' over the text columns; ranked by how many words matched."""

    name = "SQL LIKE"

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="like-bench-"))

    def build(self, docs: list[dict]) -> float:
        self.db = sqlite3.connect(self.folder / "like.sqlite3")
        self.db.execute("CREATE TABLE docs (id TEXT, title TEXT, problem TEXT, solution TEXT)")
        started = time.perf_counter()
        with self.db:
            self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)",
                                ((d["id"], d["title"], d["problem"], d["solution"]) for d in docs))
        return time.perf_counter() - started

    def search(self, query: str, mode: str = "free", k: int = 10, snippets: bool = True,
               any_word: bool = False) -> list[str]:
        words = WORDS.findall(query.lower())[:12]
        if not words:
            return []
        columns = MODES[mode]
        matched = [" OR ".join(f"{c} LIKE ?" for c in columns) for _ in words]
        params = [f"%{w}%" for w in words for _ in columns]
        score = " + ".join(f"(CASE WHEN {m} THEN 1 ELSE 0 END)" for m in matched)
        where = (" OR " if any_word else " AND ").join(f"({m})" for m in matched)
        rows = self.db.execute(f"SELECT id, substr(problem, 1, 200), substr(solution, 1, 200) FROM docs "
                               f"WHERE {where} ORDER BY {score} DESC LIMIT ?", [*params, *params, k]).fetchall()
        return [r[0] for r in rows]

    def size(self) -> int:
        return _folder_size(self.folder)

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def answer(engine, query: str, mode: str = "free", k: int = 10, snippets: bool = True) -> list[str]:
    """Every engine gets the same strategy: all words; when that finds nothing, any word, ranked."""
    found = engine.search(query, mode, k, snippets)
    if not found and not isinstance(engine, KbEngine):
        found = engine.search(query, mode, k, snippets, any_word=True)
    return found


def all_engines(procs: int = 2) -> list:
    return [KbEngine(procs), NaiveWhoosh(), Fts5(), LikeScan()]
