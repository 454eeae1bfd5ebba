"""The Circles data set: class 1 is an inner disk, class 0 a ring that overlaps it.

Class 1 is uniform on the disk of radius 0.74; class 0 is uniform on the ring 0.5 < r < 1.73.
In the overlap (0.5 < r < 0.74) class 1 is ~5x denser, so the ideal classifier is the circle
r = 0.74: it misclassifies the ring points that fall inside it, a fraction
(0.74^2 - 0.5^2) / (1.73^2 - 0.5^2) = 10.9 % of the ring, so its EXPECTED accuracy is 94.6 %.
On a finite sample it scores more or less by chance (+-1.6 points on 200 points): 0.935 on the
kit's training set (13 ring points inside the circle) and 0.975 on its test set (5).
"""
from pathlib import Path

import numpy as np
import torch

INNER_RADIUS = 0.74
RING_RADII = (0.5, 1.73)
PLOT_LIMITS = (-2.0, 2.0)
GRID_STEP = 0.1  # 40 x 40 cells over [-2, 2]^2; Xgrid holds their centres

_PACKAGE_DATA = Path(__file__).resolve().parent / "data" / "circles.npz"
_SOURCE_TREE_DATA = Path(__file__).resolve().parents[2] / "datasets" / "circles.npz"


def _radii_uniform_in_area(rng, n, r_min, r_max):
    # Uniform in area, not in radius: r = sqrt(U(r_min^2, r_max^2)).
    return np.sqrt(rng.uniform(r_min**2, r_max**2, size=n))


def draw_circles(n_per_class, seed):
    """Draw a Circles sample.

    Returns X (2 * n_per_class, 2) float32 and labels (2 * n_per_class,) int64 in {0, 1},
    shuffled; exactly n_per_class points of each class.
    """
    rng = np.random.default_rng(seed)
    r = np.concatenate([
        _radii_uniform_in_area(rng, n_per_class, *RING_RADII),  # class 0
        _radii_uniform_in_area(rng, n_per_class, 0.0, INNER_RADIUS),  # class 1
    ])
    theta = rng.uniform(0.0, 2.0 * np.pi, size=2 * n_per_class)
    X = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).astype(np.float32)
    labels = np.repeat(np.array([0, 1], dtype=np.int64), n_per_class)
    order = rng.permutation(2 * n_per_class)
    return X[order], labels[order]


def one_hot(labels, n_classes):
    """(N,) integer labels -> (N, n_classes) float32 tensor."""
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    return torch.nn.functional.one_hot(labels, n_classes).to(torch.float32)


def _grid():
    # Cell centres: each value is drawn as the whole cell around it, so the 40 x 40 cells tile the
    # plot's [-2, 2]^2 exactly, with no blank band at its edges.
    low, high = PLOT_LIMITS
    ticks = np.arange(low + GRID_STEP / 2, high, GRID_STEP)
    x1, x2 = np.meshgrid(ticks, ticks)
    return torch.from_numpy(np.stack([x1.ravel(), x2.ravel()], axis=1).astype(np.float32))


