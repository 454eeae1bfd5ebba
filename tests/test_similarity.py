"""The class similarity report: copies are flagged with their source and the parts that match,
independent students are not, the release's code never counts, disguises do not hide a copy, and no
hostile notebook stops the report. No grading: the report only reads code."""
import csv
import keyword
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import similarity_class as klass
from autograder import similarity

RELEASE = klass.release_cells()
GRADED_FUNCTIONS = [g for g in klass.GRADED if g != "MNIST_HPARAMS"]


def own_cells(cells):
    """A student's cells that are not the release's own."""
    return [c for c in cells if c not in RELEASE]


def pair(report, a, b):
    return next(p for p in report.pairs if {p.a, p.b} == {a, b})


@pytest.fixture(scope="module")
def corpus():
    return klass.make_class(seed=7, n_students=30, n_copies=10)


@pytest.fixture(scope="module")
def report(corpus):
    return similarity.compare_class(corpus.submissions, RELEASE)


@pytest.fixture(scope="module")
def background():
    """Independent students, so that what is common in a class is weighed as common."""
    return klass.make_class(seed=11, n_students=12, n_copies=0).submissions


def rich_student(seed=3):
    """A student who filled every function and wrote experiment cells of their own."""
    import random

    rng = random.Random(seed)
    while True:
        cells = klass.make_student(rng)
        text = "\n".join(own_cells(cells))
        if all(f"def {g}(" in text and "..." not in text.split(f"def {g}(")[1].split("\ndef ")[0]
               for g in GRADED_FUNCTIONS) and len(own_cells(cells)) >= 16:
            return cells


# ------------------------------------------------------------------------------------ the class


def test_every_copy_is_flagged_with_its_source(corpus, report):
    assert report.skipped == {}
    for copy_id, (source, _) in corpus.copies.items():
        found = pair(report, copy_id, source)
        assert found.flagged, (copy_id, source, found.score)
        assert similarity.THRESHOLD <= found.score <= 1.0


def test_no_independent_pair_is_flagged(corpus, report):
    flagged_independent = [(p.a, p.b, p.score) for p in report.flagged if not corpus.related(p.a, p.b)]
    assert flagged_independent == []
    independent = [p.score for p in report.pairs if not corpus.related(p.a, p.b)]
    assert len(independent) == 40 * 39 // 2 - sum(corpus.related(a, b) for a in corpus.submissions
                                                    for b in corpus.submissions if a < b)
    assert max(independent) < similarity.THRESHOLD


def test_pairs_are_ranked_and_the_flags_are_exactly_the_pairs_at_the_threshold(corpus, report):
    scores = [p.score for p in report.pairs]
    assert scores == sorted(scores, reverse=True)
    assert len(report.pairs) == 40 * 39 // 2
    assert all(p.flagged == (p.score >= report.threshold) for p in report.pairs)
    assert {frozenset((p.a, p.b)) for p in report.flagged} == {
        frozenset((a, b)) for a in corpus.submissions for b in corpus.submissions
        if a < b and corpus.related(a, b)}


def test_matching_parts_point_at_the_same_functions_on_both_sides(corpus, report):
    copy_id = next(c for c, (_, done) in corpus.copies.items() if not any("rewrote" in d for d in done))
    source = corpus.copies[copy_id][0]
    found = pair(report, copy_id, source)
    assert found.parts and 0.85 <= sum(p.weight for p in found.parts) <= 1.0001  # parts under 2 % are left out
    cells = {found.a: report.sources[found.a], found.b: report.sources[found.b]}
    same_unit = [p for p in found.parts if p.left_label == p.right_label]
    cells_with_cells = [p for p in found.parts if p.left_label == p.right_label == "top-level code"]
    assert sum(p.weight for p in same_unit + cells_with_cells) > 0.85  # each function matches itself
    assert all(p.left_label == p.right_label for p in found.parts if p.weight >= 0.05
               and p.left_label.startswith("def ") and p.right_label.startswith("def "))
    for part in found.parts:
        for sid, span, lines in ((found.a, part.left, part.left_lines), (found.b, part.right, part.right_lines)):
            assert lines and all(span.first <= n <= span.last for n in lines)
            text = cells[sid][span.cell - 1].split("\n")
            assert all(text[n - 1].strip() for n in lines)  # highlighted lines are code, never blank
            label = part.left_label if sid == found.a else part.right_label
            if label.startswith("def "):
                assert text[span.first - 1].startswith(label + "(")
    assert {"def forward", "def backward"} <= {p.left_label for p in same_unit}


