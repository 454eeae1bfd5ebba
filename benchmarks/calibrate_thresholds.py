"""Calibrate the accuracy thresholds of autograder/points.toml ([thresholds.*]).

For circles_accuracy, mnist_accuracy and fit_svm, runs the grader's own training loop (the probes of
autograder/untrusted/probes/, called in this process on trusted code) on
- the reference, over many seeds: each seed draws another hidden Circles test set and another
  initialisation and batch order, as a grading run with another seed would;
- the catalogued mistakes that reach these questions (the mutants of tests/test_mutants.py, applied
  to autograder/reference.py), over fewer seeds: they only need to show where they land;
then prints the distributions and the thresholds it recommends: `full` such that the reference
reaches it on at least 99 of 100 seeds, `half` below it and above every mistake that breaks the
training. For circles_accuracy it first recommends the training accuracy after which the grader
trains no more runs (CIRCLES_ENOUGH_TRAIN_ACCURACY in autograder/checks/accuracy.py), then grades
every seed as the grader does with the value in use. Run by hand: `.venv/bin/python benchmarks/calibrate_thresholds.py [--seeds 100] [--jobs 2]`
(about 5 minutes on 2 cores).
"""
import argparse
import ast
import functools
import math
import multiprocessing
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from autograder import checks  # noqa: E402
from autograder.pipeline.inputs import BASE_SEED  # noqa: E402
from autograder.checks import accuracy  # noqa: E402
from autograder.untrusted import probes  # noqa: E402
from test_mutants import MUTANTS  # noqa: E402
from test_variants import VARIANTS  # noqa: E402

REFERENCE_SOURCE = (ROOT / "autograder" / "reference.py").read_text()
STEP = 0.01  # thresholds are multiples of this
MAX_LOWER = 4  # how many STEPs full may go under the reference's bound to let harmless mistakes pass


def namespace(mutant=None):
    """The reference's functions, with the edits of a mutant (tests/test_mutants.py) or of a valid
    variant (tests/test_variants.py, with its helper) applied to its function, as in those corpora."""
    source = REFERENCE_SOURCE
    if mutant is not None:
        tree = ast.parse(source)
        node = next(n for n in tree.body if (isinstance(n, ast.FunctionDef) and n.name == mutant.function) or (
            isinstance(n, ast.Assign) and any(getattr(t, "id", None) == mutant.function for t in n.targets)))
        segment = ast.get_source_segment(source, node)
        edited = segment
        for edit in mutant.edits:
            old, new, count = (*edit, 1) if len(edit) == 2 else edit
            assert edited.count(old) == count, (mutant.name, old)
            edited = edited.replace(old, new)
        source = source.replace(segment, (getattr(mutant, "helper", "") + "\n\n" + edited).lstrip())
    ns = {"__name__": "reference"}
    exec(compile(source, "reference.py", "exec"), ns)
    return ns


def circles_runs(ns, seed):
    """Every one of the grader's training runs, without stopping early: (runs, 2) array of (training
    accuracy, hidden accuracy), measured as the grader measures them (from the trained parameters).
    Each run has its own seeds, so what a grading run that stops early scores is a function of these
    (circles_score)."""
    arrays, params = accuracy.circles_accuracy_inputs(seed)
    params = dict(params, enough_train_accuracy=None, hopeless_train_accuracy=None)
    out, meta = {}, {}
    torch.manual_seed(seed)
    probes.probe_circles_accuracy(ns, arrays, params, out, meta)
    runs, _ = accuracy.circles_runs(arrays, params, probes.only_arrays(out), probes.only_json(meta))
    measured = [(r.get("train_accuracy", 0.0), r.get("accuracy", 0.0)) if r["complete"] else (0.0, 0.0) for r in runs]
    measured += [(0.0, 0.0)] * (params["runs"] - len(measured))
    return np.array(measured)


def circles_score(runs, enough, hopeless=accuracy.CIRCLES_HOPELESS_TRAIN_ACCURACY):
    """What judge_circles_accuracy grades: the best hidden accuracy of the runs the probe makes, when
    it stops after the first run whose training accuracy reaches `enough` or stays at `hopeless` or
    below (None: never)."""
    stop = np.zeros(len(runs), dtype=bool)
    if enough is not None:
        stop |= runs[:, 0] >= enough
    if hopeless is not None:
        stop |= runs[:, 0] <= hopeless
    made = np.flatnonzero(stop)[0] + 1 if stop.any() else len(runs)
    return runs[:made, 1].max(), made


