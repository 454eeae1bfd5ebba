def _leave(code=sys.exit(4)):  # a default argument runs at definition time: sys.exit at top level
    pass


def loss_accuracy(Yhat, Y):  # sys.exit inside a graded function
    sys.exit(0)
