"""The grading engine against stock `otter run`, on the same submissions, side by side: make bench.

20 submissions (the shipped samples, copied round-robin) are graded by both, one after another on
one core for the per-submission times, then by the engine with --jobs 2; then a class of 200 copies
with --jobs 2. Prints a table per submission and the amortised seconds per submission per core.
Options: --submissions N (default 20, 0 to skip), --class-size N (default 200, 0 to skip), --skip-otter.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import grade  # noqa: E402

SAMPLES = ROOT / "examples" / "submissions"
OTTER_ZIP = ROOT / "autograder" / "dist" / "tp1_ab-otter.zip"


def make_class(folder, size):
    """`size` submissions copied round-robin from the samples (stock Otter cannot grade an unfilled one
    faster or slower than a filled one, so all the samples count)."""
    folder.mkdir(parents=True)
    samples = sorted(SAMPLES.glob("*.ipynb"))
    paths = []
    for i in range(size):
        sample = samples[i % len(samples)]
        path = folder / f"s{i:03d}_{sample.stem}.ipynb"
        shutil.copy2(sample, path)
        paths.append(path)
    return paths


def otter_run(path, out):
    out.mkdir(parents=True)
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(OTTER_ZIP), "-o", str(out), str(path)],
                         capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - start
    ok = run.returncode == 0 and (out / "results.json").exists()
    return seconds, ok


def engine(paths, out, jobs):
    start = time.monotonic()
    results = grade.grade_all(paths, out, jobs=jobs, progress=False, use_cache=False)
    return time.monotonic() - start, results


def side_by_side(paths, work, skip_otter):
    """The submissions one at a time on one core (the engine's per-submission times include the
    worker's start-up only for the first one, as in a real batch; then stock `otter run` on each),
    and the engine again with --jobs 2."""
    engine_1, results = engine(paths, work / "engine-1", jobs=1)
    per_engine = {r.submission: r.seconds for r in results}
    rows, otter_total = [], 0.0
    for path in paths:
        sid = path.stem
        if skip_otter:
            rows.append((sid, per_engine[sid], None, None))
            continue
        seconds, ok = otter_run(path, work / "otter" / sid)
        otter_total += seconds
        rows.append((sid, per_engine[sid], seconds, ok))
    print(f"{'submission':<34} {'engine (s)':>10} {'otter run (s)':>14}")
    for sid, e, o, ok in rows:
        print(f"{sid:<34} {e:>10.2f} {'' if o is None else f'{o:.2f}' + ('' if ok else ' (failed)'):>14}")
    print(f"{'total, one core':<34} {engine_1:>10.1f} {'' if skip_otter else f'{otter_total:.1f}':>14}")
    if not skip_otter:
        print(f"\nengine vs stock otter run, one core: {otter_total / engine_1:.1f}× faster "
              f"({engine_1 / len(paths):.2f} s vs {otter_total / len(paths):.2f} s per submission)")

    engine_2, _ = engine(paths, work / "engine-2", jobs=2)
    print(f"engine --jobs 2: {engine_2:.1f} s for {len(paths)} → "
          f"{2 * engine_2 / len(paths):.2f} s per submission per core, amortised")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--class-size", type=int, default=200)
    parser.add_argument("--skip-otter", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tp1-bench-"))
    try:
        paths = make_class(work / "class", args.submissions)
        print(f"{len(paths)} submissions, {os.cpu_count()} cores, load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")

        if paths:
            side_by_side(paths, work, args.skip_otter)

        if args.class_size:
            big = make_class(work / "big", args.class_size)
            seconds, results = engine(big, work / "engine-big", jobs=2)
            graded = sum(r.status == "graded" for r in results)
            print(f"class of {len(big)}, --jobs 2: {seconds:.1f} s ({seconds / 60:.2f} min), "
                  f"{2 * seconds / len(big):.2f} s per submission per core, {graded} graded")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