def test_csv_has_a_row_per_pair_and_per_skipped_submission(report, tmp_path):
    path = tmp_path / "similarity.csv"
    similarity.write_csv(report, path)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["submission_a", "submission_b", "score", "flagged", "matching_parts"]
    assert len(rows) == 1 + len(report.pairs)
    first = report.pairs[0]
    assert rows[1][:4] == [first.a, first.b, f"{first.score:.3f}", "yes"]
    assert "def " in rows[1][4]
    assert sum(r[3] == "yes" for r in rows[1:]) == len(report.flagged)


# ------------------------------------------------------------------------------------ the release


def test_the_release_alone_never_matches(background):
    subs = dict(background)
    subs.update({f"untouched_{i}": list(RELEASE) for i in range(3)})
    report = similarity.compare_class(subs, RELEASE)
    for i in range(3):
        for j in range(i + 1, 3):
            found = pair(report, f"untouched_{i}", f"untouched_{j}")
            assert found.score == 0.0 and not found.flagged and found.shared == 0.0
    assert report.flagged == []


def test_the_release_plus_the_obvious_functions_is_not_evidence(background):
    """Two students who filled only the short functions, the way everybody writes them."""
    obvious = {"forward": 'def forward(params, X):\n    htilde = X @ params["Wh"].T + params["bh"]\n'
                          '    h = torch.tanh(htilde)\n    ytilde = h @ params["Wy"].T + params["by"]\n'
                          '    yhat = torch.softmax(ytilde, dim=1)\n'
                          '    return yhat, {"X": X, "htilde": htilde, "h": h, "ytilde": ytilde, "yhat": yhat}\n',
               "sgd": "def sgd(params, grads, eta):\n    return {k: params[k] - eta * grads[k] for k in params}\n",
               "init_model": "def init_model(nx, nh, ny):\n    model = nn.Sequential(nn.Linear(nx, nh), nn.Tanh(), "
                             "nn.Linear(nh, ny))\n    return model, nn.CrossEntropyLoss()\n"}

    def filled():
        cells = []
        for cell in RELEASE:
            name = next((g for g in obvious if cell.startswith(f"def {g}(")), None)
            cells.append(obvious[name] if name else cell)
        return cells

    subs = dict(background, obvious_a=filled(), obvious_b=filled())
    assert subs["obvious_a"] != RELEASE
    report = similarity.compare_class(subs, RELEASE)
    found = pair(report, "obvious_a", "obvious_b")
    assert found.shared > 0  # they do share code...
    assert not found.flagged  # ...but too little of their own to accuse them
    assert found.score < similarity.THRESHOLD


# ------------------------------------------------------------------------------------ disguises

SURFACE_DISGUISES = ["rename", "reorder", "comments", "docstrings", "rewrap", "reformat"]


@pytest.mark.parametrize("disguise", SURFACE_DISGUISES)
def test_a_surface_disguise_changes_nothing(background, disguise):
    import random

    source = rich_student()
    copy, done = klass.make_copy(random.Random(1), source, [disguise])
    assert copy != source and done
    report = similarity.compare_class(dict(background, source=source, copy=copy), RELEASE)
    found = pair(report, "source", "copy")
    assert found.flagged
    assert found.score == 1.0, (disguise, found.score)


def test_every_disguise_at_once_is_still_flagged(background):
    import random

    source = rich_student()
    copy, done = klass.make_copy(random.Random(2), source, ["rename", "reorder", "comments", "docstrings",
                                                          "rewrite_one", "rewrap", "add_own_cell"])
    assert len(done) == 7
    report = similarity.compare_class(dict(background, source=source, copy=copy), RELEASE)
    found = pair(report, "source", "copy")
    assert found.flagged and found.score >= 0.8
    assert [p for p in report.flagged if "source" not in (p.a, p.b)] == []


