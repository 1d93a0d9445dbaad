"""Bulk writing for `kb reindex`: whole segments built in memory and written a field at a time.

Whoosh's SegmentWriter analyses each field through Token objects and pickles every posting's
positions, sends every posting through an external sort (a tuple and a size estimate each, pickled
when the pool spills, merged through a heap) and then writes it with one call per posting. A rebuild
only appends documents, in order, to new segments, so BulkWriter keeps a segment's postings as
arrays (`postings`) and writes each field's posting lists in one go (`codec.write_field`).
Stored fields, lengths and columns are written as by SegmentWriter, byte for byte; the posting
lists differ only in their blocks' layout; tests/test_bulk.py compares every posting,
position, term statistic, length and stored field with what stock Whoosh writes.

`write_segments` fills segments of at most about `limitmb` of postings each, in this process or in
`procs` worker processes that take batches of documents from a queue, and returns them; `commit`
lists them in the index's table of contents.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._whoosh import AppendingSegmentWriter, add_segments
from .postings import BulkPool, bulk_text_field
from .storage import WRITER_OPTIONS

BATCH = 200  # documents a worker takes from the queue at a time


class WriterFailed(Exception):
    """A writer process failed or died; the segments written so far are not listed anywhere."""


class BulkWriter(AppendingSegmentWriter):
    """A SegmentWriter for one new segment of a rebuild, its postings in a BulkPool. It takes no lock:
    the rebuild owns its new index folder."""

    def __init__(self, ix):
        super().__init__(ix, **WRITER_OPTIONS)
        self.pool.cleanup()
        self.pool = BulkPool()
        self._texts = {name for name, field in self.schema.items() if bulk_text_field(field)}
        for name, field in self.schema.items():
            if name not in self._texts and field.indexed and field.format.fixed_value_size() != 0:
                raise TypeError(f"bulk writing cannot index field {name!r}: its postings carry values")

    def add_document(self, **fields):
        """SegmentWriter.add_document for a rebuild's documents (no boosts or _stored_ values): the same
        stored fields, lengths and columns; analysed text fields go to TextPostings whole."""
        names = sorted(fields)
        self.check_document(names)
        if any(name.startswith("_") for name in names):
            raise TypeError("bulk writing takes no boosts or _stored_ values")
        perdoc, docnum = self.perdocwriter, self.docnum
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = self.schema[name]
                if name in self._texts:
                    perdoc.add_field(name, field, None, self.pool.add_text(name, field, docnum, value))
                    continue
                length = 0
                if field.indexed:
                    for tbytes, freq, weight, _ in field.index(value):
                        length += freq if field.scorable else 0
                        self.pool.add(name, tbytes, docnum, weight)
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self.docnum += 1

    def write_postings(self, perdoc) -> None:
        """At the end of the segment (`finish`, to be listed by `commit`, which removes the temporary
        folder every writer's per-document writer shares)."""
        self.pool.write(self.schema, perdoc, self.docnum, self.fieldwriter)


def _fill(ix, documents: Iterable[dict], limitmb: float, progress: Callable[[int], None]) -> list:
    segments, writer = [], None
    for document in documents:
        if writer is None:
            writer = BulkWriter(ix)
        writer.add_document(**document)
        progress(1)
        if writer.pool.size > limitmb * 1024 * 1024:
            segments.append(writer.finish())
            writer = None
    if writer is not None:
        segments.append(writer.finish())
    return segments


def _queued(jobs) -> Iterator[dict]:
    """The documents of the batches on the queue, until the end mark."""
    while (batch := jobs.get()) is not None:
        yield from batch


def _exit_with(parent: int) -> None:
    """End this writer process when the rebuild's process is gone (killed): wherever the writer waits,
    a read of a batch cut off half-way included. Its folder is left for the next rebuild to clear."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _work(ix, limitmb: float, jobs, results, parent: int, document: Callable[[Any], dict]) -> None:
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    try:
        results.put(("segments", _fill(ix, map(document, _queued(jobs)), limitmb, lambda n: None)))
    except BaseException as exc:  # reported to the parent, which stops the rebuild
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def _itself(item):
    return item


def write_segments(ix, items: Iterable, procs: int = 1, limitmb: float = 512,
                   progress: Callable[[int], None] = lambda n: None,
                   document: Callable[[Any], dict] = _itself) -> list:
    """Write the documents of the items into new segments of `ix` and return them (not yet listed in its
    TOC). `document` turns an item into a document's fields; it runs in the writer processes, so that
    the reading process only reads (and the items it passes are what it read, often smaller)."""
    if procs <= 1:
        return _fill(ix, map(document, items), limitmb, progress)
    context = multiprocessing.get_context("fork")  # workers share the loaded dictionaries and the schema
    jobs, results = context.Queue(procs * 4), context.Queue()
    workers = [context.Process(target=_work, args=(ix, limitmb, jobs, results, os.getpid(), document), daemon=True)
               for _ in range(procs)]
    for worker in workers:
        worker.start()
    try:
        batch = []
        for item in items:
            batch.append(item)
            if len(batch) == BATCH:
                _put(jobs, batch, workers)
                progress(len(batch))
                batch = []
        if batch:
            _put(jobs, batch, workers)
            progress(len(batch))
        for _ in workers:
            _put(jobs, None, workers)
        segments = []
        for _ in workers:
            kind, value = _get(results, workers)
            if kind == "error":
                raise WriterFailed(f"a writer process failed: {value}")
            segments.extend(value)
        for worker in workers:
            worker.join()
        return segments
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        jobs.cancel_join_thread()  # after a failure, batches nobody will read must not keep this process alive


def _put(jobs, item, workers) -> None:
    while True:
        try:
            jobs.put(item, timeout=1.0)
            return
        except queue.Full:
            _check(workers)


def _get(results, workers):
    while True:
        try:
            return results.get(timeout=1.0)
        except queue.Empty:
            _check(workers)


def _check(workers) -> None:
    if any(worker.exitcode not in (None, 0) for worker in workers):
        raise WriterFailed("a writer process died")


def commit(ix, segments: list) -> None:
    """List the segments in a new generation of the index's table of contents (under its write lock)."""
    lock = ix.lock("WRITELOCK")
    lock.acquire(blocking=True)
    try:
        add_segments(ix, segments)
        shutil.rmtree(os.path.join(ix.storage.folder, f"{ix.indexname}.tmp"), ignore_errors=True)
    finally:
        lock.release()
