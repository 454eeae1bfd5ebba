def backward(params, outputs, Y):  # lone surrogates in an error message
    raise ValueError('st\udce9phane \udcff')


def loss_accuracy(Yhat, Y):  # and in a dictionary key
    return {'\udce9': 1}, {'\udce9': '\udce9'}


def init_model(nx, nh, ny):  # and in a class name
    model_class = type('M\udce9', (torch.nn.Module,), {})
    return model_class(), {'\udce9': '\udce9'}
