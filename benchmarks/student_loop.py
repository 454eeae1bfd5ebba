"""The student's loop, timed (the numbers of docs/development.md, "The student's loop").

1. Each public check, as `grader.check("name")` runs it (tp1_support.checker reading the release's tests/ and
   calling tp1_support.checks), warm: torch imported and torch.optim's first import done, as the
   notebook's import cell does; the reference's functions; first call and the median of the next ones.
2. The release notebook, its TODO cells filled with the reference's, run top to bottom with nbclient
   in a folder that holds only the release, hand-in cell included: the whole run, and each check cell
   and the hand-in cell as the notebook recorded them. `--default-threads` runs it a second time
   without the notebook's `torch.set_num_threads(1)`.
3. The hand-in alone: make_handin_zip on the executed notebook.

    .venv/bin/python benchmarks/student_loop.py [--repeat 5] [--default-threads]
"""
import argparse
import contextlib
import datetime
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignment"
REFERENCE = ROOT / "examples" / "submissions" / "reference.ipynb"
QUESTIONS = ["init_params", "forward", "loss_accuracy", "backward", "sgd", "circles_accuracy", "init_params_autograd",
             "sgd_autograd", "init_model", "loss_accuracy_nn", "sgd_nn", "init_model_optim", "MNIST_HPARAMS",
             "mnist_accuracy", "fit_svm"]


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def filled_release(one_thread=True):
    """The release notebook with each TODO cell replaced by the reference's."""
    release, reference = nbformat.read(RELEASE / "tp1_ab.ipynb", as_version=4), nbformat.read(REFERENCE, as_version=4)
    for mine, theirs in zip(release.cells, reference.cells):
        if mine.cell_type == "code" and "TODO" in mine.source and "..." in mine.source:
            mine.source = theirs.source
        if not one_thread:
            mine.source = mine.source.replace("torch.set_num_threads(1)", "pass")
    return release


def reference_namespace(folder):
    """The release's setup and import cells, then the reference's definitions, run here (cwd: folder)."""
    import __main__

    from IPython.core.interactiveshell import InteractiveShell

    __main__.get_ipython = InteractiveShell.instance
    namespace = __main__.__dict__
    release = nbformat.read(RELEASE / "tp1_ab.ipynb", as_version=4)
    for source in [c.source for c in release.cells if c.cell_type == "code"][:2]:
        exec(source, namespace)
    for cell in nbformat.read(REFERENCE, as_version=4).cells:
        graded = tuple(f"def {q}(" for q in QUESTIONS) + ("# TODO: a dict",)
        if cell.cell_type == "code" and cell.source.lstrip().startswith(graded):
            exec(cell.source, namespace)
    namespace["mnist"] = namespace["MNISTData"]()
    return namespace


def time_checks(repeat):
    """({question: (first call, median of the next `repeat`)} in seconds, through grader.check; the folder)."""
    folder = Path(tempfile.mkdtemp(prefix="tp1-student-loop-"))
    for part in ("tp1_support", "tests"):
        shutil.copytree(RELEASE / part, folder / part)
    shutil.copy(RELEASE / "tp1_ab.ipynb", folder / "tp1_ab.ipynb")
    previous = os.getcwd()
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    try:
        namespace = reference_namespace(folder)
        grader = namespace["grader"]
        times = {}
        for question in QUESTIONS:
            runs = []
            for _ in range(repeat + 1):
                with contextlib.redirect_stdout(io.StringIO()):  # what the checks print
                    start = time.perf_counter()
                    result = grader.check(question, namespace)
                    runs.append(time.perf_counter() - start)
                if not result.passed_all:
                    raise SystemExit(f"the reference failed the public check of {question}:\n{result.summary()}")
            times[question] = (runs[0], statistics.median(runs[1:]))
    finally:
        os.chdir(previous)
    return times, folder


def cell_seconds(cell):
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run_notebook(one_thread=True):
    """(seconds for the whole run, {question: seconds of its check cell}, hand-in cell seconds, folder)."""
    folder = Path(tempfile.mkdtemp(prefix="tp1-notebook-run-"))
    for part in ("tp1_support", "tests"):
        shutil.copytree(RELEASE / part, folder / part)
    nb = filled_release(one_thread)
    nbformat.write(nb, folder / "tp1_ab.ipynb")
    start = time.perf_counter()
    NotebookClient(nb, timeout=1200, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    total = time.perf_counter() - start
    checks = {c.source.split('"')[1]: cell_seconds(c) for c in nb.cells
              if c.cell_type == "code" and c.source.startswith("grader.check(")}
    handin = next(cell_seconds(c) for c in nb.cells if "make_handin_zip()" in c.source)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    if errors:
        raise SystemExit(f"the notebook raised: {errors[0]['ename']}: {errors[0]['evalue']}")
    return total, checks, handin, folder


def time_handin(folder, repeat):
    from tp1_support.handin import make_handin_zip

    previous = os.getcwd()
    os.chdir(folder)
    try:
        runs = []
        for _ in range(repeat):
            with contextlib.redirect_stdout(io.StringIO()):  # what it prints
                start = time.perf_counter()
                make_handin_zip("tp1_ab.ipynb")
                runs.append(time.perf_counter() - start)
    finally:
        os.chdir(previous)
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="warm calls of each check (default 5)")
    parser.add_argument("--default-threads", action="store_true",
                        help="also run the notebook without its torch.set_num_threads(1)")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores; load average {load_average()}")

    print("\n1. Public checks through grader.check, warm (torch imported, torch.optim's first optimizer made), reference functions")
    times, checks_folder = time_checks(args.repeat)
    print(f"{'question':<22}{'first call':>12}{'median of ' + str(args.repeat):>14}")
    for question, (first, median) in times.items():
        print(f"{question:<22}{first:>11.3f}s{median:>13.3f}s")
    print(f"slowest median: {max(m for _, m in times.values()):.3f} s; load average {load_average()}")

    print("\n2. The release notebook, top to bottom, reference functions, hand-in included (nbclient)")
    total, checks, handin, folder = run_notebook()
    print(f"whole run, one thread (as the notebook sets): {total:.1f} s; load average {load_average()}")
    print("check cells as the notebook recorded them: " + ", ".join(f"{q} {s:.2f}s" for q, s in checks.items()))
    print(f"slowest check cell: {max(checks.values()):.2f} s; hand-in cell: {handin:.2f} s")
    if args.default_threads:
        total_default, *_ = run_notebook(one_thread=False)
        print(f"whole run, torch's default threads: {total_default:.1f} s; load average {load_average()}")

    print("\n3. The hand-in alone (make_handin_zip on the executed notebook's file)")
    runs = time_handin(folder, args.repeat)
    print(f"{', '.join(f'{r * 1000:.0f} ms' for r in runs)}; zip of {next(folder.glob('tp1_ab_*.zip')).stat().st_size // 1024} kB")
    for used in (folder, checks_folder):
        shutil.rmtree(used, ignore_errors=True)


if __name__ == "__main__":
    main()
