from otter.test_files import test_case

OK_FORMAT = False

name = "init_params"
points = 5

@test_case(points=None, hidden=False, 
    success_message="These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.", 
    failure_message="These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.")
def test_init_params_public_checks(init_params):
    from tp1_support.checks import check_init_params
    check_init_params(init_params)

