"""Python sources parsed by the structure tests."""
from __future__ import annotations

import ast
import threading


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse` in a thread of its own. Once, in a full randomised run, CPython 3.11.7's AST constructor
    failed with "SystemError: AST constructor recursion depth mismatch" on a file that parses alone: its
    check compares the thread's recursion count before and after, and an earlier test's deep recursion in
    the same thread can leave that count off. A new thread starts from its own count."""
    result: dict = {}

    def work() -> None:
        try:
            result["tree"] = ast.parse(text, filename)
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["tree"]
