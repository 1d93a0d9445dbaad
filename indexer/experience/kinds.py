"""The two indexes every node keeps, each a replica fed by the index feed (kb/index_feed.py): what a
kind of index holds, and how its documents are read from the database."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select
from whoosh.fields import Schema

from ..documents import desk_document, desk_rows, document, every_ticket, published, published_rows
from ..schema import DESK_INDEX_NAME, INDEX_NAME, build_desk_schema, build_schema


@dataclass(frozen=True)
class IndexKind:
    name: str  # the Whoosh index name in each generation's folder
    schema: Callable[[], Schema]
    rows: Callable[[], Select]  # every document's row, in ticket order
    document: Callable[[tuple], dict]  # a row as the document's fields
    belongs: Callable[[], ColumnElement[bool]]  # the condition of a ticket that has a document
    node_suffix: str = ""  # this kind's replica name: the node's name and this
    sparse: bool = False  # holds only some tickets: a change to any other costs no writer (drain._skip_batch)


EXPERIENCE = IndexKind(INDEX_NAME, build_schema, published_rows, document, published, sparse=True)
DESK = IndexKind(DESK_INDEX_NAME, build_desk_schema, desk_rows, desk_document, every_ticket, "/desk")
