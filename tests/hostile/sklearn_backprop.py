def backward(params, outputs, Y):  # scikit-learn's own backpropagation on the contract's network
    import numpy as np
    from sklearn.neural_network import MLPClassifier
    X = outputs['X'].detach().double().numpy()
    T = Y.detach().double().numpy()
    nx, nh, ny = X.shape[1], params['Wh'].shape[0], params['Wy'].shape[0]
    mlp = MLPClassifier(hidden_layer_sizes=(nh,), activation='tanh', alpha=0.0)
    mlp.out_activation_ = 'softmax'
    mlp.n_layers_ = 3
    mlp.n_outputs_ = ny
    coefs = [params['Wh'].detach().double().numpy().T.copy(), params['Wy'].detach().double().numpy().T.copy()]
    intercepts = [params['bh'].detach().double().numpy().reshape(-1).copy(), params['by'].detach().double().numpy().reshape(-1).copy()]
    activations = [X, np.empty((len(X), nh)), np.empty((len(X), ny))]
    deltas = [np.empty_like(a) for a in activations[1:]]
    coef_grads = [np.empty_like(c) for c in coefs]
    intercept_grads = [np.empty_like(b) for b in intercepts]
    mlp.coefs_, mlp.intercepts_ = coefs, intercepts
    _, coef_grads, intercept_grads = mlp._backprop(X, T, None, activations, deltas, coef_grads, intercept_grads)
    dtype = params['Wh'].dtype
    return {'Wh': torch.tensor(coef_grads[0].T, dtype=dtype), 'bh': torch.tensor(intercept_grads[0], dtype=dtype).reshape(1, -1),
            'Wy': torch.tensor(coef_grads[1].T, dtype=dtype), 'by': torch.tensor(intercept_grads[1], dtype=dtype).reshape(1, -1)}
