"""The one Jinja environment of every page the grader writes (autograder/templates/: the student's
report, the class summary and its similarity section): HTML-escaped, with the submission statuses
(autograder.results.Status) at hand."""
from pathlib import Path

import jinja2

from .results import Status

ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=True, trim_blocks=True, lstrip_blocks=True)
ENV.globals["Status"] = Status
