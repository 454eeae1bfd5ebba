"""The catalogue of known student mistakes: what the checks look for, and what the student reads.

The catalogue itself ships with the release, in its public support package
(`tp1_support/catalogue.py`, source in solutions/tp1_support/): the public checks students run while
they work name a mistake with the same title as the grader's feedback (a hint while they work, the
feedback after grading). The grader reads the release's
copy (`data.support_module`), so there is one catalogue. The checks in autograder/checks/ name its ids
when the symptom matches.
"""
from .data import support_module

_catalogue = support_module("catalogue")
Mistake = _catalogue.Mistake
CATALOGUE = _catalogue.CATALOGUE
graded_feedback = _catalogue.graded_feedback
mistakes_of_error = _catalogue.mistakes_of_error