def recommend_enough(reference):
    """The lowest training accuracy (a multiple of STEP) at which stopping early costs the reference's
    worst seed nothing against the best of all the runs: a run that reaches it is a good run."""
    worst = min(circles_score(runs, None, None)[0] for runs in reference)
    for enough in np.arange(0.5, 1.0 + STEP / 2, STEP):
        if min(circles_score(runs, enough)[0] for runs in reference) >= worst:
            return round(float(enough), 2)
    return None


def _judged_accuracy(qid, ns, seed, arrays, params):
    """The accuracy the grader measures for question qid (0 when it cannot)."""
    out, meta = {}, {}
    torch.manual_seed(seed)
    np.random.seed(seed)
    try:
        probes.PROBES[qid](ns, arrays, params, out, meta)
    except Exception:  # noqa: BLE001 - a mistake that makes the probe fail scores 0
        return 0.0
    question = checks.BY_ID[qid]
    verdict = checks.judge(question, arrays, params, probes.only_arrays(out), probes.only_json(meta))
    return float(verdict.figures.get("accuracy", 0.0))


def mnist_accuracy(ns, seed):
    arrays, params = accuracy.mnist_accuracy_inputs(seed)
    return _judged_accuracy("mnist_accuracy", ns, seed, arrays, params)


def svm_accuracy(ns, seed):
    arrays, params = accuracy.fit_svm_inputs(seed)
    return _judged_accuracy("fit_svm", ns, seed, arrays, params)


QUESTIONS = {  # question: (measure, the functions whose mistakes reach it, seeds per mistake)
    "circles_accuracy": (circles_runs, {"forward", "backward", "sgd"}, 10),  # from the grader's initial parameters
    "mnist_accuracy": (mnist_accuracy, {"init_model", "init_model_optim", "loss_accuracy_nn", "MNIST_HPARAMS"}, 5),
    "fit_svm": (svm_accuracy, {"fit_svm"}, 100),
}
MUTANT = {m.name: m for m in MUTANTS}


def applies(variant):
    """Whether a variant's edits (written against the notebook's cell) find their text in reference.py."""
    try:
        namespace(variant)
        return True
    except (AssertionError, StopIteration):
        return False


# Correct solutions written differently: graded on no question, so they must reach `full` as well.
VARIANT = {v.name: v for v in VARIANTS if applies(v)}
MUTANT.update(VARIANT)


@functools.cache
def cached_namespace(name):
    return namespace(MUTANT.get(name))


def measure_one(task):
    qid, name, seed = task
    torch.set_num_threads(1)
    try:
        return QUESTIONS[qid][0](cached_namespace(name), seed)
    except Exception:  # noqa: BLE001 - a mistake that makes training crash scores 0, as in grading
        return np.zeros((accuracy.CIRCLES_RUNS, 2)) if qid == "circles_accuracy" else 0.0


def run_all(tasks, jobs):
    """{(qid, name): array of accuracies over the seeds}, computed by `jobs` processes."""
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            values = pool.map(measure_one, tasks, chunksize=1)
    else:
        values = list(map(measure_one, tasks))
    grouped = {}
    for (qid, name, _), value in zip(tasks, values):
        grouped.setdefault((qid, name), []).append(value)
    return {key: (v if key[0] == "circles_accuracy" else np.array(v)) for key, v in grouped.items()}


def describe(values):
    p = np.percentile(values, [1, 5, 50])
    return (f"min {values.min():.3f}  p1 {p[0]:.3f}  p5 {p[1]:.3f}  median {p[2]:.3f}  mean {values.mean():.3f}  "
            f"max {values.max():.3f}")


def below(x):
    """The multiple of STEP one STEP below x, rounded down."""
    return math.floor(round(x / STEP, 6)) * STEP - STEP


