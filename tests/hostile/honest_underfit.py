MNIST_HPARAMS = {'nh': 100, 'eta': 0.0001, 'batch_size': 32, 'epochs': 1}  # far too small a step: MNIST underfits
