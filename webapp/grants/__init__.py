"""Remote-access grants on the customer's side ("Neuvontaoikeudet" / "Fjärråtkomst"), and support's."""
from .routes import bp

__all__ = ["bp"]
