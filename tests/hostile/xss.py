def init_params(nx, nh, ny):  # HTML in its own feedback
    raise ValueError(__XSS__)


def init_model_optim(nx, nh, ny, eta):  # and in the crash detail shown on the class summary
    if nx > 100:
        sys.stderr.write('\n' + __XSS__ + '\n')
        sys.stderr.flush()
        os._exit(1)
    return _REF['init_model_optim'](nx, nh, ny, eta)
