"""The LaTeX report template (report_template/) and the answer key (solutions/answer_key/).

Builds run with latexmk in temporary copies, never in the repository. Without latexmk the build
tests fail under CI (the environment variable CI is set) and are skipped elsewhere.
"""
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = ROOT / "report_template"
ANSWER_KEY_DIR = ROOT / "solutions" / "answer_key"
FIGURES_PY = ROOT / "solutions" / "tp1_support" / "figures.py"

N_QUESTIONS = 17
# A word each question must contain, in the TP's order: catches questions swapped or renumbered.
QUESTION_TOPICS = {
    1: "validation", 2: "number of examples", 3: "activation functions", 4: "n_h",
    5: r"\yh", 6: "SoftMax", 7: "forward pass", 8: "squared error", 9: "regression",
    10: "mini-batch", 11: "learning rate", 12: "naive", 13: "architecture",
    14: r"\log", 15: r"\nabla_{\yt}", 16: r"\nabla_{W_y}", 17: r"\nabla_{W_h}",
}
BUILD_PRODUCTS = ("*.aux", "*.log", "*.fls", "*.fdb_latexmk", "*.pdf", "*.out", "*.toc",
                  "*.synctex.gz", "report-figures.lst")
QUESTION_BLOCK = re.compile(r"\\begin\{question\}.*?\\end\{question\}", re.S)
SVM_TABLE = ("\\begin{tabular}{lcc}\nkernel & train & test \\\\ \\hline\n"
             "linear & 0.520 & 0.495 \\\\\nrbf & 0.960 & 0.950 \\\\\npoly & 0.940 & 0.935 \\\\\n"
             "\\end{tabular}\n")


def _figures():
    spec = importlib.util.spec_from_file_location("_tp1_report_figures", FIGURES_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FIGURES


FIGURES = _figures()


def _without_comments(tex):
    return re.sub(r"(?<!\\)%.*", "", tex)


def _template():
    return _without_comments((TEMPLATE_DIR / "report.tex").read_text(encoding="utf-8"))


def _answer_key():
    return _without_comments((ANSWER_KEY_DIR / "answer_key.tex").read_text(encoding="utf-8"))


def _question_numbers(tex):
    return [int(n) for n in re.findall(r"\\begin\{question\}\{(\d+)\}", tex)]


@pytest.fixture
def latexmk():
    exe = shutil.which("latexmk")
    if exe is None or shutil.which("pdflatex") is None:
        message = ("latexmk/pdflatex not found: install the Debian packages latexmk "
                   "texlive-latex-base texlive-latex-recommended texlive-latex-extra lmodern")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return exe


def _copy(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*BUILD_PRODUCTS, "figures"))
    return dst


def _build(latexmk, workdir, main):
    """latexmk -pdf MAIN in workdir; returns the pdflatex log (long lines not wrapped)."""
    env = dict(os.environ, max_print_line="10000")
    proc = subprocess.run([latexmk, "-pdf", main], cwd=workdir, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)
    log_path = workdir / Path(main).with_suffix(".log")
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    assert proc.returncode == 0, (f"latexmk failed with status {proc.returncode}\n"
                                  f"{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}\n"
                                  f"--- {log_path.name} ---\n{log[-4000:]}")
    assert (workdir / Path(main).with_suffix(".pdf")).stat().st_size > 0
    return log


def _question_and_answer_pages(workdir, main):
    """{question number: (page of the question, page where its answer box starts)} from the .aux."""
    aux = (workdir / Path(main).with_suffix(".aux")).read_text(encoding="utf-8", errors="replace")
    pages = {(kind, int(n)): int(page) for kind, n, page in
             re.findall(r"\\newlabel\{([qa]):(\d+)\}\{\{[^}]*\}\{(\d+)\}", aux)}
    return {n: (pages[("q", n)], pages[("a", n)]) for n in range(1, N_QUESTIONS + 1)}


def _pitfall_pages(workdir, main):
    """{question number: (page where its list of pitfalls starts, page where it ends)} from the .aux."""
    aux = (workdir / Path(main).with_suffix(".aux")).read_text(encoding="utf-8", errors="replace")
    pages = {(kind, int(n)): int(page) for kind, n, page in
             re.findall(r"\\newlabel\{(pe?):(\d+)\}\{\{[^}]*\}\{(\d+)\}", aux)}
    return {n: (pages[("p", n)], pages[("pe", n)]) for n in range(1, N_QUESTIONS + 1)}


def _figure_report(log):
    """{figure name: path where the template found it, or None if it showed a placeholder}."""
    found = {}
    for line in log.splitlines():
        if m := re.fullmatch(r"report-figure: MISSING (\S+)", line.strip()):
            found[m.group(1)] = None
        elif m := re.fullmatch(r"report-figure: found (\S+) at (\S+)", line.strip()):
            found[m.group(1)] = m.group(2)
    return found


