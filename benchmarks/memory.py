"""Run in a fresh process: open an index, run a query mix with snippets, print the peak RSS in MB."""
from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def main() -> None:
    folder, queries_file = Path(sys.argv[1]), Path(sys.argv[2])
    from indexer.searching import SearchRequest
    from indexer.store import ExperienceIndex

    index = ExperienceIndex(folder)
    for query in json.loads(queries_file.read_text(encoding="utf-8")):
        index.search(SearchRequest(text=query, as_you_type=False))
        index.suggest(query[:4])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main()
