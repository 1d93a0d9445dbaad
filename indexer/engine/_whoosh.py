"""The one module that touches Whoosh's internals: kb's engine is a fork of parts of whoosh-reloaded.

whoosh-reloaded was declared unmaintained upstream in 2025, so kb owns what it builds on. Every import
from Whoosh's codec, file storage and writer modules, every underscore name of Whoosh and every
private method kb overrides is here, and nowhere else in kb: moving to another Whoosh version means
reading this module against the new one (and running tests/test_engine.py and tests/test_bulk.py,
which compare kb's files with what stock Whoosh writes). Importing it checks the version first.
"""
from __future__ import annotations

import whoosh

WHOOSH_VERSION = (2, 7, 5)  # the whoosh-reloaded that kb's engine is written for (pinned in setup.cfg)


class UnsupportedWhoosh(ImportError):
    """Another Whoosh than the one kb's engine is written for is installed."""


if tuple(whoosh.__version__[:3]) != WHOOSH_VERSION:
    _wanted = ".".join(map(str, WHOOSH_VERSION))
    raise UnsupportedWhoosh(f"kb's search engine needs whoosh-reloaded {_wanted}, but {whoosh.versionstring()} is "
                            f"installed: pip install 'whoosh-reloaded=={_wanted}'")

# The version is checked above, before anything of Whoosh's internals is imported.
import zlib
from io import BytesIO
from pickle import dumps, load, loads

import numpy as np
from whoosh.codec.whoosh3 import (LENGTHS_COLUMN, STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher,
                                  W3PostingsWriter, W3TermInfo, _lenfield)
from whoosh.columns import CompressedBytesColumn, NumericColumn, PickleColumn
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.highlight import Highlighter
from whoosh.index import TOC, clean_files
from whoosh.matching import ListMatcher
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from . import blocks

__all__ = ["FileStorage", "ListMatcher", "NumericColumn", "StructFile", "W3Codec", "W3TermInfo", "WHOOSH3_HEADER_MAGIC",
           "AppendingSegmentWriter", "KbLeafMatcher", "KbPostingsWriter", "add_segments", "bm25f_b",
           "codec_settings", "field_lengths", "length_to_byte", "merge_matched_tokens", "numeric_column",
           "per_document_reader", "postings_settings", "reuse_stored_offsets", "write_term", "UnsupportedWhoosh"]

_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


# -- reading a segment's columns -------------------------------------------------------------------
def numeric_column(perdoc, name: str, column: NumericColumn, size: int) -> np.ndarray:
    """A segment's numeric column (W3 per-document reader) as one array, read in one go."""
    col = perdoc.column_reader(name, column)
    values = np.full(size, col._default, dtype=">" + col._typecode)
    if col._count:
        raw = col._dbfile.get(col._basepos, col._count * col._fixedlen)
        values[:col._count] = np.frombuffer(raw, dtype=">" + col._typecode)
    return values


def field_lengths(perdoc, fieldname: str, size: int) -> np.ndarray:
    """Each document's length of a field as Whoosh stores it (quantised to a byte), 0 when not kept."""
    if not perdoc.has_column(_lenfield(fieldname)):
        return np.zeros(size, dtype=np.int64)
    return _LENGTHS[numeric_column(perdoc, _lenfield(fieldname), LENGTHS_COLUMN, size).astype(np.intp)]


def per_document_reader(reader):
    """A segment reader's W3 per-document reader (lengths, columns, stored fields)."""
    return reader._perdoc


class _StoredBytes(CompressedBytesColumn.Reader):
    """The stored-fields column of a segment, with where each document's bytes are taken from `kept`
    once another reader of the segment has worked it out."""

    def __init__(self, dbfile, basepos, length, doccount, module, kept: dict):
        self._kept = kept
        super().__init__(dbfile, basepos, length, doccount, module)

    def _read_offsets_and_lengths(self):
        if "offsets" in self._kept:
            self._offsets, self._lengths = self._kept["offsets"], self._kept["lengths"]
            return
        super()._read_offsets_and_lengths()
        self._kept["offsets"], self._kept["lengths"] = self._offsets, self._lengths


def reuse_stored_offsets(perdoc, kept: dict) -> None:
    """Let a per-document reader read its stored fields with offsets kept for its segment in `kept`.

    Whoosh derives each document's offset in the stored-fields column from the lengths, in a Python
    loop, in every new reader: about 10 ms per 100 000 documents, on the first stored document each
    searcher reads, and the index is reopened after every write."""
    if "_stored" in perdoc._readers or not perdoc.has_column("_stored"):
        return
    if "_stored" not in perdoc._colfiles:
        perdoc._colfiles["_stored"] = perdoc._get_column_file("_stored")
    colfile, offset, length = perdoc._colfiles["_stored"]
    compressed = STORED_COLUMN._child
    perdoc._readers["_stored"] = PickleColumn.Reader(
        _StoredBytes(colfile, offset, length, perdoc._doccount, compressed._module, kept))


def bm25f_b(weighting, fieldname: str) -> float:
    """The B of a field in Whoosh's BM25F weighting."""
    return weighting._field_B.get(fieldname, weighting.B)


# -- writing posting lists -------------------------------------------------------------------------
def codec_settings(codec: W3Codec) -> tuple[int, int, int]:
    """(postings a block, zlib level, inline limit) of a W3 codec (also of one unpickled from an index)."""
    return codec._blocklimit, codec._compression, codec._inlinelimit


def postings_settings(fieldwriter) -> tuple[int, int]:
    """(postings a block, zlib level) of the field being written by a W3 field writer."""
    postwriter = fieldwriter._postwriter
    return postwriter._blocklimit, postwriter._compression


