"""Runs every public check of a corpus in one student stack (tools/compat.py starts it there).

    python compat_worker.py RELEASE_DIR CORPUS.json RUNS RESULTS.json

Standard library, torch and the release's own tp1_support only (the stack is the student's: no kit
package is installed in it). For each notebook of the corpus, its definitions (the grader's program
of it, made by tools/compat.py) run once; then each question's public check runs RUNS times, through
the release's test file (tests/QUESTION.py, as grader.check runs it). Prints, as JSON, for each
notebook and question: the runs that passed, and the catalogue ids each failing run named (what the
checks print goes to standard output, as in a notebook).
"""
import builtins
import dataclasses
import functools
import inspect
import json
import sys
import time


def trusted_names(torch):
    """What `__tp1_trusted__[...]` means in the grader's program (autograder/untrusted/runner.py)."""
    names = {name: getattr(builtins, name) for name in ("dict", "list", "tuple", "set", "frozenset", "int", "float",
                                                         "bool", "str", "range", "slice", "complex", "staticmethod",
                                                         "classmethod", "property")}
    names.update(wraps=functools.wraps, cache=functools.cache, lru_cache=functools.lru_cache,
                 cached_property=functools.cached_property, dataclass=dataclasses.dataclass,
                 no_grad=torch.no_grad, enable_grad=torch.enable_grad, inference_mode=torch.inference_mode)
    return names


def main(release, corpus_path, runs, out):
    sys.path.insert(0, release)
    import torch

    torch.set_num_threads(1)
    from tp1_support import MNISTData
    from tp1_support.checker import _load
    from tp1_support.checks import PublicCheckFailed

    with open(corpus_path) as f:
        corpus = json.load(f)
    mnist = MNISTData()
    cases = {}
    results = {"torch": torch.__version__, "python": sys.version.split()[0], "notebooks": {}}
    for name, notebook in corpus.items():
        ns = {"__name__": "__main__", "__tp1_trusted__": trusted_names(torch), "mnist": mnist}
        for source in notebook["statements"]:
            try:
                exec(compile(source, f"<{name}>", "exec"), ns)  # noqa: S102 - the corpus's own notebooks
            except Exception:  # noqa: BLE001 - as at grading: one broken statement does not stop the rest
                pass
        outcome = {}
        for question in notebook["questions"]:
            if question not in cases:
                cases[question] = _load(f"{release}/tests/{question}.py")[0]["function"]
            check = cases[question]
            arguments = [ns.get(p) for p in inspect.signature(check).parameters]
            passed, named, errors, seconds = 0, [], [], []
            for _ in range(runs):
                start = time.perf_counter()
                try:
                    check(*arguments)
                    passed += 1
                except PublicCheckFailed as e:
                    named.append(sorted(e.mistakes))
                except Exception as e:  # noqa: BLE001 - a check that crashed: the run reports it
                    errors.append(f"{type(e).__name__}: {str(e)[:300]}")
                seconds.append(time.perf_counter() - start)
            outcome[question] = {"passed": passed, "named": named, "errors": errors, "max_seconds": max(seconds)}
        results["notebooks"][name] = outcome
    with open(out, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
