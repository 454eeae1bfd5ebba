"""The compatibility run: the student release on the stacks students have (`make compat`).

    python tools/compat.py [--cache DIR] [--stacks colab-2025-12,oldest,...] [--runs 5] [--table FILE]

For each stack of STACKS it builds (once, then reuses) a virtual environment in the cache folder,
outside the repository: a Python of that version (pyenv's, or python3.X on the PATH) with that
stack's packages, as a student has them (Colab's preinstalled versions; a laptop's `pip install -r
requirements.txt`; the oldest releases requirements.txt admits). Then, in that environment:

1. the filled reference notebook (examples/submissions/reference.ipynb) runs top to bottom (nbclient,
   a kernel of the stack's Python); on the Colab-like stack, in a kernel Colab's own as far as the
   notebook can tell (google.colab stand-in of tests/test_colab.py), from an empty folder, and
   `pip freeze` is compared before and after its first cell: what the release changes on Colab;
2. every public check runs RUNS times on the reference, on each notebook of valid variants
   (tests/test_variants.py) and on each mutant (tests/test_mutants.py), through the release's own
   test files (tools/compat_worker.py): right code must pass every run, and every failing run of a
   mutant must name its catalogued mistakes.

It prints a table (stack -> notebook ran, checks passed on right code, mistakes named) and exits 1
when a stack falls short. It is not part of `make test`: the first run downloads several GB (torch's
wheels on PyPI are CUDA builds), later runs reuse the cache.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignment"
REFERENCE = ROOT / "examples" / "submissions" / "reference.ipynb"
for path in (ROOT, ROOT / "tests", ROOT / "solutions"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# Colab's runtime of December 2025, as its published pip freeze gives it (the packages the notebook or
# its kernel touches). mlxtend is left out: the first cell installs it when Colab lacks it.
COLAB_2025_12 = ["torch==2.9.0", "numpy==2.0.2", "scipy==1.16.3", "scikit-learn==1.6.1", "matplotlib==3.10.0",
                 "pandas==2.2.2", "ipython==7.34.0", "ipykernel==6.17.1", "ipywidgets==7.7.1", "wrapt==2.0.1",
                 "jupyter-client==7.4.9"]
# The oldest release of each package requirements.txt admits (its lower bounds), on the oldest Python.
OLDEST = ["torch==2.4.1", "numpy==1.26.4", "scipy==1.11.4", "matplotlib==3.8.4", "scikit-learn==1.3.2",
          "mlxtend==0.23.1", "ipykernel"]


@dataclass
class Stack:
    python: str  # major.minor
    installs: list  # pip install argument lists, in order
    what: str
    colab: bool = False
    absent: list = field(default_factory=list)  # what the image lacks: uninstalled before every run


def requirements():
    return ["-r", str(RELEASE / "requirements.txt")]


STACKS = {
    "colab-2025-12": Stack("3.12", [COLAB_2025_12], "Colab's Dec 2025 image: Python 3.12, torch 2.9.0, numpy 2.0.2, "
                           "scikit-learn 1.6.1, matplotlib 3.10.0, IPython 7.34", colab=True, absent=["mlxtend"]),
    "oldest": Stack("3.10", [OLDEST], "Python 3.10 with the oldest releases requirements.txt admits: torch 2.4.1, "
                    "numpy 1.26.4, scikit-learn 1.3.2, matplotlib 3.8.4"),
    "kit": Stack("3.11", [["torch==2.13.0"], requirements(), ["ipykernel"]],
                 "Python 3.11, torch 2.13.0 (the grader's), the newest of the rest: pip install -r requirements.txt"),
    # pip here caps torch at 2.14.1 (the machine's constraint file): the newest it allows
    "newest": Stack("3.13", [["torch==2.14.1"], requirements(), ["ipykernel"]],
                    "Python 3.13, torch 2.14.1, the newest of the rest: pip install -r requirements.txt"),
}


def find_python(version, roots):
    """The interpreter of Python `version` (e.g. "3.12"): pyenv's, else python3.X on the PATH."""
    for root in roots:
        for candidate in sorted(Path(root).glob(f"{version}.*"), reverse=True):
            if (candidate / "bin" / "python").exists():
                return str(candidate / "bin" / "python")
    found = shutil.which(f"python{version}")
    if not found:
        raise SystemExit(f"no Python {version}: install it (pyenv install {version}) or put python{version} on the PATH")
    return found


