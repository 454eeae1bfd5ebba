def fit_svm(X, y):  # a hard crash of the interpreter
    ctypes.string_at(0)
