"""Feedback pages: report.html for each student, summary.html for the instructor.

Self-contained HTML (plots embedded as PNG data URIs), rendered with Jinja2 and matplotlib.
"""
import base64
import collections
import io
import threading
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure  # not pyplot: its global state is not safe across grading threads

from . import checks, config
from .files import atomic_write
from .mistakes import CATALOGUE
from .pages import ENV
from .results import NO_GRADE, Status


def _subplots(figsize, margins=None):
    """A figure and its axes; fixed `margins` (left, bottom, right, top) skip the tight layout, whose
    extra drawing pass would double the time of each student's figures."""
    fig = Figure(figsize=figsize, layout=None if margins else "tight")
    if margins:
        left, bottom, right, top = margins
        fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top)
    return fig, fig.add_subplot()


def _save_png(fig, path):
    """The figure as a PNG file of its own (the class summary's, for slides), cropped to its drawing."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    atomic_write(path, buffer.getvalue())


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# One figure of each kind per grading thread, redrawn with each student's data: building a figure's
# axes and ticks costs a third of its time, and a class draws four per student.
_CANVASES = threading.local()


def _canvas(kind, build):
    canvases = _CANVASES.__dict__
    if kind not in canvases:
        canvases[kind] = build()
    return canvases[kind]


def _boundary_canvas():
    from .data import circles_train

    fig, ax = _subplots(figsize=(3.6, 3.6), margins=(0.12, 0.08, 0.97, 0.92))
    # Cell i of the grid covers [-2 + 0.1 i, -2 + 0.1 (i + 1)); rows are x2, columns x1.
    image = ax.imshow(np.zeros((40, 40)), origin="lower", extent=(-2.0, 2.0, -2.0, 2.0), interpolation="nearest",
                      cmap=ListedColormap(["#cfe0f3", "#f6d0cc"]), vmin=0, vmax=1)
    X, Y = circles_train()
    ax.scatter(X[:, 0], X[:, 1], c=np.where(Y.argmax(1) == 1, "tab:red", "tab:blue"), s=8)
    ax.set_aspect("equal")
    return fig, image, ax.set_title("", fontsize=9)


def decision_boundary_png(grid_values, title):
    """grid_values: (1600, 2) scores or (1600,) labels over the 40x40 grid of [-2, 2)^2."""
    grid_values = np.asarray(grid_values, dtype=np.float64)
    margin = grid_values[:, 1] - grid_values[:, 0] if grid_values.ndim == 2 else grid_values - 0.5
    fig, image, title_text = _canvas("boundary", _boundary_canvas)
    image.set_data((margin > 0).reshape(40, 40))
    title_text.set_text(title)
    return _png(fig)


def _loss_canvas():
    from matplotlib.ticker import FormatStrFormatter

    # Room on the left for the label and tick labels of any loss (three significant digits at most).
    fig, ax = _subplots(figsize=(4.2, 2.8), margins=(0.2, 0.17, 0.97, 0.9))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
    line, = ax.plot([], [])
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    return fig, ax, line, ax.set_title("", fontsize=9)


def loss_curve_png(losses, title):
    fig, ax, line, title_text = _canvas("loss", _loss_canvas)
    line.set_data(np.arange(1, len(losses) + 1), losses)
    ax.relim()
    ax.autoscale_view()
    title_text.set_text(title)
    return _png(fig)


def _figure(figures, caption, draw, *args):
    """Add a figure; one that cannot be drawn (values no plot can show) is left out, not an error."""
    try:
        with np.errstate(all="ignore"):
            figures.append((caption, draw(*args)))
    except (ValueError, OverflowError, FloatingPointError, RuntimeError):
        pass


def student_figures(result):
    figures = []
    by_id = {q.id: q for q in result.questions}
    circles = by_id.get("circles_accuracy")
    if circles and circles.figures.get("Yhat_grid") is not None:
        _figure(figures, "Your Part-1 network, trained by the grader: decision boundary", decision_boundary_png,
                circles.figures["Yhat_grid"], "decision boundary (training set shown)")
    if circles and circles.figures.get("train_loss") is not None and np.all(np.isfinite(circles.figures["train_loss"])):
        _figure(figures, "Your Part-1 network: training loss per epoch", loss_curve_png,
                circles.figures["train_loss"], "Circles, grader's training run")
    mnist = by_id.get("mnist_accuracy")
    if mnist and mnist.figures.get("train_loss") is not None and np.all(np.isfinite(mnist.figures["train_loss"])):
        _figure(figures, "Your Part-4 functions on MNIST with your MNIST_HPARAMS: training loss", loss_curve_png,
                mnist.figures["train_loss"], "MNIST, grader's training run")
    svm = by_id.get("fit_svm")
    if svm and svm.figures.get("grid_predictions") is not None:
        _figure(figures, "Your SVM's decision boundary", decision_boundary_png, svm.figures["grid_predictions"], "fit_svm")
    return figures


def person(result):
    """A student as the instructor's pages name them: `Zoé Lefèvre (21004)`, or the id alone."""
    name = getattr(result, "name", "")
    return f"{name} ({result.submission})" if name and name != result.submission else result.submission


