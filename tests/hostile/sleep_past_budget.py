def sgd_nn(model, eta):  # sleeps past the question's budget (10 s), then does the right thing
    time.sleep(15)
    return _REF['sgd_nn'](model, eta)
