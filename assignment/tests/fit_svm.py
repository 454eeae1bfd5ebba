from otter.test_files import test_case

OK_FORMAT = False

name = "fit_svm"
points = 10

@test_case(points=None, hidden=False, 
    success_message="These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.", 
    failure_message="These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.")
def test_fit_svm_public_checks(fit_svm):
    from tp1_support.checks import check_fit_svm
    check_fit_svm(fit_svm)