def _imported(cell):
    import ast

    context = similarity._Context()
    try:
        context.add_imports(ast.parse(cell))
    except SyntaxError:
        pass
    return context.aliases


def _own_names(cells):
    import ast

    names = set()
    for cell in own_cells(cells):
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    release_names = similarity._release_context(RELEASE).release_names
    return sorted(n for n in names if n not in release_names and n not in klass.KEEP and n != "_")


RICH = rich_student()
RICH_NAMES = _own_names(RICH)
TAKEN = set(RICH_NAMES) | klass.KEEP | similarity._release_context(RELEASE).release_names | {
    alias for cell in RICH if "import" in cell for alias in _imported(cell)}
NEW_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and n not in TAKEN)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(renames=st.dictionaries(st.sampled_from(RICH_NAMES), NEW_NAME, min_size=1, max_size=8))
def test_renaming_any_identifiers_keeps_the_copy_flagged(background, renames):
    if len(set(renames.values())) < len(renames):
        return  # two names renamed to one would change the program, not disguise it
    copy = [klass.rename_names_in(cell, renames) for cell in RICH]
    assert copy != RICH
    few = dict(list(background.items())[:4])
    report = similarity.compare_class(dict(few, source=RICH, copy=copy), RELEASE)
    found = pair(report, "source", "copy")
    assert found.flagged and found.score == 1.0


# ------------------------------------------------------------------------------------ hostile input

HOSTILE = {
    "syntax_errors": ["def forward(params, X):\n    return X @@ 2\n", "x = (1,\n", "def f(:\n  '''\n"],
    "magics": ["%matplotlib inline\n!pip install torch\nfiles = !ls\n", "%%bash\necho hi\n",
               "%%time\nfor i in range(3):\n    print(i)\n", "a = 1\nprint?\n%time b = abs(a)\n"],
    "megabyte_cell": ["x = [" + "1, " * 350_000 + "]\n"],
    "megabyte_line": ["#" * 1_000_000],
    "deep_parentheses": ["x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n"],
    "deep_unary": ["x = " + "-" * 10_000 + "1\n"],
    "deep_sum": ["x = 1" + " + 1" * 10_000 + "\n"],
    "deep_attributes": ["x = a" + ".b" * 10_000 + "\n"],
    "deep_calls": ["x = f" + "()" * 10_000 + "\n"],
    "deep_indentation": ["".join("    " * i + "if x:\n" for i in range(150)) + "    " * 150 + "pass\n"],
    "lone_surrogates": ["s = '\ud800\udfff\ud800'\nt = '\udc80'\n", "def f(\ud800):\n    pass\n", "x = '\x00'\n"],
    "many_cells": [f"x{i} = {i}\n" for i in range(5_000)],
    "empty": [],
}


@pytest.fixture(scope="module")
def hostile_report(background):
    import random

    source = rich_student()
    copy, _ = klass.make_copy(random.Random(5), source, ["rename", "reorder"])
    subs = dict(background, source=source, copy=copy, **HOSTILE)
    subs["not_a_list"] = "def f():\n    pass\n"
    subs["not_text"] = [b"print(1)", None]
    return similarity.compare_class(subs, RELEASE)


def test_hostile_notebooks_give_a_report(hostile_report):
    report = hostile_report
    assert set(report.skipped) == {"not_a_list", "not_text"}
    assert "expected a list of code cells" in report.skipped["not_a_list"]
    assert "a code cell must be text" in report.skipped["not_text"]
    assert set(HOSTILE) <= set(report.analysed)
    found = pair(report, "source", "copy")
    assert found.flagged and found.score == 1.0  # the honest pair is found in the same batch
    assert [(p.a, p.b) for p in report.flagged] == [tuple(sorted(("source", "copy")))]