class CirclesData:
    """The kit's Circles data: 200 train and 200 test points in 2-D, two classes of 100 each.

    Attributes (float32 tensors): Xtrain (200, 2), Ytrain (200, 2) one-hot, Xtest (200, 2),
    Ytest (200, 2) one-hot, Xgrid (1600, 2) the centres of a 40x40 grid of cells tiling [-2, 2]^2,
    for decision boundaries.
    """

    _ATTRIBUTES = ("Xtrain", "Ytrain", "Xtest", "Ytest", "Xgrid")

    def __init__(self, path=None):
        if path is None:
            path = _PACKAGE_DATA if _PACKAGE_DATA.exists() else _SOURCE_TREE_DATA
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in ("Xtrain", "ytrain", "Xtest", "ytest")}
        except (OSError, ValueError, KeyError) as e:
            raise ValueError(f"cannot read the Circles data file {path}: {e}") from e
        self.Xtrain = torch.from_numpy(arrays["Xtrain"].astype(np.float32))
        self.Ytrain = one_hot(arrays["ytrain"], 2)
        self.Xtest = torch.from_numpy(arrays["Xtest"].astype(np.float32))
        self.Ytest = one_hot(arrays["ytest"], 2)
        self.Xgrid = _grid()

    def __getattr__(self, name):
        # Only called for missing attributes: fail loudly instead of returning None.
        raise AttributeError(
            f"CirclesData has no attribute {name!r}; it has {', '.join(self._ATTRIBUTES)} "
            "and the methods plot_data, plot_data_with_grid, plot_loss"
        )

    def plot_data(self, ax=None, legend=True):
        """Scatter the train (o) and test (x) points, coloured by class. Returns the figure."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(4.5, 4.5))
        for X, Y, marker, split in ((self.Xtrain, self.Ytrain, "o", "train"),
                                    (self.Xtest, self.Ytest, "x", "test")):
            c = Y.argmax(1).numpy()
            for k, colour in ((0, "tab:blue"), (1, "tab:red")):
                pts = X.numpy()[c == k]
                ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=14, color=colour,
                           label=f"{split}, class {k}")
        ax.set_xlim(*PLOT_LIMITS)
        ax.set_ylim(*PLOT_LIMITS)
        ax.set_aspect("equal")
        if legend:
            ax.legend(fontsize=7, loc="upper right")
        return fig

    def plot_data_with_grid(self, Ygrid, title="", ax=None, legend=True):
        """Decision boundary: Ygrid (1600, 2) are the model's outputs on Xgrid (probabilities or
        logits; the boundary is where the two columns are equal). Each grid value colours its whole
        cell, so the colours fill the axes. Returns the figure."""
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap

        Ygrid = torch.as_tensor(Ygrid).detach().to(torch.float32)
        if Ygrid.shape != (self.Xgrid.shape[0], 2):
            raise ValueError(f"Ygrid must have shape ({self.Xgrid.shape[0]}, 2), got {tuple(Ygrid.shape)}")
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(4.5, 4.5))
        side = int(round(self.Xgrid.shape[0] ** 0.5))
        margin = (Ygrid[:, 1] - Ygrid[:, 0]).reshape(side, side).numpy()
        x1 = self.Xgrid[:, 0].reshape(side, side).numpy()
        x2 = self.Xgrid[:, 1].reshape(side, side).numpy()
        # Rows of the grid are x2 (meshgrid's order): origin="lower" puts x2 = -2 at the bottom.
        ax.imshow(margin > 0, origin="lower", extent=(*PLOT_LIMITS, *PLOT_LIMITS),
                  cmap=ListedColormap(["#cfe0f3", "#f6d0cc"]), vmin=0, vmax=1, interpolation="nearest")
        if margin.min() < 0 < margin.max():
            ax.contour(x1, x2, margin, levels=[0.0], colors="k", linewidths=1)
        self.plot_data(ax=ax, legend=legend)
        ax.set_title(title)
        return fig

    @staticmethod
    def plot_loss(loss_train, loss_test, acc_train, acc_test, title=""):
        """Loss (left) and accuracy (right) per epoch, train and test. Returns the figure."""
        import matplotlib.pyplot as plt

        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax_loss.plot(loss_train, label="train")
        ax_loss.plot(loss_test, label="test")
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("cross-entropy")
        ax_acc.plot(acc_train, label="train")
        ax_acc.plot(acc_test, label="test")
        ax_acc.set_xlabel("epoch")
        ax_acc.set_ylabel("accuracy")
        ax_acc.set_ylim(0, 1.02)
        for ax in (ax_loss, ax_acc):
            ax.legend()
            ax.grid(alpha=0.3)
        fig.suptitle(title)
        fig.tight_layout()
        return fig
