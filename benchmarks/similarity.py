"""Benchmark of the class similarity report (autograder/similarity.py).

Builds synthetic classes (benchmarks/similarity_class.py says how: independent students written from
pools of alternatives, plus disguised copies of some of them), runs the report on each and prints:
how many copies are flagged (goal: all), how many independent pairs are flagged (goal: none), the
score distributions of both groups, and how long the report takes for a class of 200.

    .venv/bin/python benchmarks/similarity.py                # held-out seeds 10-14, then 200 submissions
    .venv/bin/python benchmarks/similarity.py --copydetect   # also copydetect 0.5.0 on the same classes
                                                             # (pip install copydetect==0.5.0 first)

The report's parameters (k, the weighting, the threshold) were chosen on seeds 0-5; the default
seeds here were not looked at while choosing them.
"""
import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import similarity_class  # noqa: E402
from autograder import similarity  # noqa: E402


def spread(values):
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def best_threshold(related, independent):
    """The threshold that misclassifies the fewest pairs: (errors, threshold, copies missed, independent flagged)."""
    candidates = sorted(set(related) | set(independent) | {1.01})
    return min((sum(s < t for s in related) + sum(s >= t for s in independent), t,
                sum(s < t for s in related), sum(s >= t for s in independent)) for t in candidates)


def run_kit(corpus, release):
    report = similarity.compare_class(corpus.submissions, release)
    scores = {(p.a, p.b): p.score for p in report.pairs}
    flagged = {(p.a, p.b) for p in report.flagged}
    return scores, flagged, report


def run_copydetect(corpus, release, noise=25, guarantee=25):
    """copydetect's own pairwise comparison (MOSS-style winnowing on filtered pygments tokens), the
    release notebook as its boilerplate; a pair's score is the larger of its two similarities."""
    import copydetect

    def fingerprint(name, cells, boilerplate=None):
        return copydetect.CodeFingerprint(f"{name}.py", noise, guarantee - noise + 1, boilerplate=boilerplate,
                                          fp=io.StringIO("\n\n".join(cells)))

    boilerplate = fingerprint("release", release).hashes
    prints = {sid: fingerprint(sid, cells, list(boilerplate)) for sid, cells in corpus.submissions.items()}
    ids = sorted(prints)
    scores = {}
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            _, (sim_a, sim_b), _ = copydetect.compare_files(prints[a], prints[b])
            scores[(a, b)] = float(max(sim_a, sim_b))
    return scores


def split(corpus, scores):
    related = {pair: s for pair, s in scores.items() if corpus.related(*pair)}
    independent = {pair: s for pair, s in scores.items() if not corpus.related(*pair)}
    return related, independent


def summarise(name, corpus, scores, flagged):
    related, independent = split(corpus, scores)
    n_flag_rel = sum(p in flagged for p in related)
    n_flag_ind = sum(p in flagged for p in independent)
    print(f"  {name}: copies flagged {n_flag_rel}/{len(related)}, independent pairs flagged "
          f"{n_flag_ind}/{len(independent)}")
    print(f"    copy pairs         {spread(list(related.values()))}")
    print(f"    independent pairs  {spread(list(independent.values()))}")
    worst = sorted(related.items(), key=lambda kv: kv[1])[:1]
    for (a, b), s in worst:
        copy_id = a if a in corpus.copies else b
        print(f"    lowest copy: {a}~{b} {s:.3f} ({', '.join(corpus.copies[copy_id][1])})")
    return list(related.values()), list(independent.values()), n_flag_rel, n_flag_ind


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="20,21,22,23,24,25,26,27,28,29", help="comma-separated class seeds")
    parser.add_argument("--students", type=int, default=40, help="independent students per class")
    parser.add_argument("--copies", type=int, default=12, help="disguised copies per class")
    parser.add_argument("--large", type=int, default=200, help="size of the class that is timed (0: skip)")
    parser.add_argument("--copydetect", action="store_true", help="also run copydetect on the same classes")
    args = parser.parse_args()
    release = similarity_class.release_cells()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    kit_rel, kit_ind, kit_fr, kit_fi, n_rel, n_ind = [], [], 0, 0, 0, 0
    cd_rel, cd_ind = [], []
    print(f"similarity report: k={similarity.K}, threshold={similarity.THRESHOLD}, "
          f"min_evidence={similarity.MIN_EVIDENCE}")
    for seed in seeds:
        corpus = similarity_class.make_class(seed=seed, n_students=args.students, n_copies=args.copies)
        print(f"class seed {seed}: {args.students} independent students + {args.copies} copies "
              f"({len(corpus.submissions)} submissions)")
        scores, flagged, _ = run_kit(corpus, release)
        rel, ind, fr, fi = summarise("kit", corpus, scores, flagged)
        kit_rel += rel
        kit_ind += ind
        kit_fr += fr
        kit_fi += fi
        n_rel += len(rel)
        n_ind += len(ind)
        if args.copydetect:
            cd_scores = run_copydetect(corpus, release)
            rel, ind, _, _ = summarise("copydetect (flag at its default 0.33)", corpus, cd_scores,
                                       {p for p, s in cd_scores.items() if s >= 0.33})
            cd_rel += rel
            cd_ind += ind
    print(f"\nall {len(seeds)} classes, kit: copies flagged {kit_fr}/{n_rel}, independent pairs flagged "
          f"{kit_fi}/{n_ind}")
    print(f"  copy pairs         {spread(kit_rel)}")
    print(f"  independent pairs  {spread(kit_ind)}")
    print(f"  margin (lowest copy - highest independent): {min(kit_rel) - max(kit_ind):+.3f}")
    errors, t, missed, false = best_threshold(kit_rel, kit_ind)
    print(f"  best threshold in hindsight {t:.3f}: {missed} copies missed, {false} independent pairs flagged")
    if cd_rel:
        print(f"all {len(seeds)} classes, copydetect 0.5.0:")
        print(f"  copy pairs         {spread(cd_rel)}")
        print(f"  independent pairs  {spread(cd_ind)}")
        print(f"  margin (lowest copy - highest independent): {min(cd_rel) - max(cd_ind):+.3f}")
        for t in (0.33, 0.5, 0.6, 0.7):
            print(f"  at threshold {t}: copies flagged {sum(s >= t for s in cd_rel)}/{len(cd_rel)}, "
                  f"independent flagged {sum(s >= t for s in cd_ind)}/{len(cd_ind)}")
        errors, t, missed, false = best_threshold(cd_rel, cd_ind)
        print(f"  best threshold in hindsight {t:.3f}: {missed} copies missed, {false} independent pairs flagged")
    if args.large:
        n_copies = args.large // 10
        corpus = similarity_class.make_class(seed=100, n_students=args.large - n_copies, n_copies=n_copies)
        start = time.perf_counter()
        scores, flagged, report = run_kit(corpus, release)
        elapsed = time.perf_counter() - start
        print(f"\nclass of {len(corpus.submissions)} ({args.large - n_copies} independent + {n_copies} copies, "
              f"{len(report.pairs)} pairs): report in {elapsed:.2f} s "
              f"({1000 * elapsed / len(corpus.submissions):.1f} ms per submission)")
        summarise("kit", corpus, scores, flagged)
        start = time.perf_counter()
        html = similarity.render_html(report)
        print(f"  HTML section: {len(html) / 1024:.0f} kB in {time.perf_counter() - start:.2f} s")
        if args.copydetect:
            start = time.perf_counter()
            run_copydetect(corpus, release)
            print(f"  copydetect on the same class: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
