"""The late policy of points.toml [late], applied to one student's autograded grade.

A pure function: (policy, percent, the grade, how late) -> (points taken off, what the student reads).
"""
from __future__ import annotations

import math


def describe(hours_late):
    """How late, in words: `2 days 3 h`, `5 h 10 min`, or `marked late by the LMS` (no time known)."""
    if hours_late is None:
        return "marked late by the LMS"
    minutes = max(1, math.ceil(hours_late * 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{days} day{'s' if days > 1 else ''}"] if days else []) + ([f"{hours} h"] if hours else [])
    parts += [f"{minutes} min"] if minutes and not days else []
    return " ".join(parts) + " after the deadline"


def penalty(policy, percent, total, late, hours_late=None):
    """(points taken off `total`, the sentence for the student's page; '' when not late).

    policy: "none", "percent" or "percent_per_day" (config.LATE_POLICIES); percent: in [0, 100];
    total: the autograded points; late: whether the LMS says the hand-in is late; hours_late: how
    late when known (None: Canvas's mark, which has no time; it counts one day per day-based policy)."""
    if not late:
        return 0.0, ""
    when = describe(hours_late)
    if policy == "none":
        return 0.0, f"Handed in late ({when}). The course's late policy takes no points off."
    if policy == "percent":
        share = percent
        rule = f"{percent:g} % of the grade off a late hand-in"
    elif policy == "percent_per_day":
        days = max(1, math.ceil(hours_late / 24)) if hours_late else 1
        share = min(100.0, percent * days)
        rule = f"{percent:g} % of the grade per started day late, {days} day{'s' if days > 1 else ''}"
    else:
        raise ValueError(f"unknown late policy {policy!r}")
    points = round(max(0.0, total) * share / 100, 2)
    return points, (f"Handed in late ({when}): the late policy takes {points:g} points off "
                    f"({rule}).")
