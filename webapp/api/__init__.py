"""The JSON API, version 1."""
from .routes import bp

__all__ = ["bp"]
