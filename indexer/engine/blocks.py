"""The bytes of one KbCodec posting block (see `codec`), as numpy arrays: no Whoosh class involved.

A block's data is

    header   bytes per id delta (2 or 4), and the layout byte: how the weights are kept | position flags
    ids      little-endian uint16 or uint32 deltas from the previous id (the first from 0)
    weights  nothing (all 1.0), one float32 (all equal) or one float32 per posting
    values   the positions, read only by phrase queries: either a zlib-compressed pickle of Whoosh's
             encoded values (blocks written a posting at a time: `kb index sync`, merges) or, flagged
             in the layout byte, each posting's number of positions and the positions as Whoosh's
             Positions format encodes them (deltas), as arrays of 1, 2 or 4 bytes a value,
             zlib-compressed when that saves bytes (a rebuild's blocks: `codec.write_field`)
"""
from __future__ import annotations

import struct
import zlib
from pickle import dumps

import numpy as np
from whoosh.formats import Positions

BLOCK_LENGTH = struct.Struct("!i")  # W3: before each block, negative for a posting list's last
HEADER = struct.Struct("<BB")  # bytes per id delta (2 or 4), weights layout | position flags
ALL_ONE, ALL_SAME, EACH = 0, 1, 2
WEIGHTS = 0x0F  # the weights layout's bits of the layout byte
ARRAY_POSITIONS = 0x80  # positions as arrays (else a pickle of Whoosh's values)
PLAIN = 0x40  # ... not compressed
WIDTHS = struct.Struct("<BB")  # array positions: bytes per count, bytes per delta (1, 2 or 4)
ID_TYPES = {2: np.dtype("<u2"), 4: np.dtype("<u4")}
UINT_TYPES = {1: np.dtype("u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4")}
MIN_COMPRESS = 64  # array positions shorter than this are stored as they are
FLOAT = np.dtype("<f4")


def encode(ids, weights, values: list | None, compression: int) -> bytes:
    """One block's data from its postings (a posting at a time: Whoosh's values pickled)."""
    ids = np.asarray(ids, dtype=np.int64)
    deltas = np.diff(ids, prepend=0)
    width = 2 if deltas.max() < 65536 else 4
    weights = np.asarray(weights, dtype=FLOAT)
    if (weights == 1.0).all():
        layout, weight_bytes = ALL_ONE, b""
    elif (weights == weights[0]).all():
        layout, weight_bytes = ALL_SAME, weights[:1].tobytes()
    else:
        layout, weight_bytes = EACH, weights.tobytes()
    value_bytes = b"" if values is None else zlib.compress(dumps(values, 2), compression or 1)
    return b"".join((HEADER.pack(width, layout), deltas.astype(ID_TYPES[width]).tobytes(), weight_bytes,
                     value_bytes))


def widths(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Bytes per value (1, 2 or 4) that each block's values need."""
    top = np.maximum.reduceat(values, starts)
    return np.where(top < 256, 1, np.where(top < 65536, 2, 4))


def decode(data: bytes, count: int) -> tuple[np.ndarray, np.ndarray | float, int, int]:
    """(ids, weights or the one weight, offset of the positions, position flags) of one block's data."""
    width, layout = HEADER.unpack_from(data)
    flags, layout = layout & ~WEIGHTS, layout & WEIGHTS
    at = HEADER.size
    ids = np.frombuffer(data, dtype=ID_TYPES[width], count=count, offset=at).cumsum(dtype=np.int64)
    at += width * count
    if layout == ALL_ONE:
        return ids, 1.0, at, flags
    if layout == ALL_SAME:
        return ids, float(np.frombuffer(data, dtype=FLOAT, count=1, offset=at)[0]), at + 4, flags
    return ids, np.frombuffer(data, dtype=FLOAT, count=count, offset=at), at + 4 * count, flags


def array_positions(data, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(where each posting's positions start and end, the absolute positions) of array positions."""
    cwidth, dwidth = WIDTHS.unpack_from(data)
    counts = np.frombuffer(data, dtype=UINT_TYPES[cwidth], count=count, offset=WIDTHS.size)
    deltas = np.frombuffer(data, dtype=UINT_TYPES[dwidth], offset=WIDTHS.size + cwidth * count)
    bounds = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    positions = np.cumsum(deltas, dtype=np.int64)
    positions -= np.repeat(positions[bounds[:-1]] - deltas[bounds[:-1]], counts)  # restart at each posting
    return bounds, positions


class EncodedPositions:
    """A block's array positions as Whoosh's Positions format encodes each posting (for merges)."""

    def __init__(self, bounds: np.ndarray, positions: np.ndarray):
        self._bounds, self._positions = bounds, positions

    def __len__(self):
        return len(self._bounds) - 1

    def __getitem__(self, i: int) -> bytes:
        return _POSITIONS_FORMAT.encode(self._positions[self._bounds[i]:self._bounds[i + 1]].tolist())


_POSITIONS_FORMAT = Positions()
