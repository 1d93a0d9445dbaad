"""The support desk: the queue, answering, solving, publishing to the experience database, notices."""
from .routes import bp

__all__ = ["bp"]
