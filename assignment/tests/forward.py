from otter.test_files import test_case

OK_FORMAT = False

name = "forward"
points = 10

@test_case(points=None, hidden=False, 
    success_message="These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.", 
    failure_message="These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.")
def test_forward_public_checks(forward):
    from tp1_support.checks import check_forward
    check_forward(forward)