def write_term(fieldwriter, term: bytes, data: bytes, info: W3TermInfo) -> None:
    """Write a whole posting list (its W3 header and blocks, `data`) and its row of the term dictionary, as
    W3FieldWriter's start_term ... finish_term would for the same postings."""
    postfile = fieldwriter._postfile
    info.set_extent(postfile.tell(), len(data))
    postfile.write(data)
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + term, info.to_bytes())


class KbPostingsWriter(W3PostingsWriter):
    """W3's postings writer with KbCodec's block data (`blocks`); the block headers are W3's, so Whoosh's
    matchers skip blocks as they always did."""

    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = blocks.encode(self._ids, self._weights, self._mini_values(), self._compression)
        info = dumps((len(self._ids), int(self._ids[-1]), self._maxweight, 0, length_to_byte(self._minlength),
                      length_to_byte(self._maxlength)), 2)
        blocklength = len(info) + len(data)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class KbLeafMatcher(W3LeafMatcher):
    """Whoosh's matcher over KbCodec blocks: ids and weights as arrays, positions decoded on demand."""

    _positions = None  # the current block's array positions, once read
    _decoded = None  # the current block's blocks.decode, once read

    def _read_data(self):
        self._data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)

    def _goto(self, position):
        super()._goto(position)
        self._positions = self._decoded = None

    def _block(self) -> tuple:
        """The current block's ids, weights, positions offset and flags, decoded once."""
        if self._decoded is None:
            if self._data is None:
                self._read_data()
            self._decoded = blocks.decode(self._data, self._blocklength)
        return self._decoded

    def _read_ids(self):
        self._ids = self._block()[0].tolist()

    def _read_weights(self):
        weights = self._block()[1]
        self._weights = [weights] * self._blocklength if isinstance(weights, float) else weights.tolist()

    def _read_values(self):
        start, flags = self._block()[2:]
        if flags & blocks.ARRAY_POSITIONS:
            data = self._data[start:] if flags & blocks.PLAIN else zlib.decompress(self._data[start:])
            self._positions = blocks.array_positions(data, self._blocklength)
            self._values = blocks.EncodedPositions(*self._positions)
            return
        fixedsize = self._fixedsize
        values = loads(zlib.decompress(self._data[start:])) if start < len(self._data) else None
        if fixedsize is None or fixedsize < 0:
            self._values = values
        elif fixedsize == 0:
            self._values = (None,) * self._blocklength
        else:
            self._values = tuple(values[i:i + fixedsize] for i in range(0, len(values), fixedsize))

    def value_as(self, astype):
        if astype == "positions":
            if self._values is None:
                self._read_values()
            if self._positions is not None:
                bounds, positions = self._positions
                return positions[bounds[self._i]:bounds[self._i + 1]].tolist()
        return super().value_as(astype)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every posting from the current block on: (document ids, weights). Reads the rest of the posting
        list in one go and leaves the matcher at its end."""
        ids, weights = [], []
        if not self._atend:
            buffer = memoryview(self._postfile.get(self._dataoffset,
                                                   self._startoffset + self._length - self._dataoffset))
            stream = BytesIO(buffer)
            begin, end, count = 0, self._nextoffset - self._dataoffset, self._blocklength
            while True:
                block_ids, block_weights, _, _ = blocks.decode(buffer[begin:end], count)
                ids.append(block_ids)
                weights.append(np.full(count, block_weights, dtype=blocks.FLOAT)
                               if isinstance(block_weights, float) else block_weights)
                if end >= len(buffer):
                    break
                # The next block: its length (negative when last), its W3 info tuple, its data.
                length = abs(blocks.BLOCK_LENGTH.unpack_from(buffer, end)[0])
                stream.seek(end + blocks.BLOCK_LENGTH.size)
                count = load(stream)[0]
                begin, end = stream.tell(), end + blocks.BLOCK_LENGTH.size + length
            self._atend = True
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=blocks.FLOAT)
        return np.concatenate(ids), np.concatenate(weights)


# -- segments ----------------------------------------------------------------------------------------
class AppendingSegmentWriter(SegmentWriter):
    """A SegmentWriter for one new segment of an index folder its caller owns (no lock taken), whose
    subclass writes the postings itself (`write_postings`) and lists the segment later (`add_segments`)."""

    def __init__(self, ix, **options):
        super().__init__(ix, _lk=False, **options)

    def check_document(self, names: list[str]) -> None:
        """Whoosh's checks before adding a document: the writer is open and the fields exist."""
        self._check_state()
        self._check_fields(self.schema, names)

    def write_postings(self, perdoc) -> None:
        raise NotImplementedError

    def _flush_segment(self):
        self.perdocwriter.close()
        perdoc = self.per_document_reader()
        try:
            self.write_postings(perdoc)
        finally:
            perdoc.close()
        self.fieldwriter.close()

    def finish(self):
        """Write the segment's files and return the segment. The index's temporary folder stays: every
        writer's per-document writer shares it."""
        segment = self._finalize_segment()
        self.is_closed = True
        return segment


def add_segments(ix, segments: list) -> None:
    """List segments in a new generation of the index's table of contents (the caller holds its lock)."""
    toc = ix._read_toc()
    segments = toc.segments + segments
    TOC(toc.schema, segments, toc.generation + 1).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, toc.generation + 1, segments)


# -- highlighting ----------------------------------------------------------------------------------
def merge_matched_tokens(tokens):
    """Highlighter's merge of adjacent matched tokens into one (a word's lemma, parts and form share its
    characters), which Whoosh's public `highlight` function does not offer on its own."""
    return Highlighter._merge_matched_tokens(tokens)
