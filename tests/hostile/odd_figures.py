class _Column:  # a classifier that predicts an (N, 1) column
    def fit(self, X, y):
        return self

    def predict(self, X):
        return numpy.zeros((len(X), 1))


def fit_svm(X, y):
    return _Column()


def sgd(params, grads, eta):  # parameters that overflow: the grader's figures must not break
    return {k: torch.full_like(p, 1e308 if k.startswith('W') else -1e308) for k, p in params.items()}


def loss_accuracy_nn(loss, Ytilde, Y):  # a loss that blows up the MNIST curve
    L, acc = _REF['loss_accuracy_nn'](loss, Ytilde, Y)
    return L * 1e300, acc * 1e300
