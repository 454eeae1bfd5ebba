from otter.test_files import test_case

OK_FORMAT = False

name = "mnist_accuracy"
points = 8

@test_case(points=None, hidden=False, 
    success_message="These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.", 
    failure_message="These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.")
def test_mnist_accuracy_public_checks(init_model_optim, loss_accuracy_nn, MNIST_HPARAMS, mnist):
    from tp1_support.checks import check_mnist_accuracy
    check_mnist_accuracy(init_model_optim, loss_accuracy_nn, MNIST_HPARAMS, mnist)

