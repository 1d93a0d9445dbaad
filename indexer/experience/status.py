"""What `kb index status` and the health endpoint report: documents, published tickets, how far behind
this node's index is, and every node's progress through the index feed."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from kb import index_feed
from kb.db import Database
from kb.models import Ticket

from . import watermark
from .drain import Replica
from .generations import Generations


def report(generations: Generations, database: Database, replica: Replica, searcher: Callable) -> dict:
    """Counts of the live generation (read with `searcher`) and of the database, the feed, and whether a
    rebuild runs."""
    generation = generations.live()
    applied = watermark.read(generations.folder(generation)) if generation else 0
    with database.session() as session:
        publishable = session.scalar(select(func.count()).select_from(Ticket).where(generations.kind.belongs()))
        head = index_feed.head(session)
        pending, oldest = index_feed.pending(session, applied)
        nodes = [{"node": n.name, "applied": n.applied, "behind": max(0, head - n.applied), "seen_at": n.seen_at}
                 for n in index_feed.nodes(session)]
        must_rebuild = index_feed.must_rebuild(session, applied)
    documents = searcher().doc_count() if generation else 0
    with generations.rebuild_lock() as free:
        rebuilding = not free
    return {"generation": generation, "documents": documents, "published": publishable,
            "node": replica.node, "applied": applied, "head": head, "behind": max(0, head - applied),
            "pending": pending, "oldest_pending": oldest, "must_rebuild": must_rebuild,
            "rebuilding": rebuilding, "nodes": nodes}


def lag(generations: Generations, database: Database, replica: Replica) -> dict:
    """This node's progress through the feed, without counting documents: cheap enough for a load
    balancer's health check every few seconds."""
    generation = generations.live()
    applied = watermark.read(generations.folder(generation)) if generation else 0
    with database.session() as session:
        head = index_feed.head(session)
        must_rebuild = index_feed.must_rebuild(session, applied)
    with generations.rebuild_lock() as free:
        rebuilding = not free
    return {"node": replica.node, "generation": generation, "applied": applied, "head": head,
            "behind": max(0, head - applied), "must_rebuild": must_rebuild, "rebuilding": rebuilding}
