"""The figures the notebook saves for the LaTeX report (``report_template/``).

Every name here has a slot in ``report_template/report.tex``; a test keeps the two in sync.
"""
from pathlib import Path

FIGURE_DIR = Path("figures")

# name -> what the notebook draws there
FIGURES = {
    "circles_data.pdf": "the Circles train and test points",
    "linear_baseline.pdf": "a linear classifier (logistic regression) on Circles: its boundary is a line",
    "part1_curves.pdf": "Part 1 (manual): loss and accuracy per epoch, train and test",
    "part1_boundary.pdf": "Part 1 (manual): decision boundary over the 40x40 grid",
    "hidden_units.pdf": "Part 1: decision boundaries for nh = 1, 2, 3, 5, 20, 50 hidden units (validation split)",
    "sweep_eta_batch.pdf": "Part 1: training loss and validation accuracy for eta x batch size (3 x 3 runs)",
    "early_stopping.pdf": "Part 1: the chosen nh, eta, B; training and validation loss, the epoch where "
                          "training stops, the test accuracy measured once",
    "part2_curves.pdf": "Part 2 (autograd): loss and accuracy curves",
    "part2_boundary.pdf": "Part 2 (autograd): decision boundary",
    "handout_mismatch.pdf": "the handout's Part 1 (gradient of the sum) and Part 2 (autograd on the mean) at "
                            "the same eta = 0.03: training loss per epoch",
    "part3_curves.pdf": "Part 3 (torch.nn): loss and accuracy curves",
    "part3_boundary.pdf": "Part 3 (torch.nn): decision boundary",
    "part4_curves.pdf": "Part 4 (torch.optim): loss and accuracy curves",
    "part4_boundary.pdf": "Part 4 (torch.optim): decision boundary",
    "comparison.pdf": "the four implementations side by side: test accuracy per epoch",
    "loss_functions.pdf": "squared error vs cross-entropy: the gradient on the true class's logit, and "
                          "training from large initial weights",
    "mnist_curves.pdf": "Part 5 (MNIST): loss and accuracy curves",
    "svm_kernels.pdf": "Part 6: SVM decision boundaries, one panel per kernel at its cross-validated C",
    "svm_table.tex": "Part 6: a LaTeX tabular of the cross-validated accuracy per kernel and C",
}


def save_figure(fig, name):
    """Save a matplotlib figure (or, for ``.tex`` names, a string) under ``figures/``."""
    if name not in FIGURES:
        raise KeyError(f"unknown figure name {name!r}; expected one of {sorted(FIGURES)}")
    FIGURE_DIR.mkdir(exist_ok=True)
    path = FIGURE_DIR / name
    if name.endswith(".tex"):
        path.write_text(fig)
    else:
        fig.savefig(path, bbox_inches="tight")
    return path
