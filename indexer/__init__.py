"""Everything Whoosh: the experience database's schema, analysis, writing and searching."""
