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
from array import array
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from whoosh import fields, index, qparser
from whoosh import query as wquery
from whoosh.analysis import LanguageAnalyzer

MODES = {"free": ("title", "problem", "solution"), "problem": ("problem",), "solution": ("solution",)}
WORDS = re.compile(r"\w+", re.UNICODE)
LANGUAGES = ("sv", "fi")


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


class KbEngine:
    """This project: kb import, ExperienceIndex.rebuild (kb reindex), ExperienceIndex.search."""

    name = "kb"

    def __init__(self, procs: int = 2):
        self.procs = procs
        self.folder = Path(tempfile.mkdtemp(prefix="kb-bench-"))

    def build(self, docs: list[dict], imported: Path | None = None) -> float:
        """kb import into SQLite (or a copy of `imported`, an earlier import's database), then the timed rebuild."""
        from sqlalchemy import select

        from indexer.experience import ExperienceIndex
        from kb.db import Database
        from kb.models import Ticket

        path = self.folder / "kb.sqlite3"
        # The import (~5 ms a ticket) is most of kb's time in a relevance run and does not depend on
        # indexer/: relevance.py keeps the database it made between runs.
        if imported is not None and imported.exists():
            shutil.copyfile(imported, path)
        else:
            _import(path, docs)
            if imported is not None:
                _backup(path, imported)
        self.database = Database(f"sqlite:///{path}")
        with self.database.session() as session:
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


def _import(path: Path | str, docs: list[dict]) -> None:
    """A kb database at `path` (or a database URL) with the demo catalogue and the documents as resolved
    general tickets."""
    from kb import migrate
    from kb.config import data_path
    from kb.db import Database, writing
    from kb.demo import load_catalogue, read_dataset
    from kb.importer import import_tickets

    url = path if isinstance(path, str) else f"sqlite:///{path}"
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        with writing(session):
            load_catalogue(session, read_dataset(data_path())["catalogue"])
        import_tickets(session, (_import_line(d) for d in docs))
    database.dispose()


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (WAL included), written under a temporary name first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    src, dst = sqlite3.connect(source), sqlite3.connect(partial)
    src.backup(dst)
    src.close()
    dst.close()
    partial.replace(target)


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
            for part in MODES["free"] for lang in LANGUAGES})
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
        """The query parsed once per language over that language's fields only, the two ORed.

        One parser over every field sent Swedish stop words to the Finnish fields (which keep them),
        so an all-words query never matched and this baseline always fell back to any word.
        """
        group = qparser.OrGroup if any_word else qparser.AndGroup
        text = " ".join(WORDS.findall(query.lower()))  # lower case: AND/OR/NOT are not operators here
        parsed = [qparser.MultifieldParser([f"{part}_{lang}" for part in MODES[mode]], self.ix.schema,
                                           group=group).parse(text) for lang in LANGUAGES]
        hits = self.searcher.search(wquery.Or(parsed), limit=k)
        if snippets:
            names = [f"{part}_{lang}" for part in MODES[mode] for lang in LANGUAGES]
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


class _SqliteEngine:
    """An engine whose documents sit in one table of an SQLite file in a folder of its own."""

    TABLE = ""  # the CREATE statement of table `docs` (id, title, problem, solution)
    prefix = "sqlite-bench-"

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix=self.prefix))

    def build(self, docs: list[dict]) -> float:
        self.db = sqlite3.connect(self.folder / "docs.sqlite3")
        self.db.execute(self.TABLE)
        started = time.perf_counter()
        with self.db:
            self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)",
                                ((d["id"], d["title"], d["problem"], d["solution"]) for d in docs))
        return time.perf_counter() - started

    def size(self) -> int:
        return _folder_size(self.folder)

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Fts5(_SqliteEngine):
    """SQLite FTS5 with unicode61 (diacritics folded) and BM25: what a SQL-minded team would use."""

    name = "SQLite FTS5"
    prefix = "fts-bench-"
    TABLE = ("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, problem, solution, "
             "tokenize='unicode61 remove_diacritics 2')")

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


