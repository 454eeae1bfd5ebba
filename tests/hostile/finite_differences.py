def _mean_ce(Wh, bh, Wy, by, X, Y):  # the loss for a batch of K parameter sets: (K,)
    logits = torch.tanh(X @ Wh.transpose(1, 2) + bh) @ Wy.transpose(1, 2) + by
    return -(Y * torch.log_softmax(logits, dim=2)).sum(2).mean(1)


def backward(params, outputs, Y):  # batched central finite differences of the mean loss, in float64
    P = {k: v.detach().double() for k, v in params.items()}
    X, T = outputs['X'].detach().double(), Y.detach().double()
    names, h, grads = ('Wh', 'bh', 'Wy', 'by'), 1e-6, {}
    for name in names:
        n = P[name].numel()
        g = torch.empty(n, dtype=torch.float64)
        for start in range(0, n, 256):
            idx = torch.arange(start, min(n, start + 256))
            K = len(idx)
            batch = {k: P[k].unsqueeze(0).expand(2 * K, *P[k].shape).clone() for k in names}
            flat = batch[name].reshape(2 * K, -1)
            flat[torch.arange(K), idx] += h
            flat[torch.arange(K, 2 * K), idx] -= h
            L = _mean_ce(batch['Wh'], batch['bh'], batch['Wy'], batch['by'], X, T)
            g[idx] = (L[:K] - L[K:]) / (2 * h)
        grads[name] = g.reshape(P[name].shape).to(params[name].dtype)
    return grads
