from otter.test_files import test_case

OK_FORMAT = False

name = "loss_accuracy"
points = 6

@test_case(points=None, hidden=False, 
    success_message="These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.", 
    failure_message="These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.")
def test_loss_accuracy_public_checks(loss_accuracy):
    from tp1_support.checks import check_loss_accuracy
    check_loss_accuracy(loss_accuracy)