class StdlibBm25:
    """Okapi BM25 (k1 1.2, b 0.75) over lower-cased `\\w+` words of title, problem and solution as one text.

    No stemming, no stop words; each distinct query word counts once (counting repeats gave 0.482, not the
    README's 0.483, on dolly-fi-qa). idf is Lucene's
    log(1 + (N - n + 0.5) / (n + 0.5)): with it this engine reproduces the "stdlib BM25 MRR@10 (dev)"
    column of ../shared/relevance/README.md on all six sets (Robertson's log((N - n + 0.5) / (n + 0.5))
    gave 0.652 instead of 0.795 on swequad-mc-sv, log(N / n) 0.795 but 0.727 on squad2-sv-dev).
    The any-word query ranks every document that has any query word; ties go to the earlier document.
    """

    name = "stdlib BM25"
    K1, B = 1.2, 0.75

    def build(self, docs: list[dict]) -> float:
        started = time.perf_counter()
        self.docs = docs
        self.indexes = {"free": _Bm25Index(docs, MODES["free"], self.K1, self.B)}
        return time.perf_counter() - started

    def search(self, query: str, mode: str = "free", k: int = 10, snippets: bool = True,
               any_word: bool = False) -> list[str]:
        """All distinct query words (or any of them), ranked by BM25, with a plain-text snippet."""
        if mode not in self.indexes:  # SweFAQ's Solution mode: an index of that field alone, built once
            self.indexes[mode] = _Bm25Index(self.docs, MODES[mode], self.K1, self.B)
        words = list(dict.fromkeys(WORDS.findall(query.lower())))
        top = self.indexes[mode].top(words, k, any_word)
        if snippets:
            for number in top:
                _snippet(self.docs[number], words)
        return [self.docs[number]["id"] for number in top]

    def size(self) -> int:
        return sum(index.nbytes() for index in self.indexes.values())

    def close(self) -> None:
        self.indexes = {}


class _Bm25Index:
    """An inverted index in memory: per term a slice of document numbers and BM25 weights without idf."""

    def __init__(self, docs: list[dict], parts: tuple[str, ...], k1: float, b: float):
        self.vocabulary: dict[str, int] = {}
        terms, numbers, counts = array("i"), array("i"), array("i")
        lengths = np.zeros(len(docs))
        for number, doc in enumerate(docs):
            words = WORDS.findall(" ".join(doc[part] or "" for part in parts).lower())
            lengths[number] = len(words)
            for word, count in Counter(words).items():
                terms.append(self.vocabulary.setdefault(word, len(self.vocabulary)))
                numbers.append(number)
                counts.append(count)
        # Postings grouped by term (stable: document order within a term) and sliced by offsets.
        terms_np = np.frombuffer(terms, dtype=np.int32)
        order = np.argsort(terms_np, kind="stable")
        self.numbers = np.frombuffer(numbers, dtype=np.int32)[order]
        tf = np.frombuffer(counts, dtype=np.int32)[order].astype(np.float64)
        average = float(lengths.mean()) if len(docs) else 1.0
        norm = k1 * (1 - b + b * lengths[self.numbers] / max(average, 1e-9))
        self.weights = tf * (k1 + 1) / (tf + norm)
        frequency = np.bincount(terms_np, minlength=len(self.vocabulary))
        self.offsets = np.concatenate(([0], np.cumsum(frequency)))
        self.idf = np.log(1 + (len(docs) - frequency + 0.5) / (frequency + 0.5))
        self.count = len(docs)

    def top(self, words: list[str], k: int, any_word: bool) -> list[int]:
        """Document numbers of the k best, best first; all words must match unless any_word."""
        terms = [self.vocabulary[w] for w in words if w in self.vocabulary]
        if not terms or (not any_word and len(terms) < len(words)):
            return []
        scores = np.zeros(self.count, dtype=np.float64)
        matched = np.zeros(self.count, dtype=np.int32)
        for term in terms:
            start, end = self.offsets[term], self.offsets[term + 1]
            numbers = self.numbers[start:end]
            scores[numbers] += self.idf[term] * self.weights[start:end]
            matched[numbers] += 1
        candidates = np.flatnonzero(matched >= (1 if any_word else len(terms)))
        if len(candidates) > k:  # keep everything that scores at least the k-th best (ties included)
            kth = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
            candidates = candidates[scores[candidates] >= kth]
        return candidates[np.lexsort((candidates, -scores[candidates]))][:k].tolist()

    def nbytes(self) -> int:
        return self.numbers.nbytes + self.weights.nbytes + self.offsets.nbytes + self.idf.nbytes


