class _Shout:  # 100 MB on stdout at definition time
    for _ in range(100):
        sys.stdout.write('x' * 2**20)
    sys.stdout.flush()
