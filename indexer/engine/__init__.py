"""kb's search engine: the parts of Whoosh's W3 format and scoring that kb re-implements, fenced in.

What the rest of kb uses (indexer/experience/, indexer/searching.py):

- `create_index`, `open_index`: an index folder, its files memory-mapped or read with pread (`storage`);
  `WRITER_OPTIONS`: what every Whoosh writer of it is opened with (`ix.writer(**WRITER_OPTIONS)`).
- `write_segments`, `commit`, `WriterFailed`: a rebuild's segments written in bulk, then listed (`bulk`).
- `ranker`, `Evaluation`, `SCORING`: a query scored over the whole index with numpy, and the facet
  counts of what it matched (`Ranker.facet_counts`) (`ranking`).
- `merge_matched_tokens`: the highlighter step the snippets need.
- `share_segments`: a new searcher reuses what earlier ones read of the same segments; `holds`: whether
  an index has a term, each segment's answer kept.

Modules: `_whoosh` (the only one touching Whoosh's internals; checks its version), `blocks` (the bytes
of a posting block), `codec` (KbCodec: W3 with those blocks; a field's posting lists written at once),
`postings` (a rebuild segment's postings as arrays), `bulk` (rebuild writers and processes), `storage`
(how files are read), `ranking` (BM25F over posting arrays).
"""
from __future__ import annotations

from ._whoosh import UnsupportedWhoosh, merge_matched_tokens
from .bulk import WriterFailed, commit, write_segments
from .codec import KbCodec
from .ranking import SCORING, Evaluation, Postings, Ranker, Scored, Scoring, holds, ranker, share_segments
from .storage import WRITER_OPTIONS, create_index, open_index

__all__ = ["SCORING", "WRITER_OPTIONS", "Evaluation", "KbCodec", "Postings", "Ranker", "Scored", "Scoring",
           "UnsupportedWhoosh", "WriterFailed", "commit", "create_index", "holds", "merge_matched_tokens",
           "open_index", "ranker", "share_segments", "write_segments"]
