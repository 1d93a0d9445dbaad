"""Run in a fresh process: open an index, run a query mix with snippets, print the peak RSS in MB and
the private part of the RSS at the end (anonymous memory: what the process does not share; the rest
is index files mapped from the page cache, shared by every process that reads the index)."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    folder, queries_file = Path(sys.argv[1]), Path(sys.argv[2])
    from indexer.searching import SearchRequest
    from indexer.experience import ExperienceIndex

    index = ExperienceIndex(folder)
    for query in json.loads(queries_file.read_text(encoding="utf-8")):
        index.search(SearchRequest(text=query, as_you_type=False))
        index.suggest(query[:4])
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    private = int(status.get("RssAnon", "0 kB").split()[0]) / 1024
    # VmHWM, not getrusage's ru_maxrss: that one keeps the parent's peak when the parent forks this
    # process (subprocess's vfork + exec), so it measured the benchmark's own memory at 100 000 tickets.
    print(int(status["VmHWM"].split()[0]) / 1024, private)


if __name__ == "__main__":
    main()
