"""Command line: python -m autograder {grade, export, assign, merge-report, secret} ..."""
import argparse
import sys

COMMANDS = {  # name: (module, what it does)
    "grade": ("grade", "grade submissions (notebooks, export zips, or the class download of an LMS)"),
    "export": ("export", "write the grades in the format Moodle, Canvas or Gradescope imports"),
    "assign": ("build", "build assignment/ and the autograder from solutions/"),
    "merge-report": ("report_merge", "merge hand-graded report scores into the gradebook"),
    "secret": ("data", "make the grading secret the hidden test sets are drawn from (once, before grading)"),
}


def parser():
    top = argparse.ArgumentParser(prog="python -m autograder", description="The TP1-ab teaching kit's grader.")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, description) in COMMANDS.items():
        sub.add_parser(name, help=description, add_help=False)  # each command parses its own arguments
    return top


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args, rest = parser().parse_known_args(argv[:1])
    module = __import__(f"autograder.{COMMANDS[args.command][0]}", fromlist=["main"])
    return module.main(argv[1:] + rest)
