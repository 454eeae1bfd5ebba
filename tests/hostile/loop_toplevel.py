class _Spin:  # a class body runs at definition time: an infinite loop at top level
    while True:
        pass