def _make_figures(folder, names):
    """Dummy versions of the notebook's figures: PDFs drawn with matplotlib, a LaTeX tabular."""
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name.endswith(".tex"):
            (folder / name).write_text(SVM_TABLE, encoding="utf-8")
            continue
        fig = Figure(figsize=(6, 3))
        ax = fig.subplots()
        ax.plot([0, 1, 2], [0, 1, 0])
        ax.set_title(f"dummy {name}")
        fig.savefig(folder / name)


# ------------------------------------------------------------------------ structure, no LaTeX

def test_template_has_the_17_questions_in_order_each_with_an_answer():
    tex = _template()
    assert _question_numbers(tex) == list(range(1, N_QUESTIONS + 1))
    blocks = QUESTION_BLOCK.findall(tex)
    for number, block in zip(range(1, N_QUESTIONS + 1), blocks):
        assert QUESTION_TOPICS[number] in block, f"Q{number} should be about {QUESTION_TOPICS[number]!r}"
    # each question is followed by an answer environment before the next question
    pieces = re.split(r"\\begin\{question\}", tex)[1:]
    assert len(pieces) == N_QUESTIONS
    for number, piece in zip(range(1, N_QUESTIONS + 1), pieces):
        after = piece.split(r"\end{question}", 1)[1]
        assert after.lstrip().startswith(r"\begin{answer}"), f"Q{number} has no answer environment"
        assert r"\end{answer}" in after


def test_template_has_a_slot_for_every_figure():
    tex = _template()
    figures = re.findall(r"\\reportfigure\{([^}]+)\}", tex)
    tables = re.findall(r"\\reporttable\{([^}]+)\}", tex)
    slots = figures + tables
    assert len(slots) == len(set(slots)), "a figure has two slots"
    assert set(slots) == set(FIGURES)
    assert all(name.endswith(".tex") for name in tables)
    assert not any(name.endswith(".tex") for name in figures)


def test_answer_key_has_the_same_questions_with_answers_and_pitfalls():
    key, template = _answer_key(), _template()
    assert _question_numbers(key) == list(range(1, N_QUESTIONS + 1))

    def normalised(tex):
        return [" ".join(block.split()) for block in QUESTION_BLOCK.findall(tex)]

    assert normalised(key) == normalised(template), "question texts differ from report.tex"
    pieces = re.split(r"\\begin\{question\}", key)[1:]
    for number, piece in zip(range(1, N_QUESTIONS + 1), pieces):
        after = piece.split(r"\end{question}", 1)[1]
        assert after.lstrip().startswith(r"\begin{answer}"), f"Q{number} has no answer"
        assert r"\begin{pitfalls}" in after and r"\item" in after, f"Q{number} has no pitfalls"


def test_template_draws_the_network_and_defines_every_quantity_q7_asks_for():
    tex = _template()
    notation = tex[tex.index(r"\section*{Notation}"):tex.index(r"\section{Theory}")]
    flat = " ".join(notation.split())
    # the handout's figure: x -> h~ -> h -> y~ -> y^ with the sizes n_x, n_h, n_y
    assert r"\begin{tikzpicture}" in notation and r"\label{fig:network}" in notation
    for node in (r"{$x_{\i}$}", r"{$\htl_{\j}$}", r"{$h_{\j}$}", r"{$\yt_{\k}$}", r"{$\yh_{\k}$}"):
        assert node in notation, node
    for size in ("$n_x$ values", "$n_h$ values", "$n_y$ values"):
        assert size in flat, size
    # h~ and y~ are named (pre-activations) before Q7 asks for them, without giving Q7's equations
    assert r"$\htl$ is the hidden layer's \emph{pre-activation}" in flat
    assert r"$\yt$ is the output layer's pre-activation" in flat and r"\emph{logits}" in flat
    assert "W_h x" not in notation and r"\tanh(\htl" not in notation


def test_q8_asks_about_the_global_loss_as_the_handout_does():
    for tex in (_template(), _answer_key()):
        q8 = " ".join(QUESTION_BLOCK.findall(tex)[7].split())
        assert r"how must the $\yh_i$ vary to decrease the global loss function $\mathcal{L}$?" in q8


def test_answer_key_marks_each_typical_answer():
    key = _answer_key()
    pieces = re.split(r"\\begin\{question\}", key)[1:]
    for number, piece in zip(range(1, N_QUESTIONS + 1), pieces):
        marking = " ".join(piece[piece.index(r"\marking{"):piece.index(r"\begin{pitfalls}")].split())
        # what a partial answer earns, and what earns nothing
        assert re.search(r"Half|half|a quarter|Out of 2", marking), number
        assert re.search(r"\b[Nn]one\b|nothing", marking), number
    q8 = " ".join(pieces[7].split())
    assert "Half the points for each loss, marked separately. \\emph{Cross-entropy}" in q8
    assert "\\emph{Squared error}: all of its half" in q8