def test_hostile_notebooks_are_read_in_part_with_a_note(hostile_report):
    notes = hostile_report.notes
    assert any("only the first 50,000 were read" in n for n in notes["megabyte_cell"])
    assert any("only the first 50,000 were read" in n for n in notes["megabyte_line"])
    assert any("only the first 500 were read" in n for n in notes["many_cells"])
    for sid in ("syntax_errors", "deep_parentheses", "deep_unary", "deep_indentation"):
        assert any("not valid Python" in n for n in notes[sid]), sid
    assert "magics" not in notes  # magics are blanked, the rest parses
    assert "source" not in notes and "copy" not in notes


def test_magics_are_set_aside_and_the_python_around_them_read():
    python, not_python = similarity._blank_magics("%matplotlib inline\nx = 1\n!ls\nfiles = !ls\n%time y = f(x)\n")
    assert not not_python
    assert python.split("\n") == ["pass", "x = 1", "pass", "pass", "y = f(x)", ""]
    assert similarity._blank_magics("%%bash\necho hi\n") == ("%%bash\necho hi\n", True)
    assert similarity._blank_magics("%%time\nx = 1\n") == ("\nx = 1\n", False)


def test_a_deep_tree_that_parses_is_walked_without_recursion():
    import ast

    tree = ast.parse("x = 1" + " + 1" * 900)  # parses; its tree is 900 levels deep
    tokens, lines = similarity._unit_tokens(tree.body[0], similarity._Context())
    assert "Deep" in tokens and len(tokens) == len(lines) < 300


@pytest.mark.slow  # a second Python process
def test_the_same_class_gives_the_same_report_in_another_process(tmp_path):
    """Fingerprints hash tuples of integers, never strings: Python's string hashing changes with
    each process, which would change the report from one run to the next."""
    code = ("import sys; sys.path[:0] = ['benchmarks']\nimport similarity_class as k\n"
            "from autograder import similarity as s\n"
            "c = k.make_class(seed=5, n_students=8, n_copies=2)\n"
            "r = s.compare_class(c.submissions, k.release_cells())\n"
            "print([(p.a, p.b, p.score) for p in r.pairs[:10]])\n")
    root = Path(__file__).resolve().parent.parent
    outputs = [subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                              env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2")]
    assert outputs[0] == outputs[1] and outputs[0].startswith("[(")


def test_tiny_classes():
    source = rich_student()
    assert similarity.compare_class({}, RELEASE).pairs == []
    assert similarity.compare_class({"alone": source}, RELEASE).pairs == []
    two = similarity.compare_class({"a": source, "b": list(source)}, RELEASE)
    assert [(p.a, p.b, p.score, p.flagged) for p in two.pairs] == [("a", "b", 1.0, True)]


# ------------------------------------------------------------------------------------ HTML


def test_html_escapes_student_ids_and_code(background):
    evil_id = '<img src=x onerror=alert(1)>"\''
    source = rich_student()
    poisoned = list(source)
    i = next(i for i, c in enumerate(poisoned) if c.startswith("def backward("))
    poisoned[i] = poisoned[i].replace("def backward(params, outputs, Y):\n",
                                      "def backward(params, outputs, Y):\n    # </pre><script>alert('x')</script> \ud800\n", 1)
    assert "<script>" in poisoned[i]
    report = similarity.compare_class(dict(background, **{evil_id: poisoned, "copy": list(poisoned)}), RELEASE)
    assert pair(report, evil_id, "copy").flagged
    html = similarity.render_html(report)
    html.encode("utf-8")  # writable as it is: the lone surrogate was replaced
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.startswith("<section") and html.rstrip().endswith("</section>")
    assert 'class="hit"' in html  # the matching lines are highlighted


def test_html_lists_the_skipped_and_says_when_nothing_is_flagged(background):
    report = similarity.compare_class(dict(background, broken="not a list"), RELEASE)
    html = similarity.render_html(report)
    assert "No pair reaches the threshold." in html
    assert "Not compared" in html and "broken" in html


def test_csv_cells_are_never_formulas(tmp_path):
    source = rich_student()
    report = similarity.compare_class({"=HYPERLINK(1)": source, "+b": list(source)}, RELEASE)
    path = tmp_path / "s.csv"
    similarity.write_csv(report, path)
    row = list(csv.reader(path.open(encoding="utf-8")))[1]
    assert row[0] == "'+b" and row[1] == "'=HYPERLINK(1)"
