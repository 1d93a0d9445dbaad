"""How posting lists are laid out on disk: Whoosh's W3 format with blocks that read as arrays.

Whoosh's W3 codec stores each block of up to 128 postings as one zlib-compressed pickle of
(document ids, weights, positions). Reading a block's ids unpickles and decompresses every position
with them; that is most of the time of a search over common words. KbCodec keeps W3's files, term
dictionary and block headers (so Whoosh's own matchers, skipping and merging work unchanged) and
writes each block's data as

    ids      little-endian uint16 or uint32 deltas from the previous id (the first from 0)
    weights  nothing (all 1.0), one float32 (all equal) or one float32 per posting
    values   the positions, read only by phrase queries: either a zlib-compressed pickle of Whoosh's
             encoded values (blocks written a posting at a time: `kb index sync`, merges) or, flagged
             in the layout byte, each posting's number of positions and the positions as Whoosh's
             Positions format encodes them (deltas), as arrays of 1, 2 or 4 bytes a value,
             zlib-compressed when that saves bytes (a rebuild's blocks: `write_field`)

so `KbLeafMatcher.arrays` turns a posting list into numpy arrays without touching a position, and
`KbLeafMatcher.value_as("positions")` slices array positions without unpickling anything.
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
from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.matching import ListMatcher

_BLOCK_LENGTH = struct.Struct("!i")  # W3: before each block
_HEADER = struct.Struct("<BB")  # bytes per id delta (2 or 4), weights layout | position flags
_ALL_ONE, _ALL_SAME, _EACH = 0, 1, 2
_WEIGHTS = 0x0F  # the weights layout's bits of the layout byte
_ARRAY_POSITIONS = 0x80  # positions as arrays (else a pickle of Whoosh's values)
_PLAIN = 0x40  # ... not compressed
_WIDTHS = struct.Struct("<BB")  # array positions: bytes per count, bytes per delta (1, 2 or 4)
_ID_TYPES = {2: np.dtype("<u2"), 4: np.dtype("<u4")}
_UINT_TYPES = {1: np.dtype("u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4")}
_MIN_COMPRESS = 64  # array positions shorter than this are stored as they are
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
    """W3's postings writer with KbCodec's block data (see the module's docstring)."""

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


def write_field(fieldwriter, terms: list[bytes], term_starts: np.ndarray, ids: np.ndarray, weights: np.ndarray,
                lengths: np.ndarray, counts: np.ndarray | None = None, deltas: np.ndarray | None = None) -> None:
    """Write a field's posting lists whole, between the field writer's start_field and finish_field: the
    terms in order; where each term's postings start (its end appended); every posting's document id
    (ascending within a term) and weight; every document's field length; and, for a field with
    positions, each posting's number of positions and all positions as Whoosh's Positions format
    encodes them (deltas from the posting's previous position, the first from 0).

    The blocks, block headers and term infos are the ones W3PostingsWriter writes for the same postings
    given one at a time, but every statistic and encoding is computed for the whole field at once;
    what is left per block is joining its bytes."""
    postwriter, postfile = fieldwriter._postwriter, fieldwriter._postfile
    limit, compression = postwriter._blocklimit, postwriter._compression or 1
    n = len(ids)
    if not n:
        return
    term_starts = np.asarray(term_starts, dtype=np.int64)
    term_sizes = np.diff(term_starts)
    within = np.arange(n, dtype=np.int64) - np.repeat(term_starts[:-1], term_sizes)
    block_starts = np.flatnonzero(within % limit == 0)
    block_ends = np.append(block_starts[1:], n)
    blocks_per_term = (term_sizes + limit - 1) // limit

    id_deltas = ids.astype(np.int64)
    id_deltas[1:] -= ids[:-1]
    id_deltas[block_starts] = ids[block_starts]
    wide = np.maximum.reduceat(id_deltas, block_starts) >= 65536
    id_bytes = {2: id_deltas.astype(_ID_TYPES[2]).tobytes(), 4: id_deltas.astype(_ID_TYPES[4]).tobytes()}

    weights32 = weights.astype(_FLOAT)
    weight_bytes = weights32.tobytes()
    low, high = np.minimum.reduceat(weights32, block_starts), np.maximum.reduceat(weights32, block_starts)
    layouts = np.where(low != high, _EACH, np.where(low == 1.0, _ALL_ONE, _ALL_SAME))
    max_weights = np.maximum.reduceat(weights.astype(np.float64), block_starts)

    doc_lengths = lengths[ids]
    least = np.minimum.reduceat(np.where(doc_lengths > 0, doc_lengths, np.iinfo(np.int64).max), block_starts)
    most = np.maximum.reduceat(doc_lengths, block_starts)
    none = least == np.iinfo(np.int64).max
    min_bytes = [length_to_byte(None if empty else int(v)) for v, empty in zip(least.tolist(), none.tolist())]
    max_bytes = [length_to_byte(int(v)) for v in most.tolist()]
    # A term's totals, as TermInfo.add_block sums them block by block.
    block_term_starts = np.concatenate(([0], np.cumsum(blocks_per_term)[:-1]))
    term_min = np.minimum.reduceat(least, block_term_starts)
    term_min_none = term_min == np.iinfo(np.int64).max
    term_max = np.maximum.reduceat(most, block_term_starts)
    term_weights = np.add.reduceat(weights32.astype(np.float64), term_starts[:-1])
    term_max_weights = np.maximum.reduceat(max_weights, block_term_starts)

    positions = None
    if counts is not None:
        position_starts = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        count_widths = _widths(counts, block_starts)
        delta_widths = _widths(deltas, position_starts[block_starts])
        count_bytes = {w: counts.astype(_UINT_TYPES[w]).tobytes() for w in set(count_widths.tolist())}
        delta_bytes = {w: deltas.astype(_UINT_TYPES[w]).tobytes() for w in set(delta_widths.tolist())}
        positions = (position_starts.tolist(), count_widths.tolist(), delta_widths.tolist())

    id_list, starts, ends = ids.tolist(), block_starts.tolist(), block_ends.tolist()
    wide, layouts, max_weights = wide.tolist(), layouts.tolist(), max_weights.tolist()
    for term, first_block, nblocks, first, last, weight, top, shortest, empty, longest in zip(
            terms, block_term_starts.tolist(), blocks_per_term.tolist(), term_starts[:-1].tolist(),
            term_starts[1:].tolist(), term_weights.tolist(), term_max_weights.tolist(), term_min.tolist(),
            term_min_none.tolist(), term_max.tolist()):
        fieldwriter.start_term(term)
        pieces = [WHOOSH3_HEADER_MAGIC]
        for block in range(first_block, first_block + nblocks):
            start, end = starts[block], ends[block]
            width = 4 if wide[block] else 2
            layout = layouts[block]
            data = [b"", id_bytes[width][start * width:end * width]]
            if layout == _ALL_SAME:
                data.append(weight_bytes[start * 4:start * 4 + 4])
            elif layout == _EACH:
                data.append(weight_bytes[start * 4:end * 4])
            if positions is None:
                data[0] = _HEADER.pack(width, layout)
            else:
                position_starts, count_widths, delta_widths = positions
                cwidth, dwidth = count_widths[block], delta_widths[block]
                first_position, end_position = position_starts[start], position_starts[end]
                packed = b"".join((_WIDTHS.pack(cwidth, dwidth), count_bytes[cwidth][start * cwidth:end * cwidth],
                                   delta_bytes[dwidth][first_position * dwidth:end_position * dwidth]))
                flags = _ARRAY_POSITIONS | _PLAIN
                if len(packed) >= _MIN_COMPRESS:
                    compressed = zlib.compress(packed, compression)
                    if len(compressed) < len(packed):
                        packed, flags = compressed, _ARRAY_POSITIONS
                data[0] = _HEADER.pack(width, layout | flags)
                data.append(packed)
            data = b"".join(data)
            info = dumps((end - start, id_list[end - 1], max(0, max_weights[block]), 0, min_bytes[block],
                          max_bytes[block]), 2)
            size = len(info) + len(data)
            pieces += (_BLOCK_LENGTH.pack(-size if block == first_block + nblocks - 1 else size), info, data)
        postfile.write(b"".join(pieces))
        postwriter._blockcount = nblocks
        info = postwriter._terminfo
        info._weight, info._df = weight, last - first
        info._minlength, info._maxlength = None if empty else shortest, longest
        info._maxweight, info._minid, info._maxid = max(0, top), id_list[first], id_list[last - 1]
        fieldwriter.finish_term()


def _widths(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Bytes per value (1, 2 or 4) that each block's values need."""
    top = np.maximum.reduceat(values, starts)
    return np.where(top < 256, 1, np.where(top < 65536, 2, 4))


def _decode(data: bytes, count: int) -> tuple[np.ndarray, np.ndarray | float, int, int]:
    """(ids, weights or the one weight, offset of the positions, position flags) of one block's data."""
    width, layout = _HEADER.unpack_from(data)
    flags, layout = layout & ~_WEIGHTS, layout & _WEIGHTS
    at = _HEADER.size
    ids = np.frombuffer(data, dtype=_ID_TYPES[width], count=count, offset=at).cumsum(dtype=np.int64)
    at += width * count
    if layout == _ALL_ONE:
        return ids, 1.0, at, flags
    if layout == _ALL_SAME:
        return ids, float(np.frombuffer(data, dtype=_FLOAT, count=1, offset=at)[0]), at + 4, flags
    return ids, np.frombuffer(data, dtype=_FLOAT, count=count, offset=at), at + 4 * count, flags


def _array_positions(data, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(where each posting's positions start and end, the absolute positions) of array positions."""
    cwidth, dwidth = _WIDTHS.unpack_from(data)
    counts = np.frombuffer(data, dtype=_UINT_TYPES[cwidth], count=count, offset=_WIDTHS.size)
    deltas = np.frombuffer(data, dtype=_UINT_TYPES[dwidth], offset=_WIDTHS.size + cwidth * count)
    bounds = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    positions = np.cumsum(deltas, dtype=np.int64)
    positions -= np.repeat(positions[bounds[:-1]] - deltas[bounds[:-1]], counts)  # restart at each posting
    return bounds, positions


class KbLeafMatcher(W3LeafMatcher):
    """Whoosh's matcher over KbCodec blocks: ids and weights as arrays, positions decoded on demand."""

    _positions = None  # the current block's array positions, once read
    _decoded = None  # the current block's _decode, once read

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
            self._decoded = _decode(self._data, self._blocklength)
        return self._decoded

    def _read_ids(self):
        self._ids = self._block()[0].tolist()

    def _read_weights(self):
        weights = self._block()[1]
        self._weights = [weights] * self._blocklength if isinstance(weights, float) else weights.tolist()

    def _read_values(self):
        start, flags = self._block()[2:]
        if flags & _ARRAY_POSITIONS:
            data = self._data[start:] if flags & _PLAIN else zlib.decompress(self._data[start:])
            self._positions = _array_positions(data, self._blocklength)
            self._values = _EncodedPositions(*self._positions)
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
                block_ids, block_weights, _, _ = _decode(buffer[begin:end], count)
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


class _EncodedPositions:
    """A block's array positions as Whoosh's Positions format encodes each posting (for merges)."""

    def __init__(self, bounds: np.ndarray, positions: np.ndarray):
        self._bounds, self._positions = bounds, positions

    def __len__(self):
        return len(self._bounds) - 1

    def __getitem__(self, i: int) -> bytes:
        return _POSITIONS_FORMAT.encode(self._positions[self._bounds[i]:self._bounds[i + 1]].tolist())


_POSITIONS_FORMAT = Positions()


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
