from otter.test_files import test_case

OK_FORMAT = False

name = "sgd_nn"
points = 5

@test_case(points=None, hidden=False, 
    success_message="These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.", 
    failure_message="These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.")
def test_sgd_nn_public_checks(sgd_nn):
    from tp1_support.checks import check_sgd_nn
    check_sgd_nn(sgd_nn)

