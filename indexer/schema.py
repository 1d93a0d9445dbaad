"""The schemas of kb's two indexes, the experience database and support's desk index: which fields exist
and what each is for."""
from __future__ import annotations

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from kb.config import LANGUAGES

from .analysis import language_analyzer

INDEX_NAME = "experience"
DESK_INDEX_NAME = "desk"  # support's index of every ticket (see build_desk_schema)

# The searchable parts of a ticket, and which of them each search mode looks in ("Fritext" is all of them).
PARTS = ("title", "problem", "solution")
MODES = {"free": PARTS, "problem": ("problem",), "solution": ("solution",)}
BOOSTS = {"title": 2.0, "problem": 1.0, "solution": 1.0}
# The fields a search filters on and counts (the search page's facets), in the order they are shown.
FACETS = ("product", "category", "version", "language")


class ResolvedDate(DATETIME):
    """A date kept for "newest first" (a column) and display (stored), never searched: not indexed, so a
    ticket costs no terms for it (Whoosh indexes a date as 8 terms of ever coarser precision, for ranges)."""

    indexed = False


def analyzed_field(part: str, language: str) -> str:
    """The field holding a part's lemmas and compound parts in one language, e.g. problem_sv."""
    return f"{part}_{language}"


def _analyzed_fields() -> dict:
    """Every part in every language: lemmas and compound parts, folded, in the document's own language;
    positions for phrases. Their vocabulary also serves as-you-type prefixes and "did you mean"."""
    return {analyzed_field(part, language): TEXT(analyzer=language_analyzer(language), phrase=True,
                                                 field_boost=BOOSTS[part])
            for part in PARTS for language in LANGUAGES}


def build_schema() -> Schema:
    fields = {
        "number": ID(stored=True, unique=True),  # the ticket number: the document's key
        "language": ID(stored=True),  # facet: sv or fi
        "product": ID(stored=True, sortable=True),  # facet: product code
        "category": ID(stored=True, sortable=True),  # facet: category code
        "version": ID(stored=True, sortable=True),  # facet: version code
        "resolved": ResolvedDate(stored=True, sortable=True),  # for "newest first" and display
        "title": STORED(),  # the subject as published, for display
        "problem": STORED(),  # the published problem as plain text, for snippets
        "solution": STORED(),  # the published solution as plain text, for snippets
    }
    return Schema(**fields, **_analyzed_fields())


# The desk index: every ticket, open or closed, published or not, for support's "Find any ticket". Its
# parts are the same three, analysed the same way, so the experience database's query and ranking serve
# it unchanged: title is the subject, problem the description with every comment and internal note,
# solution the solution as support wrote it. Customers never reach it (webapp/support/).
DESK_FACETS = ("organisation", "status", "product", "language")


class RegisteredDate(ResolvedDate):
    """When a ticket was registered: the desk index's "newest first" and date filter (not searched)."""


def build_desk_schema() -> Schema:
    fields = {
        "number": ID(stored=True, unique=True),
        "language": ID(stored=True),
        "organisation": ID(stored=True, sortable=True),  # filter: organisation id
        "status": ID(stored=True, sortable=True),  # filter: status as stored
        "product": ID(stored=True, sortable=True),  # filter: product code
        "registered": RegisteredDate(stored=True, sortable=True),  # filter and order
        "title": STORED(),
        "problem": STORED(),
        "solution": STORED(),
    }
    return Schema(**fields, **_analyzed_fields())
