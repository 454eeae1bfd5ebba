"""The catalogue of known student mistakes, in one place: the public checks that students run while
they work (tp1_support.checks) and the grader's feedback (autograder/mistakes.py imports this module
from the release) name a mistake with the same title.

Each entry: the question it costs points on, a short title (the instructor's summary counts them),
the feedback of the graded report (after grading: it may say how to fix it) and the hint the public
checks give while the student works (HINTS: which mistake it is and the idea behind it, not the line
of code: the fix is the student's to write). It describes mistakes and their symptoms; it holds no
test input and no reference solution.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    question: str
    title: str
    feedback: str  # the graded report's words, after grading
    hint: str  # the public checks' words, while the student works


_ENTRIES = {
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
    "params_float64": ("init_params", "parameters in float64",
                       "Your parameters are float64 tensors (NumPy's default dtype, or dtype=torch.float64): "
                       "every tensor of the TP is float32, torch's default, and float64 weights meet the "
                       "float32 data of Circles in forward, where the training fails. Draw them with "
                       "torch.randn and torch.zeros (or convert them with .float())."),
    "params_not_tensors": ("init_params", "parameters are NumPy arrays, not tensors",
                           "Your init_params returns NumPy arrays: the TP's parameters are torch tensors "
                           "(forward, autograd and the training loops work on tensors). Draw them with "
                           "torch.randn and torch.zeros."),
    # forward
    "forward_weights_not_transposed": ("forward", "weights multiplied without their transpose",
                                       "Your forward multiplies by a weight matrix as it is (X @ Wh): the kit's "
                                       "weights are (out, in), as nn.Linear's, so a layer is X @ Wh.T + bh (and "
                                       "h @ Wy.T + by); without the transpose the product fails on the shapes."),
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
    "dtype_changed": ("forward", "dtype not preserved",
                      "Your forward does not return the dtype of its input (float32 in must give float32 "
                      "out, float64 in float64 out): compute with the tensors you receive, without "
                      ".double() / .float() conversions."),
    "outputs_incomplete": ("forward", "outputs dict incomplete",
                           "Your outputs dict lacks some of the keys X, htilde, h, ytilde, yhat (or names "
                           "them differently): backward reads every intermediate from it, under exactly "
                           "these names."),
    # loss_accuracy
    "loss_accuracy_swapped": ("loss_accuracy", "(acc, L) returned instead of (L, acc)",
                              "Your loss_accuracy returns the accuracy first and the loss second: the contract is "
                              "(L, acc), in that order (return L, acc)."),
    "loss_summed": ("loss_accuracy", "loss summed over the batch",
                    "Your loss is N times the expected value: you summed over the batch, but L is the mean."),
    "loss_mean_over_classes": ("loss_accuracy", "loss averaged over the classes too",
                               "Your loss is the expected value divided by the number of classes: average "
                               "over the examples only, sum over the classes."),
    "loss_sign": ("loss_accuracy", "cross-entropy without its minus sign",
                  "Your loss is negative: the cross-entropy is -sum y log yhat."),
    "accuracy_percent": ("loss_accuracy", "accuracy in percent",
                         "Your accuracy is 100 times the expected value: return a fraction in [0, 1]."),
    "accuracy_threshold": ("loss_accuracy", "a row counted right when its true class has probability above 0.5",
                           "Your accuracy counts a row as right when the probability of its true class is above "
                           "0.5: a row is right when the argmax of Yhat is its true class, and with more than two "
                           "classes the largest probability can be below 0.5. Compare Yhat.argmax(dim=1) with "
                           "Y.argmax(dim=1)."),
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
    "tanh_applied_twice": ("backward", "tanh derivative computed as 1 - tanh(h)²",
                           "Your tanh derivative is 1 - tanh(h)²: h is already tanh(htilde), so tanh is applied "
                           "twice. The derivative at htilde is 1 - tanh(htilde)² = 1 - h²."),
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
    "bias_grad_mean": ("backward", "bias gradient averaged over the batch (N times too small)",
                       "Your bias gradients are exactly 1/N of the expected ones: dL/dytilde already holds "
                       "the 1/N of the mean, so sum it over the batch (dim=0), do not average it again."),
    "bias_grad_shape": ("backward", "bias gradient of shape (out,) instead of (1, out)",
                        "Your bias gradient has the right values but shape (out,): sum with keepdim=True to "
                        "keep the (1, out) shape of the bias."),
    "dtype_changed_backward": ("backward", "gradients not in the dtype of the parameters",
                               "Your gradients are not float32 for float32 parameters: compute with the "
                               "tensors you receive, without .double() / .float() conversions (sgd would "
                               "otherwise change the parameters' dtype)."),
    "htilde_instead_of_h": ("backward", "htilde used instead of h in the gradient of Wy",
                            "Your gradient of Wy uses htilde, the hidden layer before tanh: the output "
                            "layer's input is h = tanh(htilde), so dWy = dytilde^T @ h."),
    "grad_keys_renamed": ("backward", "gradients under other names",
                          "Your backward returns its gradients under other keys (such as 'dWh'): return a "
                          "dict with the parameters' own names Wh, bh, Wy, by, as sgd(params, grads, eta) "
                          "pairs them by name."),
    "gradient_sign": ("backward", "gradients with the wrong sign",
                      "Your gradients have the opposite sign: dL/dytilde = (Yhat - Y) / N, not (Y - Yhat)."),
    "backward_uses_autograd": ("backward", "gradients from autograd instead of by hand",
                               "Your backward gets its gradients from autograd (L.backward(), torch.autograd.grad, "
                               "torch.func or torch.autograd.functional): Part 1 asks for them by hand, from the "
                               "formulas of the course (dL/dytilde = (Yhat - Y) / N, then the chain rule down to "
                               "Wh). Autograd is Part 2."),
    "backward_not_derived": ("backward", "gradients not derived by hand (a library's backpropagation, or perturbing "
                                         "the loss)",
                             "Your backward does not derive the gradients: it takes them from a library that "
                             "backpropagates for you (scikit-learn's MLP, mlxtend), or measures them by perturbing "
                             "the parameters (finite differences, a complex step), which gives the right numbers on "
                             "a small network and costs minutes on a large one. Part 1 asks for backpropagation by "
                             "hand: dL/dytilde = (Yhat - Y) / N, then the chain rule down to Wh, a few matrix "
                             "products whatever the size."),
    # sgd
    "sgd_adds_gradient": ("sgd", "sgd adds the gradient",
                          "Your sgd moves up the gradient: the step is p - eta * grad."),
    "sgd_no_return": ("sgd", "sgd returns nothing",
                      "Your sgd updates the parameters but returns None: return the dict of parameters."),
    "sgd_ignores_eta": ("sgd", "sgd ignores eta",
                        "Your sgd does not use the learning rate: the step is p - eta * grad."),
    "sgd_no_step": ("sgd", "sgd does not move the parameters",
                    "Your sgd returns the parameters it received, unchanged: it must return p - eta * grad for "
                    "each parameter (new tensors, or the same ones updated in place)."),
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
    "sgd_autograd_no_return": ("sgd_autograd", "sgd_autograd returns nothing",
                               "Your sgd_autograd updates the parameters but does not return them: the training "
                               "loop does params = sgd_autograd(params, ETA), so params becomes None. Return params."),
    "autograd_update_outside_no_grad": ("sgd_autograd", "in-place update outside torch.no_grad()",
                                        "Your step updates the parameters in place (p -= eta * p.grad) while autograd "
                                        "records: PyTorch refuses an in-place change of a leaf tensor that requires a "
                                        "gradient (RuntimeError). Make the update inside a with torch.no_grad(): block."),
    "autograd_params_not_leaf": ("sgd_autograd", "update turns parameters into non-leaf tensors",
                                 "After your step the parameters are no longer leaf tensors (p = p - eta * "
                                 "p.grad builds a new tensor in the graph): update in place under "
                                 "torch.no_grad()."),
    "autograd_params_new_tensors": ("sgd_autograd", "update makes new tensors without requires_grad",
                                    "Your step replaces each parameter by a new tensor made under "
                                    "torch.no_grad() (p = p - eta * p.grad): it no longer requires a "
                                    "gradient, so the next backward cannot reach it. Update in place: "
                                    "p -= eta * p.grad."),
    # torch.nn
    "nn_softmax_in_model": ("init_model", "SoftMax inside the model before cross-entropy",
                            "Your model ends with a SoftMax, but nn.CrossEntropyLoss expects logits and "
                            "applies the (log-)SoftMax itself: remove it from the model."),
    "nn_sigmoid": ("init_model", "Sigmoid instead of Tanh",
                   "Your model uses Sigmoid: the TP's network uses nn.Tanh()."),
    "nn_no_activation": ("init_model", "no activation between the two Linear layers",
                         "Your model has no activation between its Linear layers, so it is linear: put "
                         "nn.Tanh() between them."),
    "nn_other_activation": ("init_model", "another activation instead of Tanh",
                            "Your model uses another activation (such as ReLU) than the TP's nn.Tanh()."),
    "nn_wrong_loss": ("init_model", "not a cross-entropy loss",
                      "Your loss is not the cross-entropy of logits: use nn.CrossEntropyLoss()."),
    "nn_loss_summed": ("init_model", "cross-entropy summed over the batch",
                       "Your loss sums the cross-entropy over the batch (reduction=\"sum\"): the TP's loss is the "
                       "mean, nn.CrossEntropyLoss()'s default. A sum makes every step batch-size times larger, so "
                       "a learning rate that suits the mean can make the MNIST training diverge: use "
                       "nn.CrossEntropyLoss()."),
    "nn_loss_class": ("init_model", "the loss class instead of a loss",
                      "Your loss is the class nn.CrossEntropyLoss itself, not a loss: calling a class builds a new "
                      "object, it does not compute the loss. Return an instance: nn.CrossEntropyLoss()."),
    "nn_grads_not_zeroed": ("sgd_nn", "gradients not zeroed in sgd_nn",
                            "Your sgd_nn does not zero the gradients: call model.zero_grad() after the step."),
    "nn_accuracy_percent": ("loss_accuracy_nn", "accuracy in percent",
                            "Your accuracy is 100 times the expected value: return a fraction in [0, 1]."),
    "nn_softmax_before_loss": ("loss_accuracy_nn", "SoftMax applied before nn.CrossEntropyLoss",
                               "Your loss is the cross-entropy of SoftMax(Ytilde): nn.CrossEntropyLoss "
                               "takes the logits and applies the (log-)SoftMax itself, so pass Ytilde."),
    "nn_loss_not_differentiable": ("loss_accuracy_nn", "loss not differentiable",
                                   "Your L has the right value but cannot be differentiated (computed under "
                                   "torch.no_grad(), or detached): the training loop calls L.backward(). Compute "
                                   "it with loss(Ytilde, ...) outside torch.no_grad(); only the accuracy may be "
                                   "computed without gradients."),
    "nn_loss_not_tensor": ("loss_accuracy_nn", "loss not returned as a tensor",
                           "Your L is not a torch tensor (did you call .item()?): the training loop calls "
                           "L.backward()."),
    "sgd_nn_ignores_eta": ("sgd_nn", "sgd_nn ignores eta",
                           "Your sgd_nn does not use the learning rate: the step is p -= eta * p.grad."),
    # torch.optim
    "optim_ignores_eta": ("init_model_optim", "optimizer ignores eta",
                          "Your optimizer's learning rate is not eta: torch.optim.SGD(model.parameters(), lr=eta)."),
    "optim_not_sgd": ("init_model_optim", "not plain SGD",
                      "Your optimizer is not plain SGD (another class, or momentum/weight decay): the TP "
                      "asks for torch.optim.SGD with lr=eta only."),
    "optim_wrong_parameters": ("init_model_optim", "optimizer not over the model's parameters",
                               "Your optimizer does not hold exactly the returned model's parameters "
                               "(did you build a second model?)."),
    # MNIST
    "mnist_over_budget": ("MNIST_HPARAMS", "MNIST hyper-parameters over the CPU budget",
                          "Your MNIST_HPARAMS ask for more computation (hidden units x epochs, or tiny "
                          "batches) than the grader's CPU budget: the grader does not train that network. "
                          "Fewer hidden units or epochs reach the same accuracy here."),
    "mnist_diverged": ("mnist_accuracy", "MNIST training diverged",
                       "With your MNIST_HPARAMS the training loss grows or becomes NaN: the learning rate "
                       "eta is too large for this network; try 0.01 to 0.5."),
    "mnist_underfit": ("mnist_accuracy", "MNIST network underfits (too small or trained too little)",
                       "With your MNIST_HPARAMS the training loss stays high: the network does not fit even its "
                       "training digits. Too few hidden units, too small a learning rate or too few epochs: the "
                       "kit's reference choice (nh = 100, eta = 0.1, batches of 32, 15 epochs) fits them in about 1 s "
                       "of CPU."),
    # SVM
    "svm_linear_kernel": ("fit_svm", "linear kernel on Circles",
                          "Your SVM has a linear kernel: no straight line separates a disk from a ring. Try "
                          "the RBF kernel (or a polynomial of degree 2)."),
    "svm_poly_odd_degree": ("fit_svm", "polynomial kernel of odd degree",
                            "Your SVM's polynomial kernel has an odd degree (scikit-learn's default is 3) "
                            "and coef0 = 0: it only sums odd monomials, which cannot tell a disk from the "
                            "ring around it. Use degree=2, or the RBF kernel."),
    "svm_callable_kernel": ("fit_svm", "SVM with a kernel function of its own",
                            "Your SVM's kernel is a Python function (a callable): the grader computes the SVM's "
                            "predictions itself from its support vectors and a named kernel, and cannot run "
                            "yours. Use one of scikit-learn's named kernels: kernel=\"rbf\", or \"poly\" with "
                            "degree=2 for the same degree-2 polynomial."),
}

HINTS = {  # while working: which mistake, and the idea, not the line of code
    "init_no_scale": "Your weights have a standard deviation of about 1: the notebook's law is N(0, 0.3²).",
    "init_variance_as_std": "Your weights have a standard deviation of about 0.55 = √0.3: in N(0, 0.3²), 0.3 is the "
                            "standard deviation, not the variance.",
    "init_uniform": "Your weights look uniformly distributed: the notebook's law is a normal one.",
    "init_bias_random": "Your biases are not zero: the notebook starts them at zero.",
    "params_in_out_layout": "Your weights have the (in, out) layout: the kit's weights are (out, in), as nn.Linear's.",
    "params_float64": "Your parameters are float64 tensors: every tensor of the TP is float32 (torch's default "
                      "dtype), and float64 weights meet the float32 data of Circles in forward.",
    "params_not_tensors": "Your parameters are NumPy arrays, not torch tensors: forward, autograd and the training "
                          "loops work on tensors.",
    "forward_weights_not_transposed": "Your forward multiplies by a weight matrix as it is: the kit's weights are "
                                      "(out, in), as nn.Linear's, so the product's shapes do not match.",
    "softmax_wrong_axis": "Your SoftMax normalises each column, over the batch: each row, one example, must sum to 1.",
    "softmax_unstable": "Your forward gives NaN or inf for large logits: exp overflows. The SoftMax of a row does not "
                        "change when one number is subtracted from the whole row: which number keeps exp in range?",
    "no_softmax": "The rows of your Yhat are not probability distributions: the output layer ends with a SoftMax.",
    "sigmoid_hidden": "Your hidden layer uses the sigmoid: the TP's network uses tanh.",
    "no_hidden_activation": "Your h equals htilde: without the hidden layer's activation the network is linear.",
    "forward_bias_missing": "Your forward leaves a bias out: each layer adds its bias.",
    "dtype_changed": "Your forward does not return the dtype of its input (float32 in, float32 out): something in "
                     "it converts the tensors it receives.",
    "outputs_incomplete": "Your outputs dict lacks some of the keys X, htilde, h, ytilde, yhat (or names them "
                          "differently): backward reads every intermediate from it, under exactly these names.",
    "loss_accuracy_swapped": "Your loss_accuracy returns its two values in the other order: the contract is (L, acc).",
    "loss_summed": "Your loss is N times the expected value: L is the mean over the batch, not the sum.",
    "loss_mean_over_classes": "Your loss is the expected value divided by the number of classes: the mean is over "
                              "the examples only.",
    "loss_sign": "Your loss is negative: look at the sign in the definition of the cross-entropy.",
    "accuracy_percent": "Your accuracy is 100 times the expected value: an accuracy is a fraction in [0, 1].",
    "accuracy_threshold": "Your accuracy counts a row as right when its true class's probability is above 0.5: "
                          "the prediction is the class of largest probability, which with more than two classes can "
                          "be below 0.5.",
    "accuracy_count": "Your accuracy is the number of correct rows, not their fraction.",
    "loss_not_tensor": "Your L is not a torch tensor: Part 2 differentiates it, so it must stay a tensor.",
    "grad_summed": "Your gradients are exactly N times the expected ones: the loss is the mean over the batch, and "
                   "its gradient carries the 1/N of that mean.",
    "missing_tanh_derivative": "Your gradients of Wh and bh miss a factor: between htilde and h, the chain rule goes "
                               "through tanh.",
    "tanh_applied_twice": "Your tanh derivative applies tanh to h, which is already the output of tanh: tanh is "
                          "applied twice.",
    "tanh_derivative_of_htilde": "Your tanh derivative is evaluated on the wrong intermediate: write the derivative "
                                 "of tanh in terms of tanh itself, and see which output of forward that is.",
    "gradient_transposed": "A gradient has the transposed shape: a gradient has the shape of its parameter.",
    "h_instead_of_x": "Your gradient of Wh uses h where it needs the input of the hidden layer.",
    "bias_not_summed": "Your bias gradient has one row per example: one bias serves the whole batch, so its gradient "
                       "gathers every example's.",
    "bias_grad_mean": "Your bias gradients are exactly 1/N of the expected ones: the 1/N of the mean is already in "
                      "dL/dytilde; count it once.",
    "bias_grad_shape": "Your bias gradient has the right values but shape (out,): a bias, and its gradient, is a row "
                       "(1, out).",
    "dtype_changed_backward": "Your gradients are not float32 for float32 parameters: something in backward converts "
                              "the tensors it receives.",
    "htilde_instead_of_h": "Your gradient of Wy uses htilde, the hidden layer before tanh: what is the output "
                           "layer's input?",
    "grad_keys_renamed": "Your backward returns its gradients under other keys: sgd pairs gradients and parameters "
                         "by name, so they need the parameters' own names.",
    "gradient_sign": "Your gradients have the opposite sign: check the sign of dL/dytilde.",
    "backward_uses_autograd": "Your backward gets its gradients from autograd: Part 1 asks for them by hand, from "
                              "the course's formulas and the chain rule. Autograd is Part 2.",
    "backward_not_derived": "Your backward does not derive the gradients (a library's backpropagation, or "
                            "perturbing the loss): Part 1 asks for them by hand, with the chain rule.",
    "sgd_adds_gradient": "Your sgd moves up the gradient: a descent step goes against it.",
    "sgd_no_return": "Your sgd updates the parameters but returns None: the training loop uses what sgd returns.",
    "sgd_ignores_eta": "Your sgd does not use the learning rate.",
    "sgd_no_step": "Your sgd returns the parameters unchanged: a step moves each parameter against its gradient, "
                   "scaled by the learning rate.",
    "autograd_no_requires_grad": "Your parameters do not require a gradient: autograd tracks only the tensors that "
                                 "ask for it.",
    "autograd_nonleaf_init": "Your parameters are not leaf tensors: a tensor computed from one that requires a "
                             "gradient is a node of the graph, not a parameter. Make it require a gradient once it "
                             "is drawn and scaled.",
    "autograd_grads_not_zeroed": "Your second step used the sum of both gradients: .grad accumulates from one "
                                 "backward pass to the next.",
    "sgd_autograd_no_return": "Your sgd_autograd does not return the parameters: the training loop uses what it "
                              "returns.",
    "autograd_update_outside_no_grad": "Your step changes the parameters in place while autograd records: PyTorch "
                                       "refuses to change a leaf that requires a gradient that way, unless gradients "
                                       "are off.",
    "autograd_params_not_leaf": "After your step the parameters are no longer leaf tensors: autograd recorded the "
                                "update itself in the graph.",
    "autograd_params_new_tensors": "Your step replaces each parameter by a new tensor that no longer requires a "
                                   "gradient: the step must change the parameters themselves.",
    "nn_softmax_in_model": "Your model ends with a SoftMax, but nn.CrossEntropyLoss expects logits: it applies the "
                           "SoftMax itself.",
    "nn_sigmoid": "Your model uses Sigmoid: the TP's network uses tanh.",
    "nn_no_activation": "Your model has no activation between its Linear layers, so it is linear.",
    "nn_other_activation": "Your model uses another activation than the TP's tanh.",
    "nn_wrong_loss": "Your loss is not the cross-entropy of logits.",
    "nn_loss_summed": "Your loss is N times the mean cross-entropy: it sums over the batch, where the TP's loss is "
                      "the mean; a summed loss makes the steps grow with the batch size.",
    "nn_loss_class": "Your loss is the class nn.CrossEntropyLoss, not an instance of it: calling a class builds an "
                     "object, it does not compute a loss.",
    "nn_grads_not_zeroed": "Your sgd_nn leaves the gradients in place after the step: .grad accumulates, so the next "
                           "step would add both.",
    "nn_accuracy_percent": "Your accuracy is 100 times the expected value: an accuracy is a fraction in [0, 1].",
    "nn_softmax_before_loss": "Your loss is the cross-entropy of SoftMax(Ytilde): nn.CrossEntropyLoss takes the "
                              "logits and applies the SoftMax itself.",
    "nn_loss_not_differentiable": "Your L has the right value but autograd cannot differentiate it (computed without "
                                  "gradients, or detached): the training loop calls L.backward().",
    "nn_loss_not_tensor": "Your L is not a torch tensor: the training loop differentiates it.",
    "sgd_nn_ignores_eta": "Your sgd_nn does not use the learning rate.",
    "optim_ignores_eta": "Your optimizer's learning rate is not eta.",
    "optim_not_sgd": "Your optimizer is not plain SGD (another class, or momentum or weight decay).",
    "optim_wrong_parameters": "Your optimizer does not hold exactly the returned model's parameters (a second "
                              "model?).",
    "mnist_over_budget": "Your MNIST_HPARAMS ask for more computation (hidden units x epochs, or tiny batches) than "
                         "the grader's CPU budget: the grader does not train that network.",
    "mnist_diverged": "With your MNIST_HPARAMS the training loss grows or becomes NaN: the steps are too large for "
                      "this network.",
    "mnist_underfit": "With your MNIST_HPARAMS the training loss stays high: the network is too small, its steps too "
                      "small or its training too short to fit even the training digits.",
    "svm_linear_kernel": "Your SVM has a linear kernel: no straight line separates a disk from the ring around it.",
    "svm_poly_odd_degree": "Your SVM's polynomial kernel has an odd degree and coef0 = 0: it only sums odd monomials, "
                           "which cannot tell a disk from the ring around it.",
    "svm_callable_kernel": "Your SVM's kernel is a Python function: the grader computes the predictions itself from "
                           "the SVM's numbers and a named kernel (linear, rbf, poly, sigmoid), and cannot run yours.",
}

CATALOGUE = {m_id: Mistake(*fields, hint=HINTS[m_id]) for m_id, fields in _ENTRIES.items()}

# The errors a function raises that are the symptom of a catalogued mistake: function -> [(a text of
# the error's message, the mistake)].
ERRORS = {
    "forward": [("mat1 and mat2 shapes cannot be multiplied", "forward_weights_not_transposed")],
    "sgd_autograd": [("a leaf Variable that requires grad is being used in an in-place operation",
                      "autograd_update_outside_no_grad")],
}


def mistakes_of_error(function, message):
    """The catalogued mistakes of which `function` raising an error with this message is the symptom."""
    return [m_id for text, m_id in ERRORS.get(function, ()) if text in str(message)]


def likely_mistake(mistake_id):
    """The line a public check prints for a diagnosed mistake, while the student works: its title and hint."""
    mistake = CATALOGUE[mistake_id]
    return f"Likely mistake — {mistake.title}: {mistake.hint}"


def graded_feedback(mistake_id):
    """The line of the graded report for a diagnosed mistake: its title and the grader's feedback."""
    mistake = CATALOGUE[mistake_id]
    return f"Likely mistake — {mistake.title}: {mistake.feedback}"
