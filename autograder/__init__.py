"""The TP1-ab grading engine: `python -m autograder grade PATH... --out DIR`."""
