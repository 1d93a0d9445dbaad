"""How posting lists are laid out on disk: Whoosh's W3 format with blocks that read as arrays.

Whoosh's W3 codec stores each block of up to 128 postings as one zlib-compressed pickle of
(document ids, weights, positions). Reading a block's ids unpickles and decompresses every position
with them; that is most of the time of a search over common words. KbCodec keeps W3's files, term
dictionary and block headers (so Whoosh's own matchers, skipping and merging work unchanged) and
writes each block's data as arrays (`blocks`), so `posting_arrays` turns a posting list into numpy
arrays without touching a position, and a phrase query's positions are sliced from arrays without
unpickling anything.

Index files pickle this class's path (`indexer.engine.codec.KbCodec`) in their table of contents:
moving or renaming it needs an alias at the old path (as `indexer/codec.py` is).
"""
from __future__ import annotations

import zlib
from array import array
from pickle import dumps

import numpy as np

from . import blocks
from ._whoosh import (WHOOSH3_HEADER_MAGIC, KbLeafMatcher, KbPostingsWriter, ListMatcher, W3Codec, W3TermInfo,
                      codec_settings, length_to_byte, postings_settings, write_term)


class KbCodec(W3Codec):
    """W3 with array-shaped posting blocks (see the module's docstring), 512 postings a block: reading a
    block costs a fixed ~15 µs whatever its size, and posting lists are read whole."""

    def __init__(self, blocklimit=512, compression=3, inlinelimit=1):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors: not used by this schema, kept in W3's format
            return super().postings_writer(dbfile, byteids=True)
        blocklimit, compression, inlinelimit = codec_settings(self)
        return KbPostingsWriter(dbfile, blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps the length as struct.unpack's 1-tuple
            length = length[0]
        return KbLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


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
    limit, compression = postings_settings(fieldwriter)
    compression = compression or 1
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
    id_bytes = {2: id_deltas.astype(blocks.ID_TYPES[2]).tobytes(), 4: id_deltas.astype(blocks.ID_TYPES[4]).tobytes()}

    weights32 = weights.astype(blocks.FLOAT)
    weight_bytes = weights32.tobytes()
    low, high = np.minimum.reduceat(weights32, block_starts), np.maximum.reduceat(weights32, block_starts)
    layouts = np.where(low != high, blocks.EACH, np.where(low == 1.0, blocks.ALL_ONE, blocks.ALL_SAME))
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
        count_widths = blocks.widths(counts, block_starts)
        delta_widths = blocks.widths(deltas, position_starts[block_starts])
        count_bytes = {w: counts.astype(blocks.UINT_TYPES[w]).tobytes() for w in set(count_widths.tolist())}
        delta_bytes = {w: deltas.astype(blocks.UINT_TYPES[w]).tobytes() for w in set(delta_widths.tolist())}
        positions = (position_starts.tolist(), count_widths.tolist(), delta_widths.tolist())

    id_list, starts, ends = ids.tolist(), block_starts.tolist(), block_ends.tolist()
    wide, layouts, max_weights = wide.tolist(), layouts.tolist(), max_weights.tolist()
    for term, first_block, nblocks, first, last, weight, top, shortest, empty, longest in zip(
            terms, block_term_starts.tolist(), blocks_per_term.tolist(), term_starts[:-1].tolist(),
            term_starts[1:].tolist(), term_weights.tolist(), term_max_weights.tolist(), term_min.tolist(),
            term_min_none.tolist(), term_max.tolist()):
        pieces = [WHOOSH3_HEADER_MAGIC]
        for block in range(first_block, first_block + nblocks):
            start, end = starts[block], ends[block]
            width = 4 if wide[block] else 2
            layout = layouts[block]
            data = [b"", id_bytes[width][start * width:end * width]]
            if layout == blocks.ALL_SAME:
                data.append(weight_bytes[start * 4:start * 4 + 4])
            elif layout == blocks.EACH:
                data.append(weight_bytes[start * 4:end * 4])
            if positions is None:
                data[0] = blocks.HEADER.pack(width, layout)
            else:
                position_starts, count_widths, delta_widths = positions
                cwidth, dwidth = count_widths[block], delta_widths[block]
                first_position, end_position = position_starts[start], position_starts[end]
                packed = b"".join((blocks.WIDTHS.pack(cwidth, dwidth),
                                   count_bytes[cwidth][start * cwidth:end * cwidth],
                                   delta_bytes[dwidth][first_position * dwidth:end_position * dwidth]))
                flags = blocks.ARRAY_POSITIONS | blocks.PLAIN
                if len(packed) >= blocks.MIN_COMPRESS:
                    compressed = zlib.compress(packed, compression)
                    if len(compressed) < len(packed):
                        packed, flags = compressed, blocks.ARRAY_POSITIONS
                data[0] = blocks.HEADER.pack(width, layout | flags)
                data.append(packed)
            data = b"".join(data)
            info = dumps((end - start, id_list[end - 1], max(0, max_weights[block]), 0, min_bytes[block],
                          max_bytes[block]), 2)
            size = len(info) + len(data)
            pieces += (blocks.BLOCK_LENGTH.pack(-size if block == first_block + nblocks - 1 else size), info, data)
        # The term's statistics, as W3TermInfo.add_block sums them block by block.
        write_term(fieldwriter, term, b"".join(pieces),
                   W3TermInfo(weight=weight, df=last - first, minlength=None if empty else shortest,
                              maxlength=longest, maxweight=max(0, top), minid=id_list[first], maxid=id_list[last - 1]))


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
