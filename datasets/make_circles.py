"""Make the kit's Circles data file: python datasets/make_circles.py  (writes datasets/circles.npz).

The generator is tp1_support.draw_circles; the grader draws fresh hidden test sets from it with
seeds that are not in the student release.
"""
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "solutions"))
from tp1_support.circles import draw_circles  # noqa: E402

TRAIN_SEED, TEST_SEED = 2024, 2025
N_PER_CLASS = 100


def main(out=HERE / "circles.npz"):
    Xtrain, ytrain = draw_circles(N_PER_CLASS, TRAIN_SEED)
    Xtest, ytest = draw_circles(N_PER_CLASS, TEST_SEED)
    np.savez(out, Xtrain=Xtrain, ytrain=ytrain, Xtest=Xtest, ytest=ytest)
    print(f"wrote {out}: train {Xtrain.shape}, test {Xtest.shape}")


if __name__ == "__main__":
    main()
