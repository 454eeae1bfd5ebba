def fit_svm(X, y):
    raise RuntimeError('no SVM yet')