def run(command, **kwargs):
    kwargs.setdefault("check", True)
    return subprocess.run([str(c) for c in command], **kwargs)


def pip(python, *arguments):
    return run([python, "-m", "pip", "--disable-pip-version-check", *arguments], capture_output=True, text=True)


def freeze(python):
    """{distribution name (lower case): version} installed in the environment."""
    lines = pip(python, "list", "--format=json").stdout
    return {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(lines)}


def build(name, stack, cache, python_roots):
    """The stack's environment (its python), made once: rebuilt only when its installs change."""
    folder = cache / name
    venv = folder / "venv"
    python = venv / "bin" / "python"
    stamp = folder / "stamp.json"
    wanted = {"python": stack.python, "installs": stack.installs, "absent": stack.absent,
              "requirements": (RELEASE / "requirements.txt").read_text()}
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return str(python)
    folder.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        run([find_python(stack.python, python_roots), "-m", "venv", venv])
    for arguments in stack.installs:
        print(f"  [{name}] pip install {' '.join(arguments)}", flush=True)
        pip(python, "install", "--quiet", *arguments)
    image = {k: v for k, v in freeze(python).items() if k not in stack.absent}
    (folder / "image.json").write_text(json.dumps(image, indent=1, sort_keys=True))
    stamp.write_text(json.dumps(wanted))
    return str(python)


def restore_image(python, folder):
    """Uninstall what a previous run installed (the Colab cell's mlxtend): the stack as built."""
    image = json.loads((folder / "image.json").read_text())
    extra = sorted(set(freeze(python)) - set(image))
    if extra:
        pip(python, "uninstall", "--yes", *extra)


# --- 1. the notebook, top to bottom ------------------------------------------------------------

def kernel_spec(folder, python, colab, env):
    spec = folder / "kernels" / "compat"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if colab:
        argv.append("--IPKernelApp.kernel_class=google.colab._kernel.Kernel")
    spec.joinpath("kernel.json").write_text(json.dumps({"argv": argv, "display_name": "compat", "language": "python",
                                                        "env": env}))
    return folder / "kernels"


def fake_colab(folder):
    """google.colab's stand-in (tests/test_colab.py), in folder/fake: its path."""
    from test_colab import FAKE_COLAB

    package = folder / "fake" / "google" / "colab"
    package.mkdir(parents=True, exist_ok=True)
    for name, source in FAKE_COLAB.items():
        (package / name).write_text(textwrap.dedent(source).lstrip())
    return folder / "fake"