def _snippet(doc: dict, words: list[str], width: int = 200) -> str:
    """The text around the first query word found (what a result list would show)."""
    text = f"{doc['problem']} {doc['solution']}"
    lowered = text.lower()
    at = min((i for i in (lowered.find(w) for w in words) if i >= 0), default=0)
    return text[max(0, at - width // 2):at + width // 2]


class LikeScan(_SqliteEngine):
    """What most helpdesks do: LIKE '%word%' over the text columns; ranked by how many words matched."""

    name = "SQL LIKE"
    prefix = "like-bench-"
    TABLE = "CREATE TABLE docs (id TEXT, title TEXT, problem TEXT, solution TEXT)"

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


class Tantivy:
    """tantivy (Rust, through tantivy-py) with Snowball stemming per language (fields title_sv ... solution_fi),
    BM25, the title weighted 2, a total count and snippets of the problem and solution: the engine to match
    for speed. Installed by the benchmark extras (`pip install -e '.[bench]'`), never by the product."""

    name = "tantivy"
    STEMMERS = {"sv": "swedish", "fi": "finnish"}

    def __init__(self, procs: int = 2):
        self.procs = procs
        self.folder = Path(tempfile.mkdtemp(prefix="tantivy-bench-"))

    def build(self, docs: list[dict]) -> float:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("language", stored=True, tokenizer_name="raw")
        for language in LANGUAGES:
            for field in MODES["free"]:
                builder.add_text_field(f"{field}_{language}", stored=True, tokenizer_name=f"stem_{language}")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema, path=str(self.folder))
        for language, stemmer in self.STEMMERS.items():
            self.index.register_tokenizer(f"stem_{language}", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                                          .filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
                                          .filter(tantivy.Filter.stemmer(stemmer)).build())
        started = time.perf_counter()
        writer = self.index.writer(heap_size=100_000_000 * self.procs, num_threads=self.procs)
        for doc in docs:
            language = doc["language"] if doc["language"] in LANGUAGES else "sv"
            writer.add_document(tantivy.Document(id=doc["id"], language=language, **{
                f"{field}_{language}": doc[field] or "" for field in MODES["free"]}))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        return time.perf_counter() - started

    def search(self, query: str, mode: str = "free", k: int = 10, snippets: bool = True,
               any_word: bool = False) -> list[str]:
        import tantivy

        words = ['"' + w + '"' for w in dict.fromkeys(WORDS.findall(query.lower()))]
        if not words:
            return []
        names = [f"{field}_{language}" for language in LANGUAGES for field in MODES[mode]]
        parsed, _errors = self.index.parse_query_lenient(
            (" OR " if any_word else " AND ").join(words), names,
            field_boosts={f"title_{language}": 2.0 for language in LANGUAGES if mode == "free"})
        result = self.searcher.search(parsed, limit=k, count=True)
        _total = result.count
        hits = [self.searcher.doc(address) for _score, address in result.hits]
        if snippets:
            shown = [name for name in names if not name.startswith("title")]
            generators = {name: tantivy.SnippetGenerator.create(self.searcher, parsed, self.schema, name)
                          for name in shown}
            for doc in hits:
                language = doc["language"][0]
                for name in shown:
                    if name.endswith(language):
                        generators[name].snippet_from_doc(doc).to_html()
        return [doc["id"][0] for doc in hits]

    def size(self) -> int:
        return _folder_size(self.folder)

    def close(self) -> None:
        self.searcher = self.index = None
        shutil.rmtree(self.folder, ignore_errors=True)


def answer(engine, query: str, mode: str = "free", k: int = 10, snippets: bool = True) -> list[str]:
    """Every engine gets the same strategy: all words; when that finds nothing, any word, ranked."""
    found = engine.search(query, mode, k, snippets)
    if not found and not isinstance(engine, KbEngine):
        found = engine.search(query, mode, k, snippets, any_word=True)
    return found


CLASSES = {"kb": KbEngine, "naive": NaiveWhoosh, "fts5": Fts5, "bm25": StdlibBm25, "like": LikeScan,
           "tantivy": Tantivy}


def make(key: str, procs: int = 2):
    """A fresh engine by its short key (kb, naive, fts5, bm25, like, tantivy)."""
    return CLASSES[key](procs) if key in ("kb", "tantivy") else CLASSES[key]()


def factories(keys: list[str], procs: int = 2) -> dict[str, Callable]:
    """{engine name: a function that makes a fresh engine} for the short keys given."""
    return {CLASSES[key].name: partial(make, key, procs) for key in keys}


def all_engines(procs: int = 2, keys: list[str] = tuple(CLASSES)) -> list:
    return [make(key, procs) for key in keys]
