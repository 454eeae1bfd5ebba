def backward(params, outputs, Y):  # not done yet
    raise NotImplementedError('backward is left to do')
