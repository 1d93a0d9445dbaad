"""Administration pages: organisations, users and roles, licences, catalogues, CSV import."""
from .routes import bp

__all__ = ["bp"]
