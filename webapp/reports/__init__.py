"""The Reports page for support and administrators (and a smaller one for a customer admin, about their
own organisations), its CSV files, and the figures' API (webapp/api/reports.py), over kb/reports.py."""
from .routes import bp

__all__ = ["bp"]
