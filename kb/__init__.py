"""kb: the domain of the support portal (no Flask, no Whoosh)."""
