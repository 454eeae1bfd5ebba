def init_model_optim(nx, nh, ny, eta):  # 100 MB on stderr during the MNIST run
    if nx > 100:
        for _ in range(100):
            sys.stderr.write('y' * 2**20)
        sys.stderr.flush()
    return _REF['init_model_optim'](nx, nh, ny, eta)
