"""An alias kept for existing indexes: their table of contents pickles the codec as `indexer.codec.KbCodec`,
where it lived before the engine moved to indexer/engine/. Unpickling looks the class up by that path,
so without this module an index written before the move would not open. Indexes written since name
`indexer.engine.codec.KbCodec`; this module can go once no index of the old path is left (`kb reindex`)."""
from indexer.engine.codec import KbCodec

__all__ = ["KbCodec"]
