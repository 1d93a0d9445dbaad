"""The support desk: the queue, answering, solving, publishing to the experience database, notices, and
finding any ticket."""
from . import find  # noqa: F401  (its routes)
from .routes import bp

__all__ = ["bp"]
