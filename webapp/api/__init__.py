"""The JSON API, version 1."""
from . import canned, reports, tickets, users  # noqa: F401  (register their routes)
from .routes import bp

__all__ = ["bp"]