def run_notebook(name, stack, python, cache):
    """{"ran", "error", "checks_passed", "checks", "seconds", "first_cell_seconds", "changed"}."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    work = Path(tempfile.mkdtemp(prefix=f"tp1-compat-{name}-"))
    content = work / "content"
    content.mkdir()
    env = {"OMP_NUM_THREADS": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    if stack.colab:  # Colab's /content is empty: the first cell fetches the course's files (the upload)
        env.update(PYTHONPATH=str(fake_colab(work)), FAKE_COLAB_LOG=str(work / "colab.log"),
                   FAKE_COLAB_UPLOAD=str(RELEASE / "tp1_ab_student.zip"), FAKE_COLAB_NOTEBOOK=str(work / "page.ipynb"))
    else:
        for part in ("tp1_support", "tests"):
            shutil.copytree(RELEASE / part, content / part)
    nb = nbformat.read(REFERENCE, as_version=4)
    # Colab's page holds the notebook (in Drive); on a laptop it is a file next to tp1_support/
    nbformat.write(nb, work / "page.ipynb" if stack.colab else content / "tp1_ab.ipynb")
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    kernels = kernel_spec(work, python, stack.colab, env)
    km = KernelManager(kernel_name="compat", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    before = freeze(python)
    client = NotebookClient(nb, km=km, timeout=1800, record_timing=True, allow_errors=True,
                            resources={"metadata": {"path": str(content)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    after = freeze(python)
    errors = [(i, o) for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if o.output_type == "error"]
    checks = {c.source.split('"')[1]: "".join(o.get("data", {}).get("text/plain", "") for o in c.outputs
                                              if o.output_type == "execute_result")
              for c in nb.cells if c.cell_type == "code" and c.source.startswith("grader.check(")}
    passed = [q for q, text in checks.items() if "public checks passed" in text]
    changed = {k: (before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
    return {"ran": not errors, "error": (f"cell {errors[0][0]}: {errors[0][1]['ename']}: {errors[0][1]['evalue'][:300]}"
                                         if errors else None),
            "checks": len(checks), "checks_passed": len(passed), "failed_checks": sorted(set(checks) - set(passed)),
            "seconds": round(seconds, 1), "first_cell_seconds": _cell_seconds(nb.cells[first]), "changed": changed}


def _cell_seconds(cell):
    import datetime

    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return round((parse(end) - parse(start)).total_seconds(), 2)


# --- 2. the public checks on the corpus --------------------------------------------------------

def corpus():
    """{notebook name: {"statements": the grader's program of it, "questions": [...], "expect": {question:
    [mistake ids]} (a mutant) or None (right code)}}: the reference, the valid variants, the mutants."""
    import nbformat

    from autograder import checks
    from autograder.pipeline.read import program_of
    from test_mutants import MUTANTS, mutated
    from test_variants import NOTEBOOKS, variant_notebook

    def statements(nb):
        return [s.source for s in program_of(nb).statements]

    entries = {"reference": {"statements": statements(nbformat.read(REFERENCE, as_version=4)),
                             "questions": list(checks.ORDER), "expect": None}}
    for name, group in NOTEBOOKS.items():
        entries[name] = {"statements": statements(variant_notebook(group)), "questions": list(checks.ORDER),
                         "expect": None}
    for mutant in MUTANTS:
        diagnoses = {q: sorted(ids) for q, ids in mutant.diagnoses().items()}
        entries[f"mutant {mutant.name}"] = {"statements": statements(mutated(mutant)), "questions": list(diagnoses),
                                            "expect": diagnoses}
    return entries


def run_checks(name, python, entries, runs, cache):
    work = Path(tempfile.mkdtemp(prefix=f"tp1-compat-checks-{name}-"))
    (work / "corpus.json").write_text(json.dumps({k: {"statements": v["statements"], "questions": v["questions"]}
                                                  for k, v in entries.items()}))
    out = work / "results.json"
    log = cache / name / "checks.log"
    with open(log, "w") as f:
        run([python, ROOT / "tools" / "compat_worker.py", RELEASE, work / "corpus.json", runs, out], cwd=work,
            stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    results = json.loads(out.read_text())
    right = wrong_pass = named = unnamed = crashed = 0
    right_total = mistake_total = 0
    misses, slowest = [], {}
    for notebook, entry in entries.items():
        for question, outcome in results["notebooks"][notebook].items():
            slowest[question] = max(slowest.get(question, 0.0), outcome["max_seconds"])
            crashed += len(outcome["errors"])
            misses += [f"{notebook} / {question}: {e}" for e in outcome["errors"]]
            if entry["expect"] is None:
                right_total += runs
                right += outcome["passed"]
                if outcome["passed"] < runs:
                    misses.append(f"{notebook} / {question}: failed {runs - outcome['passed']} of {runs} runs, "
                                  f"naming {outcome['named']}")
            else:
                expected = set(entry["expect"][question])
                mistake_total += runs
                wrong_pass += outcome["passed"]
                good = sum(1 for ids in outcome["named"] if expected <= set(ids))
                named += good
                unnamed += len(outcome["named"]) - good
                if good < runs:
                    misses.append(f"{notebook} / {question}: named {sorted(expected)} in {good} of {runs} runs "
                                  f"(passed {outcome['passed']}, named {outcome['named']})")
    return {"torch": results["torch"], "python": results["python"], "right": right, "right_total": right_total,
            "named": named, "mistake_total": mistake_total, "passed_wrongly": wrong_pass, "crashed": crashed,
            "misses": misses, "slowest_check_seconds": {q: round(s, 2) for q, s in slowest.items()}}


# --- the table ---------------------------------------------------------------------------------

def table(rows):
    lines = ["| stack | Python | torch | notebook ran | checks passed in the notebook | checks passed on right code "
             "| mistakes named | first cell on Colab |",
             "|---|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        nb, ch = row["notebook"], row["checks"]
        changed = nb["changed"]
        first = (f"{nb['first_cell_seconds']} s, changed: "
                 + (", ".join(f"{k} {a or '-'} -> {b or '-'}" for k, (a, b) in changed.items()) or "nothing")
                 if STACKS[name].colab else "")
        lines.append(f"| {name} | {ch['python']} | {ch['torch']} | {'yes' if nb['ran'] else 'NO: ' + nb['error']} "
                     f"({nb['seconds']:.0f} s) | {nb['checks_passed']}/{nb['checks']} | {ch['right']}/{ch['right_total']} "
                     f"| {ch['named']}/{ch['mistake_total']} | {first} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("TP1_COMPAT_CACHE",
                                                                          Path.home() / ".cache" / "tp1-ab-compat")),
                        help="where the stacks' environments live, outside the repository "
                             "(default: $TP1_COMPAT_CACHE or ~/.cache/tp1-ab-compat)")
    parser.add_argument("--stacks", default=",".join(STACKS), help=f"which stacks, comma-separated ({', '.join(STACKS)})")
    parser.add_argument("--runs", type=int, default=5, help="runs of each public check on each notebook (default 5)")
    parser.add_argument("--pythons", default=str(Path.home() / ".pyenv" / "versions"),
                        help="folders holding Pythons by version, as pyenv's (default ~/.pyenv/versions)")
    parser.add_argument("--table", type=Path, help="also write the table (Markdown) and the details (JSON) here")
    args = parser.parse_args(argv)
    names = [s for s in args.stacks.split(",") if s]
    unknown = [s for s in names if s not in STACKS]
    if unknown:
        parser.error(f"unknown stack {', '.join(unknown)}: the stacks are {', '.join(STACKS)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.cache.mkdir(parents=True, exist_ok=True)
    global RELEASE, REFERENCE  # a snapshot of the release: the run measures one build, whatever happens in the checkout
    snapshot = Path(tempfile.mkdtemp(prefix="tp1-compat-release-"))
    shutil.copytree(RELEASE, snapshot / "assignment", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REFERENCE, snapshot / "reference.ipynb")
    RELEASE, REFERENCE = snapshot / "assignment", snapshot / "reference.ipynb"
    entries = corpus()
    rows, ok = {}, True
    for name in names:
        stack = STACKS[name]
        print(f"{name}: {stack.what}", flush=True)
        python = build(name, stack, args.cache, args.pythons.split(os.pathsep))
        restore_image(python, args.cache / name)
        assert not set(stack.absent) & set(freeze(python)), f"{name}: {stack.absent} must be absent"
        notebook = run_notebook(name, stack, python, args.cache)
        print(f"  notebook: {'ran' if notebook['ran'] else notebook['error']} in {notebook['seconds']} s; "
              f"{notebook['checks_passed']}/{notebook['checks']} checks passed; first cell {notebook['first_cell_seconds']} s; "
              f"changed {notebook['changed'] or 'nothing'}", flush=True)
        checks = run_checks(name, python, entries, args.runs, args.cache)
        print(f"  checks: right code {checks['right']}/{checks['right_total']}, mistakes named "
              f"{checks['named']}/{checks['mistake_total']}", flush=True)
        for miss in checks["misses"][:30]:
            print(f"    {miss}")
        rows[name] = {"notebook": notebook, "checks": checks}
        (args.cache / name / "result.json").write_text(json.dumps(rows[name], indent=1))
        allowed = {"mlxtend"} if stack.colab else set()
        ok &= (notebook["ran"] and notebook["checks_passed"] == notebook["checks"]
               and checks["right"] == checks["right_total"] and checks["named"] == checks["mistake_total"]
               and set(notebook["changed"]) <= allowed and all(a is None for a, _ in notebook["changed"].values()))
    print()
    print(table(rows))
    if args.table:
        args.table.write_text(table(rows) + "\n")
        args.table.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
