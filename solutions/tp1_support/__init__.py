"""Support code for TP1-ab (Introduction to Neural Networks): data sets and plots.

    from tp1_support import CirclesData, MNISTData, save_figure
"""
from .circles import CirclesData, draw_circles
from .figures import FIGURES, save_figure
from .mnist import MNISTData, MNISTFileError

__all__ = ["CirclesData", "MNISTData", "MNISTFileError", "FIGURES", "draw_circles", "save_figure"]