def test_answer_key_has_no_disputed_or_stray_statements():
    key = " ".join(_answer_key().split())
    assert "(hence the name)" not in key and "softargmax" in key  # Q6
    assert r"h_j, \]" not in key  # Q16's stray comma
    assert "Parts~2--4 use \\texttt{CrossEntropyLoss}" not in key  # Part 2 is autograd on the hand-written loss
    assert "its Part~2 (autograd on its hand-written loss" in key


def test_answer_key_states_the_mean_convention_gradients():
    key = " ".join(_answer_key().split())
    for formula in [r"(\Yh - Y)/B", r"(\grad{\Yt}\mathcal{L})\T H", r"\had(1-H^2)",
                    r"(\grad{\Ht}\mathcal{L})\T X", r"X W_h\T + b_h", "ETA = 0.3",
                    # single examples in rows as well as in columns
                    r"(\yh - y)\T h", r"(\yh - y)\,h\T", r"(\grad{\htl}\ell)\T x"]:
        assert formula in key, formula
    # the batch size is B everywhere; N is the size of a data set
    assert r"Y)/N" not in key and r"\frac1N" not in key and r"\frac{1}{N}" not in key


def test_answer_key_says_where_the_cheat_sheet_contradicts_itself_and_marks_the_known_flaws():
    key = " ".join(_answer_key().split())
    assert "yet gives the batch gradient $\\grad{\\Yt} = \\Yh - Y$, which is the gradient of $B\\,\\mathcal{L}$" in key
    assert "steps 10 times smaller" in key
    assert "ignores that the outputs must sum to 1" in key  # Q8
    assert "``Exponential'' earns the marks only with the path-counting reason" in key  # Q12
    assert "in column form that \\emph{is} $\\grad{h}\\ell$" in key and "up to the transpose" not in key  # Q16
    assert "$n_h = 4$ of the handout's figure" in key  # Q4


# ------------------------------------------------------------------------------ LaTeX builds

@pytest.mark.slow  # LaTeX
def test_template_builds_without_figures(latexmk, tmp_path):
    work = _copy(TEMPLATE_DIR, tmp_path / "report_template")
    log = _build(latexmk, work, "report.tex")
    assert _figure_report(log) == {name: None for name in FIGURES}
    assert "Figures not found yet" in log
    # every answer box starts on the page of its question (none left alone at the foot of a page)
    pages = _question_and_answer_pages(work, "report.tex")
    assert all(q == a for q, a in pages.values()), pages


@pytest.mark.slow  # LaTeX
def test_template_builds_with_all_figures(latexmk, tmp_path):
    work = _copy(TEMPLATE_DIR, tmp_path / "report_template")
    names = sorted(FIGURES)
    # half in report_template/figures/, half in assignment/figures/ (where the notebook writes),
    # and one in both: report_template/figures/ wins
    local, notebook = names[::2], names[1::2]
    _make_figures(work / "figures", local + notebook[:1])
    _make_figures(tmp_path / "assignment" / "figures", notebook)
    log = _build(latexmk, work, "report.tex")
    expected = {name: f"figures/{name}" for name in local + notebook[:1]}
    expected.update({name: f"../assignment/figures/{name}" for name in notebook[1:]})
    assert _figure_report(log) == expected
    assert "Figures not found yet" not in log
    assert "svm_table.tex" in log


@pytest.mark.slow  # LaTeX
def test_template_rebuilds_when_the_notebook_makes_its_figures(latexmk, tmp_path):
    work = _copy(TEMPLATE_DIR, tmp_path / "report_template")
    assert set(_figure_report(_build(latexmk, work, "report.tex")).values()) == {None}
    _make_figures(tmp_path / "assignment" / "figures", FIGURES)
    log = _build(latexmk, work, "report.tex")
    assert _figure_report(log) == {name: f"../assignment/figures/{name}" for name in FIGURES}


@pytest.mark.slow  # LaTeX
def test_template_build_stops_at_the_first_error(latexmk, tmp_path):
    work = _copy(TEMPLATE_DIR, tmp_path / "report_template")
    tex = work / "report.tex"
    tex.write_text(tex.read_text().replace(r"\begin{document}", "\\begin{document}\n\\nosuchmacro",
                                           1))
    proc = subprocess.run([latexmk, "-pdf", "report.tex"], cwd=work, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode != 0
    assert "Undefined control sequence" in (work / "report.log").read_text(errors="replace")


@pytest.mark.slow  # LaTeX
def test_answer_key_builds(latexmk, tmp_path):
    work = _copy(ANSWER_KEY_DIR, tmp_path / "answer_key")
    log = _build(latexmk, work, "answer_key.tex")
    assert "Output written on answer_key.pdf" in log
    pages = _question_and_answer_pages(work, "answer_key.tex")
    assert all(q == a for q, a in pages.values()), pages
    # no list of pitfalls split across two pages (a page that starts with a question's last bullets)
    pitfalls = _pitfall_pages(work, "answer_key.tex")
    assert all(start == end for start, end in pitfalls.values()), pitfalls
    assert not re.search(r"LaTeX Warning: (Reference|Citation) .* undefined", log)
