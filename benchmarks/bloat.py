"""What padded hand-ins cost the grader's own process (run by hand: `.venv/bin/python benchmarks/bloat.py`).

Builds a small class (the six samples) and the padded hand-ins of issue 23: a notebook of 690,000
markdown cells (49 MB), three times as a 1.8 MB export zip and once as is; one with 900,000 outputs;
one with 300,000 attachments. Grades the class with and without them (`grade --jobs 2`), each run in
a process of its own that reports, as it ends, its own CPU seconds and peak resident memory
(`getrusage(RUSAGE_SELF)`: the grader's threads, not the sandbox's processes), and prints both and
the differences. `--kit PATH` grades with another checkout of the kit (to measure an older grader);
`--padding-only` builds and reads the padded files with the grader's reader, without grading.
"""
import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
REFERENCE = SAMPLES / "reference.ipynb"

# The grader in a process of its own; at its end, its own usage on the last line of stderr.
RUN = """
import json, resource, sys
try:
    from autograder.cli import main
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
usage = resource.getrusage(resource.RUSAGE_SELF)
print("USAGE " + json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "maxrss_mb": usage.ru_maxrss / 1024,
                             "code": code if isinstance(code, int) else 0}), file=sys.stderr)
"""


def _reference():
    return json.loads(REFERENCE.read_text())


def markdown_flood(n=690_000):
    raw = _reference()
    raw["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": ["padding padding"]}] * n
    return raw


def outputs_flood(n=900_000):
    raw = _reference()
    raw["cells"][-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ""}] * n
    return raw


def attachments_flood(n=300_000):
    raw = _reference()
    raw["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["![a](attachment:a0.png)"],
                            "attachments": {f"a{i}.png": {"image/png": "iVBORw0KGgo="} for i in range(n)}})
    return raw


def build_padding(folder):
    """The padded hand-ins, written into folder; their names and sizes."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(markdown_flood(), separators=(",", ":"))
    for i in range(3):
        with zipfile.ZipFile(folder / f"markdown_flood_zip{i}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("tp1_ab.ipynb", text)
    (folder / "markdown_flood.ipynb").write_text(text)
    (folder / "outputs_flood.ipynb").write_text(json.dumps(outputs_flood(), separators=(",", ":")))
    (folder / "attachments_flood.ipynb").write_text(json.dumps(attachments_flood(), separators=(",", ":")))
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir())}


def grade(kit, subs, out):
    run = subprocess.run([sys.executable, "-c", RUN, "grade", str(subs), "--out", str(out), "--jobs", "2"],
                         capture_output=True, text=True, cwd=kit, timeout=3600)
    usage = json.loads(run.stderr.strip().splitlines()[-1].removeprefix("USAGE "))
    with open(out / "grades.csv") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    return usage, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, default=ROOT, help="the checkout whose grader grades (default: this one)")
    parser.add_argument("--padding-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sizes = build_padding(tmp / "padding")
        for name, size in sizes.items():
            print(f"{name}: {size / 2**20:.1f} MB")
        if args.padding_only:
            sys.path.insert(0, str(args.kit))
            import resource
            import time

            from autograder.pipeline.read import UnreadableSubmission, read_notebook
            for name in sizes:
                start = time.process_time()
                try:
                    read_notebook(tmp / "padding" / name)
                    what = "read"
                except UnreadableSubmission as e:
                    what = f"{e.status}: {e}"
                print(f"  {name}: {time.process_time() - start:.2f} CPU s, {what}")
            print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
            return
        plain, padded = tmp / "plain", tmp / "padded"
        shutil.copytree(SAMPLES, plain)
        shutil.copytree(SAMPLES, padded)
        for p in (tmp / "padding").iterdir():
            shutil.move(p, padded / p.name)
        results = {}
        for label, subs in (("without the padding", plain), ("with the padding", padded)):
            usage, rows = grade(args.kit, subs, tmp / f"out-{label.split()[0]}")
            results[label] = (usage, rows)
            print(f"{label}: {len(rows)} rows, the grader's own CPU {usage['cpu']:.1f} s, peak RSS "
                  f"{usage['maxrss_mb']:.0f} MB (exit {usage['code']})")
        (u0, rows0), (u1, rows1) = results["without the padding"], results["with the padding"]
        print(f"difference: CPU {u1['cpu'] - u0['cpu']:+.1f} s, peak RSS {u1['maxrss_mb'] - u0['maxrss_mb']:+.0f} MB")
        columns = [c for c in next(iter(rows0.values())) if c != "submission"]
        same = all({c: rows1[s][c] for c in columns} == {c: r[c] for c in columns} for s, r in rows0.items())
        print("the other rows:", "unchanged" if same else "CHANGED")
        for sid in sorted(set(rows1) - set(rows0)):
            print(f"  {sid}: {rows1[sid]['status']}, {rows1[sid]['total']}")


if __name__ == "__main__":
    main()
