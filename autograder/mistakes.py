"""The catalogue of known student mistakes: what the checks look for, and what the student reads.

Each entry: the question it costs points on, a short title (the instructor's summary counts them),
and the feedback in plain words. The checks in autograder/checks/ name these ids when the symptom
matches.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    question: str
    title: str
    feedback: str


CATALOGUE = {m_id: Mistake(*fields) for m_id, fields in {
    # init_params
    "init_no_scale": ("init_params", "weights not scaled by 0.3",
                      "Your weights have a standard deviation of about 1: multiply torch.randn(...) by 0.3."),
    "init_variance_as_std": ("init_params", "0.3 used as the variance",
                             "Your weights have a standard deviation of about 0.55 = sqrt(0.3): 0.3 is the "
                             "standard deviation, so multiply by 0.3, not by sqrt(0.3)."),
    "init_uniform": ("init_params", "uniform instead of normal initialisation",
                     "Your weights look uniformly distributed: draw them from a normal law (torch.randn)."),
    "init_bias_random": ("init_params", "random biases",
                         "Your biases are not zero: initialise bh and by with torch.zeros."),
    "params_in_out_layout": ("init_params", "weights in (in, out) layout",
                             "Your weights have the (in, out) layout: the kit uses W of shape (out, in), "
                             "Wh (nh, nx) and Wy (ny, nh), as nn.Linear does."),
    # forward
    "softmax_wrong_axis": ("forward", "SoftMax over the wrong axis",
                           "Your SoftMax normalises each column (over the batch, dim=0): each row, one "
                           "example, must sum to 1, so normalise over dim=1."),
    "softmax_unstable": ("forward", "SoftMax without subtracting the max",
                         "Your forward gives NaN or inf for large logits: exp(1000) overflows. Subtract each "
                         "row's maximum from ytilde before exp (the SoftMax does not change)."),
    "no_softmax": ("forward", "Yhat is not a probability distribution",
                   "The rows of your Yhat do not sum to 1: apply the SoftMax to ytilde."),
    "sigmoid_hidden": ("forward", "sigmoid instead of tanh",
                       "Your hidden layer uses the sigmoid: the TP's network uses tanh."),
    "no_hidden_activation": ("forward", "no activation on the hidden layer",
                             "Your h equals htilde: apply tanh to the hidden layer, otherwise the network "
                             "is linear."),
    "forward_bias_missing": ("forward", "a bias left out",
                             "Your forward ignores a bias: htilde = X Wh^T + bh and ytilde = h Wy^T + by."),
    # loss_accuracy
    "loss_summed": ("loss_accuracy", "loss summed over the batch",
                    "Your loss is N times the expected value: you summed over the batch, but L is the mean."),
    "loss_mean_over_classes": ("loss_accuracy", "loss averaged over the classes too",
                               "Your loss is the expected value divided by the number of classes: average "
                               "over the examples only, sum over the classes."),
    "loss_sign": ("loss_accuracy", "cross-entropy without its minus sign",
                  "Your loss is negative: the cross-entropy is -sum y log yhat."),
    "accuracy_percent": ("loss_accuracy", "accuracy in percent",
                         "Your accuracy is 100 times the expected value: return a fraction in [0, 1]."),
    "accuracy_count": ("loss_accuracy", "accuracy as a count",
                       "Your accuracy is the number of correct rows: divide by the batch size."),
    "loss_not_tensor": ("loss_accuracy", "loss not returned as a tensor",
                        "Your L is not a torch tensor (did you call .item()?): Part 2 calls L.backward()."),
    # backward
    "grad_summed": ("backward", "gradients summed over the batch (N times too large)",
                    "Your gradients are exactly N times the expected ones: you summed over the batch, but "
                    "the loss is the mean, so divide by N (dL/dytilde = (Yhat - Y) / N)."),
    "missing_tanh_derivative": ("backward", "tanh derivative missing",
                                "Your gradients of Wh and bh miss the tanh derivative: multiply "
                                "(dytilde Wy) element-wise by (1 - h**2)."),
    "tanh_derivative_of_htilde": ("backward", "(1 - htilde^2) instead of (1 - h^2)",
                                  "You used (1 - htilde**2): the derivative of tanh at htilde is "
                                  "1 - tanh(htilde)**2 = 1 - h**2."),
    "gradient_transposed": ("backward", "a transposed gradient",
                            "A gradient has the transposed shape: the gradient of W (out, in) is "
                            "dL/dout^T @ input, of shape (out, in)."),
    "h_instead_of_x": ("backward", "H used instead of X in the gradient of Wh",
                       "Your gradient of Wh uses h where it needs the layer's input X: "
                       "dWh = dhtilde^T @ X."),
    "bias_not_summed": ("backward", "bias gradient not summed over the batch",
                        "Your bias gradient has one row per example: sum it over the batch (dim=0, "
                        "keepdim=True) to get the (1, out) shape of the bias."),
    "gradient_sign": ("backward", "gradients with the wrong sign",
                      "Your gradients have the opposite sign: dL/dytilde = (Yhat - Y) / N, not (Y - Yhat)."),
    # sgd
    "sgd_adds_gradient": ("sgd", "sgd adds the gradient",
                          "Your sgd moves up the gradient: the step is p - eta * grad."),
    "sgd_no_return": ("sgd", "sgd returns nothing",
                      "Your sgd updates the parameters but returns None: return the dict of parameters."),
    "sgd_ignores_eta": ("sgd", "sgd ignores eta",
                        "Your sgd does not use the learning rate: the step is p - eta * grad."),
    # autograd
    "autograd_no_requires_grad": ("init_params_autograd", "parameters without requires_grad",
                                  "Your parameters do not require a gradient: call .requires_grad_() on "
                                  "each tensor after drawing it."),
    "autograd_nonleaf_init": ("init_params_autograd", "parameters that are not leaf tensors",
                              "Your parameters are not leaf tensors (0.3 * torch.randn(..., "
                              "requires_grad=True) is a computed tensor): draw, scale, then call "
                              ".requires_grad_()."),
    "autograd_grads_not_zeroed": ("sgd_autograd", "gradients not zeroed after the step",
                                  "Your second step used the sum of both gradients: .grad accumulates, so "
                                  "zero it after each step (p.grad.zero_())."),
    "autograd_params_not_leaf": ("sgd_autograd", "update turns parameters into non-leaf tensors",
                                 "After your step the parameters are no longer leaf tensors (p = p - eta * "
                                 "p.grad builds a new tensor in the graph): update in place under "
                                 "torch.no_grad()."),
    # torch.nn
    "nn_softmax_in_model": ("init_model", "SoftMax inside the model before cross-entropy",
                            "Your model ends with a SoftMax, but nn.CrossEntropyLoss expects logits and "
                            "applies the (log-)SoftMax itself: remove it from the model."),
    "nn_sigmoid": ("init_model", "Sigmoid instead of Tanh",
                   "Your model uses Sigmoid: the TP's network uses nn.Tanh()."),
    "nn_wrong_loss": ("init_model", "not a cross-entropy loss",
                      "Your loss is not the cross-entropy of logits: use nn.CrossEntropyLoss()."),
    "nn_grads_not_zeroed": ("sgd_nn", "gradients not zeroed in sgd_nn",
                            "Your sgd_nn does not zero the gradients: call model.zero_grad() after the step."),
    "nn_accuracy_percent": ("loss_accuracy_nn", "accuracy in percent",
                            "Your accuracy is 100 times the expected value: return a fraction in [0, 1]."),
    # torch.optim
    "optim_ignores_eta": ("init_model_optim", "optimizer ignores eta",
                          "Your optimizer's learning rate is not eta: torch.optim.SGD(model.parameters(), lr=eta)."),
    "optim_not_sgd": ("init_model_optim", "not plain SGD",
                      "Your optimizer is not plain SGD (another class, or momentum/weight decay): the TP "
                      "asks for torch.optim.SGD with lr=eta only."),
    "optim_wrong_parameters": ("init_model_optim", "optimizer not over the model's parameters",
                               "Your optimizer does not hold exactly the returned model's parameters "
                               "(did you build a second model?)."),
    # SVM
    "svm_linear_kernel": ("fit_svm", "linear kernel on Circles",
                          "Your SVM has a linear kernel: no straight line separates a disk from a ring. Try "
                          "the RBF kernel (or a polynomial of degree 2)."),
}.items()}
