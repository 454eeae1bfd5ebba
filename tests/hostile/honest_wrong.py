def forward(params, X):  # right values, but float32 (loses "keeps float64")
    Yhat, outputs = _REF['forward'](params, X)
    return Yhat.float(), outputs


def backward(params, outputs, Y):  # zero gradients
    return {name: torch.zeros_like(p) for name, p in params.items()}


def init_params_autograd(nx, nh, ny):  # forgot requires_grad
    return init_params(nx, nh, ny)


def loss_accuracy_nn(loss, Ytilde, Y):  # L as a Python float
    L, acc = _REF['loss_accuracy_nn'](loss, Ytilde, Y)
    return L.item(), acc


def init_model_optim(nx, nh, ny, eta):  # Adam instead of SGD
    model, loss = init_model(nx, nh, ny)
    return model, loss, torch.optim.Adam(model.parameters(), lr=eta)
