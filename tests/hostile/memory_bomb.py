def fit_svm(X, y):  # allocates (and touches) 64 MB blocks until the sandbox says no
    hog = []
    while True:
        hog.append(b'x' * (64 * 2**20))
