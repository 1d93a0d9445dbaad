"""How posting lists are laid out on disk: Whoosh's W3 format with blocks that read as arrays.

Whoosh's W3 codec stores each block of up to 128 postings as one zlib-compressed pickle of
(document ids, weights, positions). Reading a block's ids unpickles and decompresses every position
with them; that is most of the time of a search over common words. KbCodec keeps W3's files, term
dictionary and block headers (so Whoosh's own matchers, skipping and merging work unchanged) and
writes each block's data as

    ids      little-endian uint16 or uint32 deltas from the previous id (the first from 0)
    weights  nothing (all 1.0), one float32 (all equal) or one float32 per posting
    values   the positions, a zlib-compressed pickle, read only by phrase queries

so `block_arrays` turns a posting list into numpy arrays without touching a position.
"""
from __future__ import annotations

import struct
import zlib
from array import array
from io import BytesIO
from pickle import dumps, load, loads

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PostingsWriter,\
    _lenfield
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.matching import ListMatcher

_BLOCK_LENGTH = struct.Struct("!i")  # W3: before each block
_HEADER = struct.Struct("<BB")  # bytes per id delta (2 or 4), weights layout
_ALL_ONE, _ALL_SAME, _EACH = 0, 1, 2
_ID_TYPES = {2: np.dtype("<u2"), 4: np.dtype("<u4")}
_FLOAT = np.dtype("<f4")
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


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


class KbCodec(W3Codec):
    """W3 with array-shaped posting blocks (see the module's docstring), 512 postings a block: reading a
    block costs a fixed ~15 µs whatever its size, and posting lists are read whole."""

    def __init__(self, blocklimit=512, compression=3, inlinelimit=1):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors: not used by this schema, kept in W3's format
            return super().postings_writer(dbfile, byteids=True)
        return KbPostingsWriter(dbfile, blocklimit=self._blocklimit, compression=self._compression,
                                inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps the length as struct.unpack's 1-tuple
            length = length[0]
        return KbLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class KbPostingsWriter(W3PostingsWriter):
    def add_arrays(self, ids: array, weights: array, values: bytearray, ends: array, lengths: np.ndarray) -> None:
        """A term's whole posting list at once, as add_posting would get it one by one: ids in order,
        weights, the postings' encoded values joined (each ending at `ends`), and every document's
        field length. The last block stays buffered for finish_postings, as with add_posting."""
        count, limit = len(ids), self._blocklimit
        doc_lengths = lengths[np.frombuffer(ids, dtype=np.uint32)]
        for start in range(0, count, limit):
            if self._ids:
                self._write_block()
            stop = min(start + limit, count)
            self._ids = ids[start:stop]
            self._weights = array("f", weights[start:stop])
            self._maxweight = max(0, max(weights[start:stop]))
            begin = ends[start - 1] if start else 0
            for end in ends[start:stop]:
                if end > begin:
                    self._values.append(bytes(values[begin:end]))
                begin = end
            block_lengths = doc_lengths[start:stop]
            nonzero = block_lengths[block_lengths > 0]
            self._minlength = int(nonzero.min()) if len(nonzero) else None
            self._maxlength = int(block_lengths.max())

    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)

        ids = np.asarray(self._ids, dtype=np.int64)
        deltas = np.diff(ids, prepend=0)
        width = 2 if deltas.max() < 65536 else 4
        weights = np.asarray(self._weights, dtype=_FLOAT)
        if (weights == 1.0).all():
            layout, weight_bytes = _ALL_ONE, b""
        elif (weights == weights[0]).all():
            layout, weight_bytes = _ALL_SAME, weights[:1].tobytes()
        else:
            layout, weight_bytes = _EACH, weights.tobytes()
        values = self._mini_values()
        value_bytes = b"" if values is None else zlib.compress(dumps(values, 2), self._compression or 1)
        data = b"".join((_HEADER.pack(width, layout), deltas.astype(_ID_TYPES[width]).tobytes(), weight_bytes,
                         value_bytes))

        # The block header is W3's, so Whoosh's matchers skip blocks as they always did.
        info = dumps((len(ids), int(ids[-1]), self._maxweight, 0, length_to_byte(self._minlength),
                      length_to_byte(self._maxlength)), 2)
        blocklength = len(info) + len(data)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


def _decode(data: bytes, count: int) -> tuple[np.ndarray, np.ndarray | float, int]:
    """(ids, weights or the one weight, offset of the values) of one block's data."""
    width, layout = _HEADER.unpack_from(data)
    at = _HEADER.size
    ids = np.frombuffer(data, dtype=_ID_TYPES[width], count=count, offset=at).cumsum(dtype=np.int64)
    at += width * count
    if layout == _ALL_ONE:
        return ids, 1.0, at
    if layout == _ALL_SAME:
        return ids, float(np.frombuffer(data, dtype=_FLOAT, count=1, offset=at)[0]), at + 4
    return ids, np.frombuffer(data, dtype=_FLOAT, count=count, offset=at), at + 4 * count


class KbLeafMatcher(W3LeafMatcher):
    """Whoosh's matcher over KbCodec blocks: ids and weights as arrays, positions unpickled on demand."""

    def _read_data(self):
        self._data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        self._ids = _decode(self._data, self._blocklength)[0].tolist()

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        weights = _decode(self._data, self._blocklength)[1]
        self._weights = [weights] * self._blocklength if isinstance(weights, float) else weights.tolist()

    def _read_values(self):
        if self._data is None:
            self._read_data()
        fixedsize = self._fixedsize
        start = _decode(self._data, self._blocklength)[2]
        values = loads(zlib.decompress(self._data[start:])) if start < len(self._data) else None
        if fixedsize is None or fixedsize < 0:
            self._values = values
        elif fixedsize == 0:
            self._values = (None,) * self._blocklength
        else:
            self._values = tuple(values[i:i + fixedsize] for i in range(0, len(values), fixedsize))

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
                block_ids, block_weights, _ = _decode(buffer[begin:end], count)
                ids.append(block_ids)
                weights.append(np.full(count, block_weights, dtype=_FLOAT)
                               if isinstance(block_weights, float) else block_weights)
                if end >= len(buffer):
                    break
                # The next block: its length (negative when last), its W3 info tuple, its data.
                length = abs(_BLOCK_LENGTH.unpack_from(buffer, end)[0])
                stream.seek(end + _BLOCK_LENGTH.size)
                count = load(stream)[0]
                begin, end = stream.tell(), end + _BLOCK_LENGTH.size + length
            self._atend = True
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=_FLOAT)
        return np.concatenate(ids), np.concatenate(weights)


def posting_arrays(matcher) -> tuple[np.ndarray, np.ndarray]:
    """(document ids, weights) of a term's whole posting list, from any Whoosh leaf matcher."""
    matcher = getattr(matcher, "child", matcher) if not isinstance(matcher, (KbLeafMatcher, ListMatcher)) \
        else matcher  # a segment with deletions wraps the list in a FilterMatcher; the caller masks them
    if isinstance(matcher, KbLeafMatcher):
        return matcher.arrays()
    ids, weights = array("q"), array("f")
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.frombuffer(ids, dtype=np.int64), np.frombuffer(weights, dtype=np.float32)
