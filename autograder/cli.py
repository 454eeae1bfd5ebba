"""Command line: python -m autograder {grade, assign, merge-report} ..."""
import sys

USAGE = """usage: python -m autograder COMMAND ...

commands:
  grade PATH... --out DIR [--jobs N]   grade submissions (notebooks, export zips, or folders of them)
  assign                               build assignment/ and the autograder from solutions/
  merge-report GRADES_CSV SCORES_CSV   merge hand-graded report scores into the gradebook
"""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "grade":
        from .grade import main as run
    elif command == "assign":
        from .build import main as run
    elif command == "merge-report":
        from .report_merge import main as run
    else:
        print(f"unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return run(rest)
