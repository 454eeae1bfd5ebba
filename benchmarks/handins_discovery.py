"""How long `autograder.handins.discover` takes to read a class of 500 in each LMS layout (run by hand:
`.venv/bin/python benchmarks/handins_discovery.py`). Builds the layouts in a temporary folder with
small fake notebooks, a PDF and a .DS_Store per student, then times discover() (best of 3); the
Moodle class also with Moodle's gradebook export as the roster (matched by name: it has no participant
id)."""
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.handins import discover  # noqa: E402

N = 500
NB = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})


def build(root, layout):
    root.mkdir()
    for i in range(N):
        if layout == "folder":
            d = root / f"student{i:03d}"
        elif layout == "moodle":
            d = root / f"Student Number{i}_{1000000 + i}_assignsubmission_file"
        if layout in ("folder", "moodle"):
            d.mkdir()
            (d / "tp1_ab.ipynb").write_text(NB)
            (d / "rapport.pdf").write_bytes(b"%PDF")
            (d / ".DS_Store").write_bytes(b"\0")
        elif layout == "canvas":
            (root / f"number{i}student_{340000 + i}_{208000000 + i}_tp1_ab.ipynb").write_text(NB)
            (root / f"number{i}student_{340000 + i}_{208000000 + i}_rapport.pdf").write_bytes(b"%PDF")
        elif layout == "gradescope":
            d = root / f"submission_{i}"
            d.mkdir()
            (d / "tp1_ab.ipynb").write_text(NB)
            (d / ".OTTER_LOG").write_bytes(b"\0")
    if layout == "gradescope":
        (root / "submission_metadata.yml").write_text("".join(
            f"submission_{i}:\n  :submitters:\n  - :name: Student {i}\n    :sid: '{21000 + i}'\n"
            f"    :email: s{i}@uni.example\n" for i in range(N)))


def moodle_gradebook_export(path):
    path.write_text("First name,Last name,ID number,Institution,Department,Email address\n" + "".join(
        f"Student,Number{i},{21000 + i},,,s{i}@uni.example\n" for i in range(N)), encoding="utf-8")
    return path


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for layout in ("folder", "moodle", "canvas", "gradescope", "moodle+roster"):
            root = Path(tmp) / layout.split("+")[0]
            roster = moodle_gradebook_export(Path(tmp) / "roster.csv") if layout.endswith("roster") else None
            if not root.exists():
                build(root, layout)
            times = []
            for _ in range(3):
                start = time.perf_counter()
                d = discover([root], roster=roster)
                times.append(time.perf_counter() - start)
            assert len(d.handins) == N and d.layout == layout.split("+")[0], (layout, len(d.handins), d.errors[:2])
            assert roster is None or all(h.email for h in d.handins)
            print(f"{layout:<14} {N} students: {min(times) * 1000:6.0f} ms "
                  f"({len(d.skipped)} files listed as not graded)")


if __name__ == "__main__":
    main()