def recommend(reference, broken, harmless):
    """full: one STEP below the reference's worst seed (so the reference passes on every seed, more than
    the 99 of 100 asked), and one STEP below the worst seed of the mistakes graded on their own question
    (a Sigmoid model still learns MNIST: init_model charges it, not the accuracy), but at most
    MAX_LOWER STEPs under the reference's; half: one STEP above the best seed of the mistakes that
    break the training, or 0.1 below full if that is higher."""
    full = below(reference.min())
    full = max(min([full] + [below(v.min()) for v in harmless.values()]), full - MAX_LOWER * STEP)
    best_broken = max((v.max() for v in broken.values()), default=0.0)
    half = math.ceil(round(max(best_broken + STEP, full - 0.1) / STEP, 6)) * STEP
    return round(full, 2), round(min(half, full - STEP), 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=100, help="seeds for the reference (default 100)")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--only", choices=sorted(QUESTIONS), action="append", help="calibrate these questions only")
    args = parser.parse_args(argv)
    with open(ROOT / "autograder" / "points.toml", "rb") as f:
        current = tomllib.load(f)["thresholds"]
    start = time.monotonic()
    grading_seed = {q.id: BASE_SEED + 7919 * i for i, q in enumerate(checks.QUESTIONS)}
    for qid, (_, functions, mistake_seeds) in QUESTIONS.items():
        if args.only and qid not in args.only:
            continue
        t = time.monotonic()
        mutants = [m for m in MUTANTS if m.function in functions] + [
            v for v in VARIANT.values() if v.function in functions]
        tasks = [(qid, None, seed) for seed in range(args.seeds)]
        tasks += [(qid, m.name, seed) for m in mutants for seed in range(mistake_seeds)]
        tasks += [(qid, name, grading_seed[qid]) for name in [None] + [m.name for m in mutants]]
        values = run_all(tasks, args.jobs)
        if qid == "circles_accuracy":
            all_runs = values[(qid, None)][:-1]
            enough = recommend_enough(all_runs)
            made = np.mean([circles_score(runs, enough)[1] for runs in all_runs])
            print(f"\n== circles_accuracy: stop after a run of training accuracy {enough} or more (recommended; "
                  f"{made:.2f} runs on average for the reference; the reference's worst seed scores "
                  f"{min(circles_score(r, enough)[0] for r in all_runs):.3f}, as with all "
                  f"{accuracy.CIRCLES_RUNS} runs). Now: {accuracy.CIRCLES_ENOUGH_TRAIN_ACCURACY}; graded below "
                  "with the value now in use.")
            fine = [runs for (_, name), v in values.items() for runs in v[:-1]
                    if name is None or qid not in getattr(MUTANT[name], "loses", ())]
            lowest = min(runs[:, 0].min() for runs in fine)
            print(f"  stop after a run of training accuracy {accuracy.CIRCLES_HOPELESS_TRAIN_ACCURACY} or less (about "
                  f"chance): the lowest training accuracy of any run of the reference, a variant or a mistake "
                  f"graded elsewhere is {lowest:.3f}"
                  + ("" if lowest > accuracy.CIRCLES_HOPELESS_TRAIN_ACCURACY + 0.05 else
                     " -- WARNING: too close; lower CIRCLES_HOPELESS_TRAIN_ACCURACY"))
            values = {key: np.array([circles_score(runs, accuracy.CIRCLES_ENOUGH_TRAIN_ACCURACY)[0] for runs in v])
                      for key, v in values.items()}
        at_grading = {name: values[(qid, name)][-1] for name in [None] + [m.name for m in mutants]}
        values = {key: v[:-1] for key, v in values.items()}
        reference = values[(qid, None)]
        print(f"\n== {qid}: the reference over {args.seeds} seeds, each mistake or variant over {mistake_seeds} "
              f"({time.monotonic() - t:.0f} s); last column: at the grader's own seed")
        print(f"  {'reference':<28} {describe(reference)}  | {at_grading[None]:.3f}")
        broken = {m.name: values[(qid, m.name)] for m in mutants if qid in getattr(m, "loses", ())}
        harmless = {m.name: values[(qid, m.name)] for m in mutants if qid not in getattr(m, "loses", ())}
        for title, group in (("mistakes that must fail (they break the training)", broken),
                             ("valid variants, and mistakes graded on their own question only", harmless)):
            if group:
                print(f"  {title}:")
                for name, v in sorted(group.items(), key=lambda kv: -kv[1].max()):
                    print(f"    {name:<26} {describe(v)}  | {at_grading[name]:.3f}")
        full, half = recommend(reference, broken, harmless)
        best_broken = max((v.max() for v in broken.values()), default=float("nan"))
        print(f"  recommended: full = {full:.2f} (the reference reaches it on {int((reference >= full).sum())}/"
              f"{len(reference)} seeds), half = {half:.2f} (best seed of a mistake that must fail: {best_broken:.3f})")
        below = {name: int((v < full).sum()) for name, v in harmless.items() if (v < full).any()}
        if below:
            print("  note: below full on some seeds, although graded on their own question: "
                  + ", ".join(f"{name} ({n}/{mistake_seeds})" for name, n in below.items()))
        if best_broken >= half:
            print("  WARNING: a mistake that must fail reaches half: no threshold separates it")
        print(f"  points.toml now: full = {current[qid]['full']}, half = {current[qid]['half']}")
    print(f"\ntotal {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
