from otter.test_files import test_case

OK_FORMAT = False

name = "loss_accuracy_nn"
points = 5

@test_case(points=None, hidden=False, 
    success_message="These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.", 
    failure_message="These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.")
def test_loss_accuracy_nn_public_checks(loss_accuracy_nn):
    from tp1_support.checks import check_loss_accuracy_nn
    check_loss_accuracy_nn(loss_accuracy_nn)

