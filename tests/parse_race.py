"""Four threads parse the same code while a garbage collection during the parse runs a finalizer that
gives the interpreter lock away: CPython 3.11's shared AST recursion counter then fails one of them with
`SystemError: AST constructor recursion depth mismatch`. Run as a script (it changes the collector's
thresholds): `python tests/parse_race.py door|ast`, prints how many parses failed that way."""
import ast
import gc
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.pyparse import parse  # noqa: E402

PARSE = parse if sys.argv[1] == "door" else ast.parse
SOURCE = "\n".join(f"def f{i}(x):\n    return [y for y in x if (y + {i}) * 2 > 3]" for i in range(200))


class GivesTheLockAway:
    def __del__(self):
        time.sleep(0.0005)


def garbage(n=5):
    """Cycles the collector frees only during a later allocation, here during a parse."""
    for _ in range(n):
        a, b = GivesTheLockAway(), GivesTheLockAway()
        a.other, b.other = b, a


failures = []


def worker(depth):
    if depth:  # each thread parses at another stack depth, so the counters' starting values differ
        return worker(depth - 1)
    for _ in range(30):
        garbage()
        try:
            PARSE(SOURCE)
        except SystemError as e:
            failures.append(str(e))


gc.set_threshold(2000)
threads = [threading.Thread(target=worker, args=(d,)) for d in (0, 40, 80, 120)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(failures))
