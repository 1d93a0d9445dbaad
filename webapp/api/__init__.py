"""The JSON API, version 1."""
from . import tickets  # noqa: F401  (registers the tickets routes)
from .routes import bp

__all__ = ["bp"]