# What the student's page says when there was nothing to grade. The reason the instructor reads
# (result.detail: which files, what to pass to `grade`) is on the class summary, not here.
TO_THE_STUDENT = {
    Status.MISSING: "No hand-in of yours was found for this assignment, so there is no grade. If you did hand one "
               "in, tell your instructor.",
    Status.AMBIGUOUS: "You handed in several notebooks: your instructor will choose the one to grade. There is no "
                 "grade until then.",
}


def write_student_report(result, path):
    parts = {q.id: q.part for q in config.CONTRACT.QUESTIONS}
    html = ENV.get_template("report.html.j2").render(
        r=result, parts=parts, figures=student_figures(result), catalogue=CATALOGUE,
        to_the_student=TO_THE_STUDENT.get(result.status, ""), who=person(result))
    atomic_write(path, html)



def summary_data(results):
    graded = [r for r in results if r.status == Status.GRADED]
    scored = [r for r in results if r.status not in NO_GRADE]  # every statistic counts these only
    possible = max((r.possible for r in results), default=0)
    per_question = []
    for i, qid in enumerate(checks.ORDER):
        scores = [r.questions[i] for r in scored]
        full = sum(q.score >= q.max_score - 1e-9 for q in scores)
        per_question.append({"id": qid, "max": scores[0].max_score if scores else
                             (results[0].questions[i].max_score if results else 0),
                             "mean": float(np.mean([q.score for q in scores])) if scores else 0.0,
                             "full_rate": full / len(scores) if scores else 0.0})
    counts = collections.Counter(m for r in results for q in r.questions for m in q.mistakes)
    mistakes = [{"id": m, "count": n, "title": CATALOGUE[m].title, "question": CATALOGUE[m].question,
                 "students": [person(r) for r in sorted(results, key=lambda r: r.submission)
                              if any(m in q.mistakes for q in r.questions)]}
                for m, n in counts.most_common()]
    problems = [r for r in results if r.status != Status.GRADED]
    isolation = sorted({r.isolation for r in results if r.isolation}, key=lambda text: not text.startswith("WITHOUT"))
    return {"n": len(results), "n_graded": len(graded), "possible": possible, "questions": per_question,
            "isolation": isolation[0] if isolation else "",
            "mistakes": mistakes, "problems": problems, "n_scored": len(scored),
            "n_reused": sum(bool(getattr(r, "cached", False)) for r in results),
            "mean": float(np.mean([r.total for r in scored])) if scored else 0.0,
            "median": float(np.median([r.total for r in scored])) if scored else 0.0}


def write_summary(results, out_dir, similarity=None):
    data = summary_data(results)
    fig, ax = _subplots(figsize=(5.5, 3))
    from matplotlib.ticker import MaxNLocator

    ax.hist([r.total for r in results if r.status not in NO_GRADE], bins=20, range=(0, max(data["possible"], 1)),
            color="tab:blue")
    ax.set_xlabel(f"total (out of {data['possible']:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Score distribution")
    _save_png(fig, Path(out_dir) / "scores.png")
    histogram = _png(fig)
    fig, ax = _subplots(figsize=(6.5, 3.4))
    ax.barh([q["id"] for q in data["questions"]][::-1], [100 * q["full_rate"] for q in data["questions"]][::-1],
            color="tab:green")
    ax.set_xlabel("% of students with full points")
    ax.set_xlim(0, 100)
    _save_png(fig, Path(out_dir) / "questions.png")
    pass_rates = _png(fig)
    if similarity is not None:
        from .similarity import render_html

        names = {r.submission: person(r) for r in results}
        similarity_html = render_html(similarity, names=names)  # escapes every piece of student text itself
    else:
        similarity_html = ""
    html = ENV.get_template("summary.html.j2").render(d=data, results=sorted(results, key=lambda r: r.submission),
                                                      histogram=histogram, pass_rates=pass_rates,
                                                      similarity=similarity_html, person=person)
    atomic_write(Path(out_dir) / "summary.html", html)
