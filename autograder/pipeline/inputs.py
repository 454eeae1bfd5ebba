"""The grader's inputs: what each question's probe receives, the same for every submission."""
import functools

from .. import checks

BASE_SEED = 20_240_917


@functools.cache
def grading_inputs():
    """The probes' inputs per question and the request, the same for every submission (determinism)."""
    inputs, request_questions, per_question = {}, [], {}
    for i, q in enumerate(checks.QUESTIONS):
        seed = BASE_SEED + 7919 * i
        q_arrays, params = q.make_inputs(seed)
        per_question[q.id] = (q_arrays, params)
        inputs[q.id] = q_arrays
        request_questions.append({"id": q.id, "seconds": q.seconds, "seed": seed, "params": params,
                                  "needs": list(q.needs)})
    request = {"definitions_seconds": 30, "questions": request_questions}
    return inputs, request, per_question
