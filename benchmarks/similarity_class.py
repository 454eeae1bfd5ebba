"""A synthetic class of TP1-ab notebooks for the similarity report's benchmark and tests.

How the class is made. Each student starts from the release notebook (`assignment/tp1_ab.ipynb`,
its code cells as they are) and fills every `TODO` function with code written from pools of
alternatives, drawing every choice independently:

- per graded function, the implementation is composed of independent sub-choices (how the linear
  layers are written: `@ .T`, `torch.mm`, `torch.matmul`, `F.linear`, a helper; the SoftMax: max
  shift, `amax`, `logsumexp`, `torch.softmax`, a helper; the tanh derivative; how gradients are
  summed; whether parameters are unpacked first; how the dict is built; loops or comprehensions;
  ...), the most common way being the most likely, as in a real class;
- the names of the student's variables (coherent sets such as htilde/h/ytilde/yhat or
  z1/a1/z2/a2, then per role), the quotes, whether the release's docstring and `# TODO` are kept,
  how much they comment and in which language (English or French), inline or above the line;
- helper functions of their own (a SoftMax, the tanh derivative, a linear layer, an accuracy) in
  a cell of their own or in the function's cell;
- typical mistakes (an unshifted SoftMax, summed gradients, a missing tanh derivative, no zeroed
  gradients, ...) and functions left unfilled, for about one student in three;
- MNIST hyper-parameters and the SVM drawn from ranges of sensible values;
- 0-4 experiment cells of their own, each itself composed of choices (learning-rate or hidden-size
  sweeps, gradient checks against autograd, confusion matrices, misclassified digits, weights as
  images, SVM grids, timings with `%time`, optimisers compared, ...) placed where they fit, and
  small edits to the release's own cells (more epochs, another seed, a print).

A "tutorial follower" style (about one student in six) takes the most common option of each
choice far more often, as students who follow the same tutorial do: their notebooks are alike
without being copies, which is what the report must not accuse.

A copy takes one student's notebook and disguises it with some of: consistent renaming of its
variables and helpers, reordered cells (helpers and experiments moved, independent functions
swapped), comments rewritten or removed, docstrings changed, one function rewritten in the
copier's own way, lines re-wrapped (the whole code reformatted by `ast.unparse`, or long lines
split), an experiment cell of the copier's own added or one of the source's dropped.
"""
import ast
import io
import json
import keyword
import random
import re
import string
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignment" / "tp1_ab.ipynb"

GRADED = ["init_params", "forward", "loss_accuracy", "backward", "sgd", "init_params_autograd", "sgd_autograd",
          "init_model", "loss_accuracy_nn", "sgd_nn", "init_model_optim", "MNIST_HPARAMS", "fit_svm"]


def release_cells():
    """The code cells of the student release notebook, as strings."""
    nb = json.loads(RELEASE.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = cell["source"]
            cells.append("".join(source) if isinstance(source, list) else source)
    return cells


def pick(rng, options, weights=None):
    return rng.choices(options, weights=weights or [1] * len(options))[0]


def skewed(n, first=4.0):
    """Weights for n options where the first (the most common way) is `first` times the others."""
    return [first] + [1.0] * (n - 1)


# ---------------------------------------------------------------- comments

COMMENTS = {
    "linear1": (["hidden layer pre-activation", "first linear layer", "affine map of the input",
                 "X W_h^T + b_h", "compute htilde"],
                ["pré-activation de la couche cachée", "couche linéaire 1", "calcul de htilde"]),
    "act": (["tanh activation", "non-linearity", "apply tanh", "hidden activation"],
            ["activation tanh", "non-linéarité", "on applique tanh"]),
    "linear2": (["output layer", "logits", "second linear layer", "compute ytilde"],
                ["couche de sortie", "logits de sortie", "couche linéaire 2"]),
    "stable": (["subtract the max for numerical stability", "avoid overflow in exp", "log-sum-exp trick",
                "shift by the row max (softmax is shift invariant)", "stable softmax"],
               ["on retire le max pour la stabilité numérique", "éviter l'overflow de exp", "astuce du max"]),
    "softmax": (["softmax over the classes", "normalise each row", "probabilities", "rows sum to 1"],
                ["softmax sur les classes", "normalisation des lignes", "probabilités"]),
    "outputs": (["keep everything for the backward pass", "cache for backward", "intermediate values"],
                ["on garde tout pour le backward", "valeurs intermédiaires", "cache pour la rétropropagation"]),
    "loss": (["mean cross-entropy", "cross entropy averaged over the batch", "negative log-likelihood",
              "loss = -1/N sum y log yhat"],
             ["entropie croisée moyenne", "coût moyen sur le batch", "log-vraisemblance négative"]),
    "acc": (["fraction of correct predictions", "accuracy", "compare predicted and true classes"],
            ["taux de bonnes prédictions", "précision", "on compare les classes prédites"]),
    "delta_y": (["gradient at the output (softmax + CE)", "dL/dytilde = (yhat - y) / N", "output error",
                 "error signal of the output layer"],
                ["gradient en sortie", "erreur de la couche de sortie", "dérivée par rapport à ytilde"]),
    "grad_out": (["gradients of the output layer", "dL/dWy and dL/dby", "output weights gradient"],
                 ["gradients de la couche de sortie", "gradient de Wy et by"]),
    "delta_h": (["backprop through tanh: 1 - tanh^2", "tanh derivative", "error at the hidden layer",
                 "chain rule through the hidden layer"],
                ["dérivée de tanh", "rétropropagation dans la couche cachée", "erreur de la couche cachée"]),
    "grad_hid": (["gradients of the hidden layer", "dL/dWh and dL/dbh", "hidden weights gradient"],
                 ["gradients de la couche cachée", "gradient de Wh et bh"]),
    "step": (["gradient step", "update rule p <- p - eta * grad", "descent step"],
             ["pas de gradient", "mise à jour des paramètres", "descente de gradient"]),
    "no_grad": (["do not track the update", "update outside of autograd", "no graph for the step"],
                ["pas de graphe pour la mise à jour", "hors autograd"]),
    "zero": (["reset the gradients", "zero the grads for the next batch", "clear accumulated gradients"],
             ["remise à zéro des gradients", "on vide les gradients"]),
    "init_w": (["weights ~ N(0, 0.3^2)", "gaussian init with std 0.3", "random weights"],
               ["poids gaussiens d'écart-type 0.3", "initialisation aléatoire"]),
    "init_b": (["biases start at zero", "zero biases"], ["biais nuls", "biais à zéro"]),
    "leaf": (["make them leaves that require grad", "track gradients"],
             ["feuilles avec requires_grad", "on active le calcul du gradient"]),
    "model": (["Linear -> Tanh -> Linear", "the network", "two-layer perceptron"],
              ["le réseau", "perceptron à une couche cachée"]),
    "criterion": (["cross entropy on logits", "loss module"], ["fonction de coût", "entropie croisée"]),
    "optim": (["plain SGD", "optimizer over the model's parameters"], ["optimiseur SGD", "descente de gradient stochastique"]),
    "hparams": (["hyper-parameters for MNIST", "tried a few values, these work", "about 1 s of training"],
                ["hyper-paramètres MNIST", "valeurs testées à la main"]),
    "kernel": (["rbf works best on circles", "non-linear kernel", "kernel chosen from the comparison above"],
               ["noyau rbf, le meilleur ici", "noyau non linéaire"]),
}


@dataclass
class Style:
    """One student's habits."""
    rng: random.Random
    names: dict
    quote: str
    comment_rate: float
    french: bool
    comment_above: bool
    keep_docstring: str  # "keep", "drop", "own"
    keep_todo: bool
    unpack: bool  # unpack params into local names first
    tutorial: bool
    helpers: dict = field(default_factory=dict)  # role -> helper function name
    helper_cells: list = field(default_factory=list)
    helper_in_own_cell: bool = True
    mistakes: set = field(default_factory=set)
    unfilled: set = field(default_factory=set)

    def choose(self, options, first=3.0):
        """One of the options, the first (the common way) favoured, far more for a tutorial follower."""
        return pick(self.rng, options, skewed(len(options), first * (6 if self.tutorial else 1)))

    def q(self, key):
        return f"{self.quote}{key}{self.quote}"

    def comment(self, topic):
        if topic is None or self.rng.random() >= self.comment_rate:
            return None
        english, french = COMMENTS[topic]
        return pick(self.rng, french if self.french else english)


def render(style, lines, indent="    "):
    """Lines (code, topic) to source text, with the student's comments."""
    out = []
    for item in lines:
        code, topic = (item, None) if isinstance(item, str) else item
        text = style.comment(topic)
        lead = re.match(r"\s*", code).group(0)
        if text and style.comment_above:
            out.append(f"{indent}{lead}# {text}")
            out.append(f"{indent}{code}")
        elif text:
            out.append(f"{indent}{code}  # {text}")
        else:
            out.append(f"{indent}{code}")
    return "\n".join(out)


# ---------------------------------------------------------------- names

FORWARD_SETS = [("htilde", "h", "ytilde", "yhat"), ("h_tilde", "h", "y_tilde", "y_hat"), ("z1", "a1", "z2", "a2"),
                ("Z1", "A1", "Z2", "A2"), ("pre_hidden", "hidden", "logits", "probs"), ("ht", "h", "yt", "yh"),
                ("hid_in", "hid", "out_in", "out"), ("s1", "h", "s2", "p"), ("a_h", "h", "a_y", "y_pred"),
                ("zh", "h", "zy", "yhat"), ("H_tilde", "H", "Y_tilde", "Y_hat"), ("u", "h", "v", "yhat")]
ROLE_POOLS = {
    "e": ["e", "exp_y", "ex", "num", "expo", "exps", "E", "numerator"],
    "shift": ["m", "mx", "row_max", "max_y", "c", "shift"],
    "N": ["N", "n", "batch_size", "m_", "nb", "bs"],
    "dy": ["d_ytilde", "dy", "delta_y", "grad_ytilde", "dZ2", "dL_dytilde", "delta2", "err", "g_y", "dyt"],
    "dh": ["d_htilde", "dh", "delta_h", "grad_htilde", "dZ1", "dL_dhtilde", "delta1", "g_h", "dht"],
    "grads": ["grads", "grad", "g", "gradients", "res", "d"],
    "loss": ["L", "loss", "l", "ce", "cross_entropy", "cost"],
    "acc": ["acc", "accuracy", "a", "precision", "acc_", "correct_rate"],
    "pred": ["pred", "y_pred", "predictions", "pred_labels", "guess", "predicted"],
    "true": ["true", "y_true", "labels", "target", "truth", "actual"],
    "p": ["p", "param", "w", "t", "tensor", "theta"],
    "k": ["k", "name", "key", "pname", "n_", "kk"],
    "model": ["model", "net", "mlp", "network", "clf_net"],
    "crit": ["loss", "criterion", "loss_fn", "ce_loss", "cost_fn"],
    "opt": ["optim", "optimizer", "opt", "sgd_opt"],
    "P": ["params", "P", "p_dict", "parameters", "theta_", "param_dict"],
    "clf": ["clf", "svm", "model", "classifier", "svc"],
    "W": [("Wh", "bh", "Wy", "by"), ("W1", "b1", "W2", "b2"), ("wh", "b_h", "wy", "b_y"), ("Wx", "bx", "Wo", "bo")],
}


def make_style(rng, tutorial=False):
    names = dict(zip(("ht", "h", "yt", "yh"), pick(rng, FORWARD_SETS, skewed(len(FORWARD_SETS), 12 if tutorial else 3))))
    for role, pool in ROLE_POOLS.items():
        names[role] = pick(rng, pool, skewed(len(pool), 12 if tutorial else 3))
    style = Style(rng=rng, names=names, quote=pick(rng, ['"', "'"], [3, 2]),
                  comment_rate=pick(rng, [0.0, 0.15, 0.4, 0.8], [3, 3, 2, 1]),
                  french=rng.random() < 0.35, comment_above=rng.random() < 0.5,
                  keep_docstring=pick(rng, ["keep", "drop", "own"], [6, 3, 1]),
                  keep_todo=rng.random() < 0.2, unpack=rng.random() < 0.3, tutorial=tutorial)
    style.helper_in_own_cell = rng.random() < 0.6
    if rng.random() < (0.1 if tutorial else 0.35):
        for helper in ("softmax", "dtanh", "linear", "accuracy"):
            if rng.random() < 0.5:
                style.helpers[helper] = pick(rng, HELPER_NAMES[helper])
    if rng.random() < (0.15 if tutorial else 0.3):
        candidates = ["unshifted_softmax", "softmax_dim0", "loss_sum", "backward_summed", "no_tanh_derivative",
                      "sgd_plus", "autograd_no_zero", "init_std_one", "nn_no_zero", "svm_linear", "acc_count"]
        style.mistakes = set(rng.sample(candidates, rng.choice([1, 1, 2])))
    if rng.random() < 0.2:
        later = ["sgd_nn", "init_model_optim", "MNIST_HPARAMS", "fit_svm", "loss_accuracy_nn", "sgd_autograd"]
        style.unfilled = set(rng.sample(later, rng.choice([1, 2, 3])))
    return style


HELPER_NAMES = {"softmax": ["softmax", "stable_softmax", "my_softmax", "softmax_rows", "soft_max"],
                "dtanh": ["dtanh", "tanh_prime", "tanh_derivative", "d_tanh", "deriv_tanh"],
                "linear": ["linear", "affine", "lin", "dense", "layer"],
                "accuracy": ["accuracy", "compute_accuracy", "acc_fn", "get_accuracy", "taux_reussite"]}


def helper_source(style, role):
    n, rng = style.helpers[role], style.rng
    if role == "softmax":
        z = pick(rng, ["z", "x", "logits", "s", "v"])
        body = pick(rng, [
            [(f"e = torch.exp({z} - {z}.max(dim=1, keepdim=True).values)", "stable"), "return e / e.sum(dim=1, keepdim=True)"],
            [(f"{z} = {z} - {z}.max(1, keepdim=True)[0]", "stable"), f"return torch.exp({z}) / torch.exp({z}).sum(1, keepdim=True)"],
            [(f"return torch.exp({z} - torch.logsumexp({z}, dim=1, keepdim=True))", "stable")],
            [(f"shifted = {z} - torch.amax({z}, dim=1, keepdim=True)", "stable"), "ex = shifted.exp()",
             ("return ex / ex.sum(dim=-1, keepdim=True)", "softmax")],
        ])
        return f"def {n}({z}):\n" + render(style, body)
    if role == "dtanh":
        z = pick(rng, ["z", "x", "h", "t"])
        body = pick(rng, [[f"return 1 - torch.tanh({z}) ** 2"], [f"return 1.0 - torch.tanh({z}).pow(2)"],
                          [f"return 1 / torch.cosh({z}) ** 2"], [f"t = torch.tanh({z})", "return 1 - t * t"]])
        return f"def {n}({z}):\n" + render(style, body)
    if role == "linear":
        x, w, b = pick(rng, [("x", "W", "b"), ("inp", "weight", "bias"), ("X", "W", "b"), ("a", "w", "c")])
        body = pick(rng, [[f"return {x} @ {w}.T + {b}"], [f"return torch.mm({x}, {w}.t()) + {b}"],
                          [f"return {x}.matmul({w}.transpose(0, 1)) + {b}"]])
        return f"def {n}({x}, {w}, {b}):\n" + render(style, body)
    yh, y = pick(rng, [("Yhat", "Y"), ("pred", "target"), ("out", "y"), ("P", "T")])
    body = pick(rng, [[f"return ({yh}.argmax(dim=1) == {y}.argmax(dim=1)).float().mean().item()"],
                      [f"return float(({yh}.argmax(1) == {y}.argmax(1)).sum()) / len({y})"],
                      [f"correct = torch.argmax({yh}, 1) == torch.argmax({y}, 1)", "return correct.float().mean().item()"]])
    return f"def {n}({yh}, {y}):\n" + render(style, body)


# ---------------------------------------------------------------- graded functions


def weights(style, i):
    """Access to parameter i (0..3 = Wh, bh, Wy, by) inside forward/backward."""
    key = ("Wh", "bh", "Wy", "by")[i]
    return style.names["W"][i] if style.unpack else f"params[{style.q(key)}]"


def unpack_lines(style):
    if not style.unpack:
        return []
    w = style.names["W"]
    keys = ("Wh", "bh", "Wy", "by")
    if style.rng.random() < 0.5:
        return [f"{', '.join(w)} = " + ", ".join(f"params[{style.q(k)}]" for k in keys)]
    return [f"{n} = params[{style.q(k)}]" for n, k in zip(w, keys)]


def linear_expr(style, inp, i):
    W, b = weights(style, i), weights(style, i + 1)
    if "linear" in style.helpers:
        return f"{style.helpers['linear']}({inp}, {W}, {b})"
    return style.choose([f"{inp} @ {W}.T + {b}", f"torch.mm({inp}, {W}.t()) + {b}", f"torch.matmul({inp}, {W}.T) + {b}",
                         f"F.linear({inp}, {W}, {b})", f"{inp}.mm({W}.t()) + {b}", f"{b} + {inp} @ {W}.t()"])


def body_init_params(style):
    s, n = style, style.names
    std = "1.0" if "init_std_one" in s.mistakes else "0.3"
    def w(rows, cols):
        return s.choose([f"{std} * torch.randn({rows}, {cols})", f"torch.randn({rows}, {cols}) * {std}",
                         f"torch.normal(0.0, {std}, size=({rows}, {cols}))", f"torch.empty({rows}, {cols}).normal_(0, {std})",
                         f"torch.randn(({rows}, {cols})) * {std}"])
    def b(cols):
        return s.choose([f"torch.zeros(1, {cols})", f"torch.zeros((1, {cols}))", f"torch.zeros({cols}).unsqueeze(0)",
                         f"torch.zeros(1, {cols}, dtype=torch.float32)", f"torch.zeros({cols}).reshape(1, -1)"])
    pairs = [("Wh", w("nh", "nx"), "init_w"), ("bh", b("nh"), "init_b"), ("Wy", w("ny", "nh"), "init_w"), ("by", b("ny"), "init_b")]
    if s.rng.random() < 0.3:
        pairs = [pairs[0], pairs[2], pairs[1], pairs[3]]
    form = s.choose(["literal", "incremental", "dict_call", "locals"])
    if form == "literal":
        return ["return {"] + [(f"    {s.q(k)}: {v},", t) for k, v, t in pairs] + ["}"]
    if form == "incremental":
        P = n["P"]
        return [f"{P} = {{}}"] + [(f"{P}[{s.q(k)}] = {v}", t) for k, v, t in pairs] + [f"return {P}"]
    if form == "dict_call":
        return ["return dict("] + [(f"    {k}={v},", t) for k, v, t in pairs] + [")"]
    w_names = n["W"]
    lines = [(f"{w_names[('Wh', 'bh', 'Wy', 'by').index(k)]} = {v}", t) for k, v, t in pairs]
    return lines + ["return {" + ", ".join(f"{s.q(k)}: {w_names[i]}" for i, k in enumerate(("Wh", "bh", "Wy", "by"))) + "}"]


def body_forward(style):
    s, n = style, style.names
    ht, h, yt, yh, e = n["ht"], n["h"], n["yt"], n["yh"], n["e"]
    lines = unpack_lines(s)
    lines.append((f"{ht} = {linear_expr(s, 'X', 0)}", "linear1"))
    act = s.choose([f"torch.tanh({ht})", f"{ht}.tanh()", f"(torch.exp({ht}) - torch.exp(-{ht})) / (torch.exp({ht}) + torch.exp(-{ht}))",
                    f"torch.nn.functional.tanh({ht})"])
    lines.append((f"{h} = {act}", "act"))
    lines.append((f"{yt} = {linear_expr(s, h, 2)}", "linear2"))
    dim = "0" if "softmax_dim0" in s.mistakes else "1"
    if "unshifted_softmax" in s.mistakes:
        lines += [(f"{e} = torch.exp({yt})", None), (f"{yh} = {e} / {e}.sum(dim={dim}, keepdim=True)", "softmax")]
    elif "softmax" in s.helpers:
        lines.append((f"{yh} = {s.helpers['softmax']}({yt})", "softmax"))
    else:
        sm = s.choose(["max_values", "max_index", "amax", "logsumexp", "torch_softmax", "shift_var", "F_softmax"])
        if sm == "max_values":
            lines += [(f"{e} = torch.exp({yt} - {yt}.max(dim={dim}, keepdim=True).values)", "stable"),
                      (f"{yh} = {e} / {e}.sum(dim={dim}, keepdim=True)", "softmax")]
        elif sm == "max_index":
            lines += [(f"{e} = torch.exp({yt} - torch.max({yt}, {dim}, keepdim=True)[0])", "stable"),
                      (f"{yh} = {e} / torch.sum({e}, {dim}, keepdim=True)", "softmax")]
        elif sm == "amax":
            lines += [(f"{e} = ({yt} - {yt}.amax(dim={dim}, keepdim=True)).exp()", "stable"),
                      (f"{yh} = {e} / {e}.sum({dim}, keepdim=True)", "softmax")]
        elif sm == "logsumexp":
            lines += [(f"{yh} = torch.exp({yt} - torch.logsumexp({yt}, dim={dim}, keepdim=True))", "stable")]
        elif sm == "torch_softmax":
            lines += [(f"{yh} = torch.softmax({yt}, dim={dim})", "softmax")]
        elif sm == "F_softmax":
            lines += [(f"{yh} = F.softmax({yt}, dim={dim})", "softmax")]
        else:
            m = n["shift"]
            lines += [(f"{m} = {yt}.max(dim={dim}, keepdim=True)[0]", "stable"), f"{e} = torch.exp({yt} - {m})",
                      (f"{yh} = {e} / {e}.sum(dim={dim}).unsqueeze({dim})", "softmax")]
    keys = [("X", "X"), ("htilde", ht), ("h", h), ("ytilde", yt), ("yhat", yh)]
    form = s.choose(["literal_var", "literal_return", "dict_call", "incremental"])
    if form == "literal_var":
        lines += [("outputs = {" + ", ".join(f"{s.q(k)}: {v}" for k, v in keys) + "}", "outputs"), f"return {yh}, outputs"]
    elif form == "literal_return":
        lines += [(f"return {yh}, {{" + ", ".join(f"{s.q(k)}: {v}" for k, v in keys) + "}", "outputs")]
    elif form == "dict_call":
        lines += [("outputs = dict(" + ", ".join(f"{k}={v}" for k, v in keys) + ")", "outputs"), f"return {yh}, outputs"]
    else:
        lines += [("outputs = {}", "outputs")] + [f"outputs[{s.q(k)}] = {v}" for k, v in keys] + [f"return outputs[{s.q('yhat')}], outputs"]
    return lines


def body_loss_accuracy(style):
    s, n = style, style.names
    L, acc = n["loss"], n["acc"]
    if "loss_sum" in s.mistakes:
        loss = "-(Y * torch.log(Yhat)).sum()"
    else:
        loss = s.choose(["-(Y * torch.log(Yhat)).sum(dim=1).mean()", "-torch.mean(torch.sum(Y * torch.log(Yhat), dim=1))",
                         "-(Y * Yhat.log()).sum(1).mean()", "-torch.log((Y * Yhat).sum(dim=1)).mean()",
                         "-(Y * torch.log(Yhat)).sum() / Y.shape[0]", "torch.nn.functional.nll_loss(torch.log(Yhat), Y.argmax(dim=1))",
                         "-(Y * torch.log(Yhat + 1e-8)).sum(dim=1).mean()", "-(Y * torch.log(Yhat.clamp(min=1e-12))).sum(1).mean()"])
    lines = [(f"{L} = {loss}", "loss")]
    if "accuracy" in s.helpers:
        lines.append((f"{acc} = {s.helpers['accuracy']}(Yhat, Y)", "acc"))
    elif "acc_count" in s.mistakes:
        lines.append((f"{acc} = (Yhat.argmax(1) == Y.argmax(1)).sum().item()", "acc"))
    else:
        form = s.choose(["inline", "two_vars", "float_sum", "torch_max", "eq"])
        if form == "inline":
            lines.append((f"{acc} = (Yhat.argmax(dim=1) == Y.argmax(dim=1)).float().mean().item()", "acc"))
        elif form == "two_vars":
            lines += [f"{n['pred']} = Yhat.argmax(dim=1)", f"{n['true']} = Y.argmax(dim=1)",
                      (f"{acc} = ({n['pred']} == {n['true']}).float().mean().item()", "acc")]
        elif form == "float_sum":
            lines.append((f"{acc} = float((Yhat.argmax(1) == Y.argmax(1)).sum()) / len(Y)", "acc"))
        elif form == "torch_max":
            lines += [f"_, {n['pred']} = torch.max(Yhat, 1)", f"_, {n['true']} = torch.max(Y, 1)",
                      (f"{acc} = ({n['pred']} == {n['true']}).sum().item() / Y.shape[0]", "acc")]
        else:
            lines.append((f"{acc} = torch.eq(torch.argmax(Yhat, dim=1), torch.argmax(Y, dim=1)).float().mean()", "acc"))
    lines.append(s.choose([f"return {L}, {acc}", f"return ({L}, {acc})"]))
    return lines


def body_backward(style):
    s, n = style, style.names
    N, dy, dh = n["N"], n["dy"], n["dh"]
    X = f"outputs[{s.q('X')}]"
    h, yh, ht = f"outputs[{s.q('h')}]", f"outputs[{s.q('yhat')}]", f"outputs[{s.q('htilde')}]"
    lines = unpack_lines(s)
    if s.rng.random() < 0.35:  # local names for the outputs
        lines.append(f"{n['h']}, {n['yh']} = {h}, {yh}")
        h, yh = n["h"], n["yh"]
    Wy = weights(s, 2)
    lines.append(s.choose([f"{N} = Y.shape[0]", f"{N} = len(Y)", f"{N} = Y.size(0)", f"{N} = X.shape[0]".replace("X", X)]))
    scale = "" if "backward_summed" in s.mistakes else f" / {N}"
    divide_late = s.rng.random() < 0.2 and scale
    lines.append((f"{dy} = ({yh} - Y){'' if divide_late else scale}", "delta_y"))
    dy_used = f"({dy}{scale})" if divide_late else dy
    def outer(a, b):
        return s.choose([f"{a}.T @ {b}", f"torch.mm({a}.t(), {b})", f"torch.matmul({a}.T, {b})",
                         f"torch.einsum('ni,nj->ij', {a}, {b})", f"({b}.T @ {a}).T", f"{a}.t().mm({b})"])
    def colsum(a):
        return s.choose([f"{a}.sum(dim=0, keepdim=True)", f"torch.sum({a}, 0, keepdim=True)", f"{a}.sum(0).unsqueeze(0)",
                         f"{a}.sum(axis=0).reshape(1, -1)", f"torch.ones(1, {a}.shape[0]) @ {a}", f"{a}.sum(0).view(1, -1)"])
    if "no_tanh_derivative" in s.mistakes:
        deriv = None
    elif "dtanh" in s.helpers:
        deriv = f"{s.helpers['dtanh']}({ht})"
    else:
        deriv = s.choose([f"(1 - {h} ** 2)", f"(1 - {h} * {h})", f"(1 - torch.tanh({ht}) ** 2)", f"(1 - {h}.pow(2))",
                          f"(1 / torch.cosh({ht}) ** 2)"])
    back = s.choose([f"{dy_used} @ {Wy}", f"torch.mm({dy_used}, {Wy})", f"torch.matmul({dy_used}, {Wy})", f"{dy_used}.mm({Wy})"])
    dh_line = (f"{dh} = {back} * {deriv}" if deriv else f"{dh} = {back}", "delta_h")
    gWy, gby = outer(dy_used, h), colsum(dy_used)
    gWh, gbh = outer(dh, X), colsum(dh)
    form = s.choose(["literal", "vars", "incremental"])
    if form == "literal":
        lines.append(dh_line)
        entries = [("Wy", gWy, "grad_out"), ("by", gby, None), ("Wh", gWh, "grad_hid"), ("bh", gbh, None)]
        if s.rng.random() < 0.4:
            entries = entries[2:] + entries[:2]
        lines += ["return {"] + [(f"    {s.q(k)}: {v},", t) for k, v, t in entries] + ["}"]
    elif form == "vars":
        names = {k: pick(s.rng, [f"d{k}", f"grad_{k}", f"g{k}", f"d_{k}"]) for k in ("Wy", "by", "Wh", "bh")}
        lines += [(f"{names['Wy']} = {gWy}", "grad_out"), f"{names['by']} = {gby}", dh_line,
                  (f"{names['Wh']} = {gWh}", "grad_hid"), f"{names['bh']} = {gbh}"]
        lines.append("return {" + ", ".join(f"{s.q(k)}: {names[k]}" for k in ("Wh", "bh", "Wy", "by")) + "}")
    else:
        g = n["grads"]
        lines += [f"{g} = {{}}", (f"{g}[{s.q('Wy')}] = {gWy}", "grad_out"), f"{g}[{s.q('by')}] = {gby}", dh_line,
                  (f"{g}[{s.q('Wh')}] = {gWh}", "grad_hid"), f"{g}[{s.q('bh')}] = {gbh}", f"return {g}"]
    return lines


def body_sgd(style):
    s, n = style, style.names
    sign = "+" if "sgd_plus" in s.mistakes else "-"
    k, p = n["k"], n["p"]
    return s.choose([
        [(f"return {{{k}: params[{k}] {sign} eta * grads[{k}] for {k} in params}}", "step")],
        [f"for {k} in params:", (f"    params[{k}] {sign}= eta * grads[{k}]", "step"), "return params"],
        [f"new = {{}}", f"for {k}, {p} in params.items():", (f"    new[{k}] = {p} {sign} eta * grads[{k}]", "step"), "return new"],
        [("with torch.no_grad():", "no_grad"), f"    return {{{k}: {p} {sign} eta * grads[{k}] for {k}, {p} in params.items()}}"],
        [f"return dict(({k}, params[{k}] {sign} eta * grads[{k}]) for {k} in params.keys())"],
        [f"updated = params.copy()", f"for {k} in updated:", (f"    updated[{k}] = params[{k}] {sign} eta * grads[{k}]", "step"), "return updated"],
    ])


def body_init_params_autograd(style):
    s, n = style, style.names
    P, p, k = n["P"], n["p"], n["k"]
    return s.choose([
        [f"{P} = init_params(nx, nh, ny)", f"for {p} in {P}.values():", (f"    {p}.requires_grad_(True)", "leaf"), f"return {P}"],
        [(f"return {{{k}: v.detach().requires_grad_(True) for {k}, v in init_params(nx, nh, ny).items()}}", "leaf")],
        [f"{P} = init_params(nx, nh, ny)", f"for {k} in {P}:", (f"    {P}[{k}].requires_grad = True", "leaf"), f"return {P}"],
        [f"{P} = {{", f"    {s.q('Wh')}: (0.3 * torch.randn(nh, nx)).requires_grad_(),",
         f"    {s.q('bh')}: torch.zeros(1, nh, requires_grad=True),", f"    {s.q('Wy')}: (0.3 * torch.randn(ny, nh)).requires_grad_(),",
         f"    {s.q('by')}: torch.zeros(1, ny, requires_grad=True),", "}", f"return {P}"],
        [f"{P} = init_params(nx, nh, ny)", (f"return {{{k}: {p}.clone().requires_grad_() for {k}, {p} in {P}.items()}}", "leaf")],
    ])


def body_sgd_autograd(style):
    s, n = style, style.names
    p, k = n["p"], n["k"]
    zero = [] if "autograd_no_zero" in s.mistakes else None
    options = [
        [("with torch.no_grad():", "no_grad"), f"    for {p} in params.values():", (f"        {p} -= eta * {p}.grad", "step"),
         (f"        {p}.grad.zero_()", "zero")],
        [f"for {p} in params.values():", (f"    {p}.data -= eta * {p}.grad.data", "step"), (f"    {p}.grad.data.zero_()", "zero")],
        [("with torch.no_grad():", "no_grad"), f"    for {p} in params.values():", (f"        {p}.sub_(eta * {p}.grad)", "step"),
         (f"        {p}.grad = None", "zero")],
        [("with torch.no_grad():", "no_grad"), f"    for {k} in params:", (f"        params[{k}] -= eta * params[{k}].grad", "step"),
         (f"        params[{k}].grad.zero_()", "zero")],
        [f"for {k}, {p} in params.items():", "    with torch.no_grad():", (f"        {p}.add_({p}.grad, alpha=-eta)", "step"),
         (f"    {p}.grad.zero_()", "zero")],
    ]
    lines = s.choose(options)
    if zero is not None:
        lines = [l for l in lines if not (isinstance(l, tuple) and l[1] == "zero")]
    return lines + ["return params"]


def body_init_model(style):
    s, n = style, style.names
    m, c = n["model"], n["crit"]
    form = s.choose(["sequential", "sequential_lines", "ordered", "module"])
    if form == "sequential":
        lines = [(f"{m} = nn.Sequential(nn.Linear(nx, nh), nn.Tanh(), nn.Linear(nh, ny))", "model")]
    elif form == "sequential_lines":
        lines = [(f"{m} = torch.nn.Sequential(", "model"), "    torch.nn.Linear(nx, nh),", "    torch.nn.Tanh(),",
                 "    torch.nn.Linear(nh, ny),", ")"]
    elif form == "ordered":
        names = pick(s.rng, [("hidden", "tanh", "output"), ("fc1", "act", "fc2"), ("l1", "t", "l2")])
        lines = [(f"{m} = nn.Sequential(OrderedDict([", "model"), f"    ({s.q(names[0])}, nn.Linear(nx, nh)),",
                 f"    ({s.q(names[1])}, nn.Tanh()),", f"    ({s.q(names[2])}, nn.Linear(nh, ny)),", "]))"]
    else:
        cls = pick(s.rng, ["MLP", "Net", "TwoLayerNet", "Perceptron", "MyModel"])
        a, b = pick(s.rng, [("fc1", "fc2"), ("hidden", "output"), ("lin1", "lin2"), ("layer1", "layer2")])
        s.helper_cells.append(
            f"class {cls}(nn.Module):\n    def __init__(self, nx, nh, ny):\n        super().__init__()\n"
            f"        self.{a} = nn.Linear(nx, nh)\n        self.{b} = nn.Linear(nh, ny)\n\n"
            f"    def forward(self, x):\n        return self.{b}(torch.tanh(self.{a}(x)))\n")
        lines = [(f"{m} = {cls}(nx, nh, ny)", "model")]
    lines.append((f"{c} = " + s.choose(["nn.CrossEntropyLoss()", "torch.nn.CrossEntropyLoss()", "nn.CrossEntropyLoss(reduction='mean')"]), "criterion"))
    lines.append(s.choose([f"return {m}, {c}", f"return ({m}, {c})"]))
    return lines


def body_loss_accuracy_nn(style):
    s, n = style, style.names
    L, acc = n["loss"], n["acc"]
    target = s.choose(["Y.argmax(dim=1)", "Y.argmax(1)", "torch.argmax(Y, dim=1)", "torch.max(Y, 1)[1]"])
    loss_call = s.choose([f"loss(Ytilde, {target})", f"loss(Ytilde, Y)", f"F.cross_entropy(Ytilde, {target})"])
    lines = [(f"{L} = {loss_call}", "loss")]
    if "accuracy" in s.helpers:
        lines.append((f"{acc} = {s.helpers['accuracy']}(Ytilde, Y)", "acc"))
    else:
        lines.append((f"{acc} = " + s.choose([f"(Ytilde.argmax(dim=1) == {target}).float().mean().item()",
                                              f"(Ytilde.argmax(1) == Y.argmax(1)).float().mean()",
                                              f"float((torch.argmax(Ytilde, 1) == {target}).sum()) / Y.shape[0]",
                                              f"(Ytilde.max(1)[1] == {target}).sum().item() / len(Y)"]), "acc"))
    lines.append(s.choose([f"return {L}, {acc}", f"return ({L}, {acc})"]))
    return lines


def body_sgd_nn(style):
    s, n = style, style.names
    p = n["p"]
    lines = s.choose([
        [("with torch.no_grad():", "no_grad"), f"    for {p} in model.parameters():", (f"        {p} -= eta * {p}.grad", "step"),
         ("model.zero_grad()", "zero")],
        [f"for {p} in model.parameters():", (f"    {p}.data -= eta * {p}.grad", "step"), (f"    {p}.grad.zero_()", "zero")],
        [f"for {p} in model.parameters():", (f"    {p}.data.add_({p}.grad, alpha=-eta)", "step"), ("model.zero_grad()", "zero")],
        [("with torch.no_grad():", "no_grad"), f"    for {p} in model.parameters():", (f"        {p}.sub_(eta * {p}.grad)", "step"),
         (f"        {p}.grad = None", "zero")],
        [("with torch.no_grad():", "no_grad"), f"    for {p} in model.parameters():", (f"        {p}.copy_({p} - eta * {p}.grad)", "step"),
         ("model.zero_grad(set_to_none=True)", "zero")],
    ])
    if "nn_no_zero" in s.mistakes:
        lines = [l for l in lines if not (isinstance(l, tuple) and l[1] == "zero")]
    return lines


def body_init_model_optim(style):
    s, n = style, style.names
    m, c, o = n["model"], n["crit"], n["opt"]
    lines = s.choose([[f"{m}, {c} = init_model(nx, nh, ny)"],
                      [f"{m} = nn.Sequential(nn.Linear(nx, nh), nn.Tanh(), nn.Linear(nh, ny))", f"{c} = nn.CrossEntropyLoss()"]])
    lines.append((f"{o} = " + s.choose([f"torch.optim.SGD({m}.parameters(), lr=eta)", f"optim.SGD({m}.parameters(), lr=eta)",
                                        f"torch.optim.SGD(params={m}.parameters(), lr=eta, momentum=0.0)",
                                        f"torch.optim.SGD({m}.parameters(), eta)"]), "optim"))
    lines.append(s.choose([f"return {m}, {c}, {o}", f"return ({m}, {c}, {o})"]))
    return lines


def source_mnist_hparams(style):
    s = style
    values = {"nh": s.choose([100, 128, 64, 200, 256, 50]), "eta": s.choose([0.1, 0.05, 0.2, 0.3, 0.5, 0.01]),
              "batch_size": s.choose([32, 64, 16, 100, 128, 50]), "epochs": s.choose([15, 10, 20, 5, 30, 12])}
    keys = list(values)
    if s.rng.random() < 0.25:
        s.rng.shuffle(keys)
    lead = ("# TODO: a dict with the keys \"nh\", \"eta\", \"batch_size\" and \"epochs\".\n" if s.keep_todo else "")
    comment = s.comment("hparams")
    lead += f"# {comment}\n" if comment else ""
    if s.rng.random() < 0.2:
        return lead + "MNIST_HPARAMS = dict(" + ", ".join(f"{k}={values[k]}" for k in keys) + ")\n"
    if s.rng.random() < 0.3:
        return lead + "MNIST_HPARAMS = {\n" + "".join(f"    {s.q(k)}: {values[k]},\n" for k in keys) + "}\n"
    return lead + "MNIST_HPARAMS = {" + ", ".join(f"{s.q(k)}: {values[k]}" for k in keys) + "}\n"


def body_fit_svm(style):
    s, n = style, style.names
    clf = n["clf"]
    if "svm_linear" in s.mistakes:
        model = "SVC(kernel='linear')"
    else:
        model = s.choose(["SVC(kernel='rbf')", "SVC(kernel=\"rbf\", C=1.0)", "SVC()", "SVC(kernel='rbf', C=10)",
                          "SVC(kernel='poly', degree=2)", "SVC(kernel='rbf', gamma='scale', C=5.0)",
                          "SVC(kernel='rbf', gamma=1.0)", "make_pipeline(StandardScaler(), SVC(kernel='rbf'))",
                          "SVC(kernel='poly', degree=2, coef0=1)", "SVC(C=2.0)"])
    conv = s.choose([("np.asarray(X)", "np.asarray(y)"), ("X", "y"), ("np.array(X)", "np.array(y)"),
                     ("X.numpy() if torch.is_tensor(X) else X", "y.numpy() if torch.is_tensor(y) else y")])
    form = s.choose(["chain", "two_lines", "three_lines"])
    if form == "chain":
        return [(f"return {model}.fit({conv[0]}, {conv[1]})", "kernel")]
    if form == "two_lines":
        return [(f"{clf} = {model}", "kernel"), f"{clf}.fit({conv[0]}, {conv[1]})", f"return {clf}"]
    return [f"X, y = {conv[0]}, {conv[1]}", (f"{clf} = {model}", "kernel"), f"{clf}.fit(X, y)", f"return {clf}"]


BODIES = {"init_params": body_init_params, "forward": body_forward, "loss_accuracy": body_loss_accuracy,
          "backward": body_backward, "sgd": body_sgd, "init_params_autograd": body_init_params_autograd,
          "sgd_autograd": body_sgd_autograd, "init_model": body_init_model, "loss_accuracy_nn": body_loss_accuracy_nn,
          "sgd_nn": body_sgd_nn, "init_model_optim": body_init_model_optim, "fit_svm": body_fit_svm}

OWN_DOCSTRINGS = {"init_params": "Random init of the MLP parameters.", "forward": "Compute the forward pass.",
                  "loss_accuracy": "Cross entropy and accuracy.", "backward": "Manual backprop.",
                  "sgd": "SGD update.", "init_params_autograd": "Params for autograd.", "sgd_autograd": "Autograd step.",
                  "init_model": "Build the torch.nn model.", "loss_accuracy_nn": "Loss and accuracy from logits.",
                  "sgd_nn": "Manual step on a torch.nn model.", "init_model_optim": "Model + optimizer.",
                  "fit_svm": "Train an SVM."}


def fill_stub(style, stub, name):
    """The release's stub cell of `name`, filled in the student's way."""
    if name == "MNIST_HPARAMS":
        return stub if name in style.unfilled else source_mnist_hparams(style)
    head, _, rest = stub.partition("\n")
    doc = re.search(r'\n    """.*?"""\n', stub, re.S)
    todo = re.search(r"\n    # TODO.*\n", stub)
    parts = [head]
    if style.keep_docstring == "keep" and doc:
        parts.append(doc.group(0).strip("\n"))
    elif style.keep_docstring == "own":
        parts.append(f'    """{OWN_DOCSTRINGS[name]}"""')
    if name in style.unfilled:
        return stub
    if style.keep_todo and todo:
        parts.append(todo.group(0).strip("\n"))
    parts.append(render(style, BODIES[name](style)))
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- experiment cells of the student's own


def show_value(s, label, expr):
    """How a student prints one result."""
    return pick(s.rng, [f"print({label}, {expr})", f"print(f'{{{label}}}: {{{expr}:.3f}}')",
                        f"print('{label.strip(chr(39))} =', {label}, 'acc =', round(float({expr}), 3))",
                        f"print(f'{{{label}}} -> {{float({expr}):.4f}}')", f"print({label}, '%.3f' % {expr})"])


def seed_line(s, indent="    "):
    return pick(s.rng, ["", f"{indent}torch.manual_seed({s.rng.randint(0, 99)})\n", f"{indent}torch.manual_seed(0)\n"])


def extra_eta_sweep(s):
    etas = pick(s.rng, ["[0.01, 0.1, 0.3, 1.0]", "[0.03, 0.3, 3.0]", "[0.05, 0.1, 0.5]", "np.logspace(-2, 0, 5)",
                        "[0.001, 0.01, 0.1, 1]", "(0.1, 0.2, 0.5, 1.0, 2.0)", "[3e-2, 1e-1, 3e-1]"])
    v, res = pick(s.rng, ["eta", "lr", "step", "rate"]), pick(s.rng, ["results", "final_acc", "scores", "accs"])
    epochs = pick(s.rng, ["50", "EPOCHS", "100", "30", "20", "EPOCHS // 2"])
    loop = pick(s.rng, ["batches(data.Xtrain.shape[0], NBATCH)", "torch.split(torch.randperm(200), NBATCH)",
                        "batches(200, NBATCH)", "torch.randperm(200).split(10)"])
    store = pick(s.rng, [(f"{res} = []", f"    {res}.append({{acc}})", f"{res}[-1]"),
                         (f"{res} = {{}}", f"    {res}[{v}] = {{acc}}", f"{res}[{v}]")])
    acc = pick(s.rng, ["loss_accuracy(forward(P, data.Xtest)[0], data.Ytest)[1]",
                       "evaluate(lambda X: forward(P, X)[0], data)[3]",
                       "(forward(P, data.Xtest)[0].argmax(1) == data.Ytest.argmax(1)).float().mean().item()"])
    step = pick(s.rng, ["            _, outs = forward(P, data.Xtrain[idx])\n            P = sgd(P, backward(P, outs, data.Ytrain[idx]), {v})\n",
                        "            Yh, outs = forward(P, data.Xtrain[idx])\n            grads = backward(P, outs, data.Ytrain[idx])\n            P = sgd(P, grads, {v})\n"])
    plot = pick(s.rng, ["", f"plt.plot(list({etas}), list({res}{'.values()' if '{}' in store[0] else ''}), 'o-')\nplt.xscale('log')\nplt.xlabel('eta')\nplt.show()\n",
                        f"plt.semilogx(list({etas}), list({res}{'.values()' if '{}' in store[0] else ''}))\nplt.title('learning rate')\nplt.show()\n"])
    return (f"{store[0]}\nfor {v} in {etas}:\n{seed_line(s)}    P = init_params(2, NH, 2)\n"
            f"    for epoch in range({epochs}):\n        for idx in {loop}:\n" + step.format(v=v)
            + store[1].format(acc=acc) + "\n    " + show_value(s, v, store[2]) + "\n" + plot)


def extra_nh_sweep(s):
    sizes = pick(s.rng, ["[2, 5, 10, 20, 50]", "[1, 3, 10, 30]", "range(2, 21, 4)", "[4, 8, 16, 32]", "[3, 6, 12, 24, 48]",
                         "(5, 10, 50, 100)", "[2, 10, 100]"])
    v = pick(s.rng, ["nh", "n_hidden", "size", "hidden"])
    epochs = pick(s.rng, ["50", "100", "30", "EPOCHS", "60"])
    body = pick(s.rng, [
        f"    model, loss, optim = init_model_optim(2, {v}, 2, ETA)\n    hist = train_nn(model, loss, lambda: optim_step(optim), data, epochs={epochs})\n"
        "    " + show_value(s, v, 'hist["acc_test"][-1]') + "\n",
        f"{seed_line(s)}    params = init_params(2, {v}, 2)\n    for epoch in range({epochs}):\n"
        f"        for idx in batches(200, NBATCH):\n            Yhat, outputs = forward(params, data.Xtrain[idx])\n"
        f"            params = sgd(params, backward(params, outputs, data.Ytrain[idx]), ETA)\n"
        f"    print('nh =', {v}, evaluate(lambda X: forward(params, X)[0], data))\n",
        f"    net, crit = init_model(2, {v}, 2)\n    opt = torch.optim.SGD(net.parameters(), lr={pick(s.rng, ['ETA', '0.1', '0.5'])})\n"
        f"    for epoch in range({epochs}):\n        for idx in batches(200, NBATCH):\n"
        f"            L, _ = loss_accuracy_nn(crit, net(data.Xtrain[idx]), data.Ytrain[idx])\n"
        f"            opt.zero_grad()\n            L.backward()\n            opt.step()\n"
        f"    {show_value(s, v, 'loss_accuracy_nn(crit, net(data.Xtest), data.Ytest)[1]')}\n"])
    return f"for {v} in {sizes}:\n" + body


def extra_grad_check(s):
    a, b = pick(s.rng, [("P", "X"), ("params_check", "Xc"), ("p0", "x0"), ("test_params", "X_small")])
    tol = pick(s.rng, ["1e-6", "1e-5", "1e-4", "1e-7"])
    n = pick(s.rng, ["5", "7", "10", "20", "3"])
    dims = pick(s.rng, [("2", "NH", "2"), ("3", "5", "4"), ("2", "10", "2"), ("4", "6", "3")])
    labels = pick(s.rng, [f"torch.eye({dims[2]})[torch.randint(0, {dims[2]}, ({n},))]",
                          f"torch.nn.functional.one_hot(torch.randint(0, {dims[2]}, ({n},)), {dims[2]}).float()"])
    compare = pick(s.rng, [
        f"for k in g_manual:\n    print(k, torch.allclose(g_manual[k], {a}[k].grad, atol={tol}))\n",
        f"for k in g_manual:\n    err = (g_manual[k] - {a}[k].grad).abs().max().item()\n    print(f'{{k}}: max abs error {{err:.2e}}')\n",
        f"print({{k: (g_manual[k] - {a}[k].grad).norm().item() for k in g_manual}})\n",
        f"assert all(torch.allclose(g_manual[k], {a}[k].grad, atol={tol}) for k in g_manual)\nprint('gradients OK')\n"])
    detach = pick(s.rng, [f"{{k: v.detach() for k, v in {a}.items()}}", f"{{k: {a}[k].detach() for k in {a}}}"])
    intro = pick(s.rng, ["# check the manual gradients against autograd\n", "", "# sanity check: backward vs autograd\n",
                         "# vérification du backward avec autograd\n"])
    return (f"{intro}{a} = init_params_autograd({', '.join(dims)})\n"
            f"{b} = torch.randn({n}, {dims[0]})\nYc = {labels}\n"
            f"Yhat, outs = forward({a}, {b})\nL, _ = loss_accuracy(Yhat, Yc)\nL.backward()\n"
            f"g_manual = backward({detach}, {{k: v.detach() for k, v in outs.items()}}, Yc)\n" + compare)


def extra_confusion(s):
    pred = pick(s.rng, ["model_mnist(mnist.Xtest).argmax(1)", "model_mnist(mnist.Xtest).argmax(dim=1)",
                        "torch.argmax(model_mnist(mnist.Xtest), 1)"])
    if s.rng.random() < 0.5:
        show = pick(s.rng, ["print(cm)\n", "plt.imshow(cm, cmap='Blues')\nplt.colorbar()\nplt.show()\n",
                            "ConfusionMatrixDisplay(cm).plot()\nplt.show()\n", "print(cm.diagonal() / cm.sum(1))\n"])
        imp = "from sklearn.metrics import confusion_matrix" + (", ConfusionMatrixDisplay" if "Display" in show else "")
        return (f"{imp}\nwith torch.no_grad():\n    pred = {pred}.numpy()\n"
                f"cm = confusion_matrix(mnist.Ytest.argmax({pick(s.rng, ['1', 'dim=1'])}).numpy(), pred)\n" + show)
    m = pick(s.rng, ["conf", "M", "matrix"])
    show = pick(s.rng, [f"print({m})\n", f"plt.matshow({m})\nplt.show()\n", f"print({m}.diag() / {m}.sum(1))\n"])
    return (f"{m} = torch.zeros(10, 10, dtype=torch.{pick(s.rng, ['long', 'int64', 'int32'])})\nwith torch.no_grad():\n    pred = {pred}\n"
            f"for t, p in zip(mnist.Ytest.argmax(1), pred):\n    {m}[t, p] += 1\n" + show)


def extra_misclassified(s):
    k = pick(s.rng, ["8", "10", "16", "12", "5", "6"])
    title = pick(s.rng, ["f'{pred[i].item()}'", "f'pred {pred[i].item()} / true {true[i].item()}'", "str(int(pred[i]))",
                         "f'{int(pred[i])} ({int(true[i])})'"])
    layout = pick(s.rng, [f"fig, axes = plt.subplots(1, len(wrong), figsize=({pick(s.rng, ['12', '15', '16'])}, 2))\n",
                          f"fig, axes = plt.subplots(2, len(wrong) // 2, figsize=(10, 4))\n"])
    loop = "for ax, i in zip(axes.flat, wrong):\n" if "2, len" in layout else "for ax, i in zip(axes, wrong):\n"
    return (f"with torch.no_grad():\n    pred = model_mnist(mnist.Xtest).argmax(1)\ntrue = mnist.Ytest.argmax(1)\n"
            f"wrong = {pick(s.rng, ['(pred != true).nonzero().flatten()', 'torch.where(pred != true)[0]'])}[:{k}]\n"
            + layout + loop + f"    ax.imshow(mnist.Xtest[i].reshape(28, 28), cmap={pick(s.rng, [repr('gray'), repr('gray_r'), repr('binary')])})\n"
            f"    ax.set_title({title})\n    ax.axis('off')\n" + pick(s.rng, ["plt.show()\n", "plt.tight_layout()\nplt.show()\n", ""]))


def extra_weights_images(s):
    rows = pick(s.rng, ["4", "5", "8", "3", "6"])
    weight = pick(s.rng, ["model_mnist[0].weight.detach()", "list(model_mnist.parameters())[0].detach()",
                          "model_mnist[0].weight.data"])
    return (f"W = {weight}\nfig, axes = plt.subplots({rows}, {rows}, figsize=({pick(s.rng, ['6, 6', '8, 8', '5, 5'])}))\n"
            "for i, ax in enumerate(axes.flat):\n    ax.imshow(W[i].reshape(28, 28), cmap="
            + pick(s.rng, ["'seismic'", "'gray'", "'RdBu'", "'viridis'"]) + ")\n"
            + pick(s.rng, ["    ax.set_xticks([])\n    ax.set_yticks([])\n", "    ax.axis('off')\n"])
            + pick(s.rng, ["plt.show()\n", "plt.suptitle('first layer weights')\nplt.show()\n", "save_figure(fig, 'weights.pdf')\n"]))


def extra_svm_grid(s):
    if s.rng.random() < 0.5:
        grid = pick(s.rng, ["{'C': [0.1, 1, 10, 100], 'gamma': ['scale', 0.1, 1, 10]}", "{'C': [1, 10], 'kernel': ['rbf', 'poly']}",
                            "{'C': np.logspace(-2, 2, 5)}", "{'C': [0.5, 1, 2, 5], 'gamma': [0.5, 1, 2]}",
                            "{'kernel': ['linear', 'rbf', 'poly'], 'C': [1, 10]}"])
        est = pick(s.rng, ["SVC()", "SVC(kernel='rbf')"])
        show = pick(s.rng, ["print(search.best_params_, search.score(X_svm_test, y_svm_test))\n",
                            "print(search.best_params_)\nprint('test', search.best_estimator_.score(X_svm_test, y_svm_test))\n",
                            "print(search.best_score_, search.best_params_)\n"])
        return ("from sklearn.model_selection import GridSearchCV\n"
                f"search = GridSearchCV({est}, {grid}, cv={pick(s.rng, ['3', '5', '4'])})\nsearch.fit(X_svm_train, y_svm_train)\n" + show)
    c = pick(s.rng, ["C", "c", "reg"])
    values = pick(s.rng, ['[0.01, 0.1, 1, 10, 100]', '[0.5, 1, 2, 5]', '(1, 10, 100)', 'np.logspace(-2, 3, 6)', '[0.1, 1, 10]'])
    kernel = pick(s.rng, ["kernel='rbf', ", "", "kernel='poly', degree=2, ", "kernel='rbf', gamma=1.0, "])
    name = pick(s.rng, ["clf", "svm", "m"])
    show = pick(s.rng, [f"    print({c}, {name}.score(X_svm_train, y_svm_train), {name}.score(X_svm_test, y_svm_test))\n",
                        f"    print(f'C={{{c}}}: test {{{name}.score(X_svm_test, y_svm_test):.3f}}')\n",
                        f"    accs.append({name}.score(X_svm_test, y_svm_test))\n"])
    tail = ("plt.semilogx(" + values + ", accs)\nplt.show()\n") if "accs" in show else ""
    return (("accs = []\n" if "accs" in show else "") + f"for {c} in {values}:\n"
            f"    {name} = SVC({kernel}C={c}).fit(X_svm_train, y_svm_train)\n" + show + tail)


def extra_timing(s):
    if s.rng.random() < 0.4:
        return (f"%time history_x = train_nn(*init_model({pick(s.rng, ['2, NH, 2', '2, 10, 2'])}), lambda: None, data, epochs=1)\n"
                if s.rng.random() < 0.3 else
                "%%time\nmodel_t, loss_t, optim_t = init_model_optim(2, NH, 2, " + pick(s.rng, ["ETA", "0.3", "0.1"]) + ")\n"
                "hist_t = train_nn(model_t, loss_t, lambda: optim_step(optim_t), data" + pick(s.rng, [")", ", epochs=20)", ", epochs=EPOCHS)"]) + "\n")
    clock = pick(s.rng, [("import time\n", "time.time()"), ("import time\n", "time.perf_counter()"),
                         ("from time import perf_counter\n", "perf_counter()")])
    return (f"{clock[0]}t0 = {clock[1]}\nmodel_t, loss_t, optim_t = init_model_optim(2, NH, 2, ETA)\n"
            "train_nn(model_t, loss_t, lambda: optim_step(optim_t), data, epochs="
            + pick(s.rng, ["20", "EPOCHS", "50", "10"]) + ")\n"
            + pick(s.rng, [f"print('elapsed', {clock[1]} - t0)\n", f"print(f'{{{clock[1]} - t0:.2f}} s')\n"]))


def extra_optimizers(s):
    opts = pick(s.rng, ["[('sgd', torch.optim.SGD), ('adam', torch.optim.Adam)]",
                        "[('SGD', torch.optim.SGD), ('RMSprop', torch.optim.RMSprop), ('Adam', torch.optim.Adam)]",
                        "[('SGD', torch.optim.SGD), ('Adagrad', torch.optim.Adagrad)]",
                        "{'sgd': torch.optim.SGD, 'adam': torch.optim.Adam}.items()"])
    lr = pick(s.rng, ["ETA", "0.01", "0.05", "0.1", "1e-3"])
    curve = pick(s.rng, ["loss_train", "acc_test", "loss_test"])
    return (f"for label, cls in {opts}:\n{seed_line(s)}    model_o, loss_o = init_model(2, NH, 2)\n"
            f"    opt_o = cls(model_o.parameters(), lr={lr})\n    h = train_nn(model_o, loss_o, lambda: optim_step(opt_o), data"
            + pick(s.rng, [")", ", epochs=50)", ", epochs=EPOCHS)"]) + "\n"
            f"    plt.plot(h['{curve}'], label=label)\nplt.legend()\n"
            + pick(s.rng, ["plt.show()\n", f"plt.ylabel('{curve}')\nplt.show()\n", "save_figure(plt.gcf(), 'optimizers.pdf')\n"]))


def extra_sanity(s):
    return pick(s.rng, [
        f"P = init_params({pick(s.rng, ['2, 10, 2', '3, 5, 4', '2, NH, 2'])})\nprint({{k: tuple(v.shape) for k, v in P.items()}})\n",
        f"Yhat, outs = forward(init_params(2, 10, 2), data.Xtrain[:{pick(s.rng, ['5', '3', '10'])}])\nprint(Yhat.sum(1))\n",
        f"print(data.Xtrain[:{pick(s.rng, ['3', '5'])}], data.Ytrain[:{pick(s.rng, ['3', '5'])}])\n",
        "!ls figures\n",
        "print(len(data.Xtrain), len(data.Xtest))\nprint(data.Ytrain.sum(0))\n",
        "for k, v in init_params(2, NH, 2).items():\n    print(k, v.shape, v.std().item())\n",
        "print(torch.__version__)\n",
    ])


def extra_mnist_epochs(s):
    more = pick(s.rng, ['30', '40', '25', '50', '20'])
    report = pick(s.rng, ["print(loss_accuracy_nn(loss2, model2(mnist.Xtest), mnist.Ytest))\n",
                          "with torch.no_grad():\n    print('test acc', loss_accuracy_nn(loss2, model2(mnist.Xtest), mnist.Ytest)[1])\n"])
    change = pick(s.rng, [f"hp2 = dict(MNIST_HPARAMS, epochs={more})\n", f"hp2 = {{**MNIST_HPARAMS, 'epochs': {more}}}\n",
                          f"hp2 = dict(MNIST_HPARAMS)\nhp2['epochs'] = {more}\nhp2['eta'] = {pick(s.rng, ['0.05', '0.2', '0.1'])}\n"])
    return (change + "model2, loss2, optim2 = init_model_optim(784, hp2['nh'], 10, hp2['eta'])\n"
            "for epoch in range(hp2['epochs']):\n    for idx in batches(mnist.Xtrain.shape[0], hp2['batch_size']):\n"
            "        L, _ = loss_accuracy_nn(loss2, model2(mnist.Xtrain[idx]), mnist.Ytrain[idx])\n"
            "        L.backward()\n        optim_step(optim2)\n" + report)


EXTRAS = [("part1", extra_eta_sweep), ("part4", extra_nh_sweep), ("part2", extra_grad_check), ("mnist", extra_confusion),
          ("mnist", extra_misclassified), ("mnist", extra_weights_images), ("svm", extra_svm_grid), ("part4", extra_timing),
          ("part4", extra_optimizers), ("data", extra_sanity), ("mnist", extra_mnist_epochs)]


# ---------------------------------------------------------------- a student


def anchor_index(cells, part):
    """Where an experiment cell about `part` goes: after the release cell that runs that part."""
    markers = {"data": "data = CirclesData()", "part1": 'show_training(history_manual', "part2": "show_training(history_autograd",
               "part4": "show_training(history_optim", "mnist": "mnist_curves.pdf", "svm": "svm_kernels.pdf"}
    for i, cell in enumerate(cells):
        if markers[part] in cell:
            return i + 1
    return len(cells)


def edit_release_cell(rng, cell):
    """Small edits students make to the release's experiment cells."""
    edits = [("EPOCHS = 100", f"EPOCHS = {pick(rng, ['150', '200', '50', '120'])}"),
             ("torch.manual_seed(0)\nparams = init_params(2, NH, 2)", f"torch.manual_seed({rng.randint(1, 99)})\nparams = init_params(2, NH, 2)"),
             ("svm = SVC(kernel=kernel, degree=2)", f"svm = SVC(kernel=kernel, degree={pick(rng, ['3', '2'])}, C={pick(rng, ['1.0', '10', '0.5'])})"),
             ('print(mnist.source, tuple(mnist.Xtrain.shape), tuple(mnist.Xtest.shape))', 'print(mnist.source)')]
    for old, new in edits:
        if old in cell and rng.random() < 0.25:
            cell = cell.replace(old, new)
    return cell


def make_student(rng, tutorial=False):
    """The code cells of one student's notebook (list of str)."""
    style = make_style(rng, tutorial)
    cells, filled = [], {}
    for cell in release_cells():
        name = "MNIST_HPARAMS" if "MNIST_HPARAMS = ..." in cell else next(
            (g for g in GRADED if cell.startswith(f"def {g}(")), None)
        if name and ("..." in cell):
            text = fill_stub(style, cell, name)
            helpers_here = []
            if name == "forward" or name == "backward" or name == "loss_accuracy":
                wanted = {"forward": ("linear", "softmax"), "backward": ("dtanh",), "loss_accuracy": ("accuracy",)}[name]
                helpers_here = [helper_source(style, r) for r in wanted if r in style.helpers]
            helpers_here += style.helper_cells
            style.helper_cells = []
            if helpers_here and style.helper_in_own_cell:
                cells.extend(h + "\n" for h in helpers_here)
            elif helpers_here:
                text = "\n\n".join(helpers_here) + "\n\n" + text
            if name in ("forward", "loss_accuracy_nn", "init_model") and "F." in text and "import torch.nn.functional as F" not in "".join(cells):
                text = "import torch.nn.functional as F\n\n" + text
            if "OrderedDict" in text:
                text = "from collections import OrderedDict\n\n" + text
            if "make_pipeline" in text:
                text = "from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler\n\n" + text
            if "optim.SGD(" in text and "torch.optim.SGD(" not in text:
                text = "from torch import optim\n\n" + text
            cells.append(text)
            filled[name] = text
        else:
            cells.append(edit_release_cell(rng, cell))
    n_extra = pick(rng, [0, 1, 2, 3, 4], [1, 3, 3, 2, 1] if not tutorial else [4, 3, 1, 0.5, 0.2])
    for part, make in rng.sample(EXTRAS, n_extra):
        where = anchor_index(cells, part)
        if rng.random() < 0.2:
            where = len(cells) - 1  # at the end, before the export cell
        cells.insert(where, make(style))
    return cells


# ---------------------------------------------------------------- copies and their disguises

KEEP = set(dir(__builtins__)) | set(keyword.kwlist) | {"self", "torch", "nn", "np", "plt", "F", "optim", "SVC", "data", "mnist"}


def rename_identifiers(rng, cells, release):
    """Rename, consistently across the notebook, the student's own names (variables, arguments of their
    helpers, their helper functions and classes): what a copier's find-and-replace does."""
    release_names = set()
    for cell in release:
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        release_names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        release_names |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
        release_names |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    own = set()
    for cell in cells:
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.arg):
                own.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                own.add(node.name)
    own -= release_names | KEEP | set(GRADED)
    own = {n for n in own if n != "_"}
    chosen = sorted(own)
    rng.shuffle(chosen)
    chosen = chosen[: max(1, int(len(chosen) * rng.uniform(0.6, 1.0)))]
    style = pick(rng, ["suffix", "prefix", "synonym", "caps"])
    mapping = {}
    for n in chosen:
        if style == "suffix":
            new = n + pick(rng, ["_", "2", "_v", "_x"])
        elif style == "prefix":
            new = pick(rng, ["my_", "the_", "tmp_", "m_"]) + n
        elif style == "caps":
            new = n.upper() if n.islower() else n.lower() + "_"
        else:
            new = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 5))) + "_" + n[:2]
        mapping[n] = new
    return [rename_names_in(cell, mapping) for cell in cells], mapping


def rename_names_in(cell, mapping):
    """The cell with its NAME tokens renamed (strings, comments and magics left as they are)."""
    try:
        every = [t for t in tokenize.generate_tokens(io.StringIO(cell).readline)
                 if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    except (tokenize.TokenError, SyntaxError):
        return cell
    tokens, depth = [], 0
    for i, tok in enumerate(every):
        if tok.type == tokenize.OP:
            depth += tok.string in "([{"
            depth -= tok.string in ")]}"
        after_dot = i > 0 and every[i - 1].string == "."
        keyword_arg = depth > 0 and i + 1 < len(every) and every[i + 1].string == "="
        if tok.type == tokenize.NAME and tok.string in mapping and not after_dot and not keyword_arg:
            tokens.append(tok)
    lines = cell.split("\n")
    for tok in sorted(tokens, key=lambda t: t.start, reverse=True):
        row, col = tok.start
        line = lines[row - 1]
        lines[row - 1] = line[:col] + mapping[tok.string] + line[col + len(tok.string):]
    return "\n".join(lines)


def change_comments(rng, cells):
    mode = pick(rng, ["remove", "rewrite", "translate"])
    out = []
    for cell in cells:
        lines = []
        for line in cell.split("\n"):
            m = re.match(r"^(.*?)(\s*)#\s?(.*)$", line)
            if m and "'" not in line and '"' not in line.split("#")[0][-1:]:
                code, gap, text = m.groups()
                if mode == "remove":
                    if code.strip():
                        lines.append(code)
                    continue
                new = (" ".join(reversed(text.split())) if mode == "rewrite" else "note: " + text.lower())
                lines.append(f"{code}{gap}# {new}")
            else:
                lines.append(line)
        out.append("\n".join(lines))
    return out


def change_docstrings(rng, cells):
    out = []
    for cell in cells:
        mode = pick(rng, ["remove", "shorten"])
        cell = re.sub(r'(\n    )"""(.*?)"""', (lambda m: "" if mode == "remove" else f'{m.group(1)}"""{m.group(2).split(".")[0].strip()}."""'),
                      cell, flags=re.S)
        out.append(cell)
    return out


def reformat_all(rng, cells):
    """Re-wrap: the copier reformats every cell (ast.unparse: one statement a line, comments dropped)."""
    out = []
    for cell in cells:
        try:
            out.append(ast.unparse(ast.parse(cell)) + "\n")
        except SyntaxError:
            out.append(cell)
    return out


def rewrap_long_lines(rng, cells):
    """Re-wrap: split long lines after a comma inside brackets, join short continuation lines."""
    out = []
    for cell in cells:
        lines = []
        for line in cell.split("\n"):
            if len(line) > 50 and "#" not in line and "," in line and ("(" in line or "{" in line) and not line.strip().startswith(("%", "!")):
                depth, cut, quote = 0, None, None
                for i, ch in enumerate(line):
                    if quote:
                        quote = None if ch == quote else quote
                        continue
                    if ch in "'\"":
                        quote = ch
                    depth += ch in "([{"
                    depth -= ch in ")]}"
                    if ch == "," and depth > 0 and i > 25:
                        cut = i
                        break
                if cut:
                    indent = len(line) - len(line.lstrip())
                    lines += [line[:cut + 1], " " * (indent + 8) + line[cut + 1:].lstrip()]
                    continue
            lines.append(line)
        out.append("\n".join(lines))
    return out


def reorder_cells(rng, cells, release):
    """Move the student's own cells (helpers, experiments) elsewhere, and swap some graded function cells
    that do not depend on each other."""
    release_heads = {c.split("\n")[0] for c in release} | {f"def {g}(" for g in GRADED}
    cells = list(cells)
    own = [i for i, c in enumerate(cells) if not any(c.startswith(h) for h in release_heads) and "MNIST_HPARAMS =" not in c]
    moved = [cells[i] for i in own]
    for i in reversed(own):
        del cells[i]
    for cell in moved:
        cells.insert(rng.randint(1, len(cells) - 1), cell)
    swaps = [("sgd", "loss_accuracy"), ("loss_accuracy_nn", "sgd_nn"), ("init_params", "sgd"), ("fit_svm", "MNIST_HPARAMS")]
    for a, b in rng.sample(swaps, 2):
        ia = next((i for i, c in enumerate(cells) if re.search(rf"^(def {a}\(|{a} =)", c, re.M)), None)
        ib = next((i for i, c in enumerate(cells) if re.search(rf"^(def {b}\(|{b} =)", c, re.M)), None)
        if ia is not None and ib is not None:
            cells[ia], cells[ib] = cells[ib], cells[ia]
    return cells


def rewrite_one_function(rng, cells):
    style = make_style(rng)
    style.mistakes, style.unfilled, style.helpers = set(), set(), {}
    name = pick(rng, ["forward", "backward", "loss_accuracy", "sgd_autograd", "init_params", "fit_svm"])
    stub = next(c for c in release_cells() if c.startswith(f"def {name}("))
    text = fill_stub(style, stub, name)
    for i, cell in enumerate(cells):
        if re.search(rf"^def {name}\(", cell, re.M):
            start = cell.index(f"def {name}(")
            cells = list(cells)
            cells[i] = cell[:start] + text
            if "F." in text and "import torch.nn.functional as F" not in "".join(cells):
                cells[i] = "import torch.nn.functional as F\n\n" + cells[i]
            return cells, name
    return cells, None


DISGUISES = ["rename", "reorder", "comments", "docstrings", "rewrite_one", "rewrap", "reformat", "add_own_cell", "drop_cell"]


def make_copy(rng, source_cells, disguises):
    """A disguised copy of a notebook: (cells, what was done)."""
    release = release_cells()
    cells, done = list(source_cells), []
    for disguise in disguises:
        if disguise == "rename":
            cells, mapping = rename_identifiers(rng, cells, release)
            done.append(f"renamed {len(mapping)} names")
        elif disguise == "reorder":
            cells = reorder_cells(rng, cells, release)
            done.append("reordered cells")
        elif disguise == "comments":
            cells = change_comments(rng, cells)
            done.append("comments changed")
        elif disguise == "docstrings":
            cells = change_docstrings(rng, cells)
            done.append("docstrings changed")
        elif disguise == "rewrite_one":
            cells, name = rewrite_one_function(rng, cells)
            done.append(f"rewrote {name}")
        elif disguise == "rewrap":
            cells = rewrap_long_lines(rng, cells)
            done.append("re-wrapped long lines")
        elif disguise == "reformat":
            cells = reformat_all(rng, cells)
            done.append("reformatted (ast.unparse)")
        elif disguise == "add_own_cell":
            _, make = pick(rng, EXTRAS)
            cells.insert(rng.randint(5, len(cells) - 1), make(make_style(rng)))
            done.append("added an experiment cell")
        elif disguise == "drop_cell":
            own = [i for i, c in enumerate(cells) if c not in set(release) and not re.search(r"^(def |MNIST_HPARAMS|class |import |from )", c, re.M)]
            if own:
                del cells[rng.choice(own)]
                done.append("dropped an experiment cell")
    return cells, done


@dataclass
class ClassCorpus:
    submissions: dict  # id -> list of code cell sources
    copies: dict  # copy id -> (source id, [disguises done])

    def related(self, a, b):
        """Whether a pair is a copy and its source, or two copies of one source."""
        src = {k: v[0] for k, v in self.copies.items()}
        root_a, root_b = src.get(a, a), src.get(b, b)
        return root_a == root_b


def make_class(seed=0, n_students=40, n_copies=12, tutorial_rate=1 / 6):
    """A class of independent students plus disguised copies of some of them."""
    rng = random.Random(seed)
    subs = {}
    for i in range(n_students):
        subs[f"s{i:03d}"] = make_student(rng, tutorial=rng.random() < tutorial_rate)
    copies = {}
    sources = rng.sample(sorted(subs), min(n_copies, n_students))
    plans = [["rename", "reorder", "comments"], ["rename", "docstrings", "rewrite_one"], ["reorder", "rewrap", "comments"],
             ["rename", "reformat"], ["rename", "reorder", "comments", "docstrings", "rewrite_one", "rewrap"],
             ["rewrite_one", "reorder", "add_own_cell"], ["rename", "comments", "drop_cell", "add_own_cell"],
             ["reformat", "reorder", "rewrite_one"], ["rename", "reorder", "comments", "docstrings", "rewrite_one", "reformat", "add_own_cell"],
             ["rename", "rewrap"], ["comments", "docstrings", "rename", "reorder"], ["rename", "rewrite_one", "reorder", "rewrap", "drop_cell"]]
    for j in range(n_copies):
        source = sources[j % len(sources)]
        plan = plans[j % len(plans)]
        cells, done = make_copy(rng, subs[source], plan)
        copy_id = f"c{j:03d}"
        subs[copy_id] = cells
        copies[copy_id] = (source, done)
    order = sorted(subs)
    rng.shuffle(order)  # the ids carry no order
    return ClassCorpus({k: subs[k] for k in order}, copies)


if __name__ == "__main__":
    corpus = make_class()
    for cid, (src, done) in corpus.copies.items():
        print(cid, "<-", src, ":", ", ".join(done))
    bad = 0
    for sid, cells in corpus.submissions.items():
        for cell in cells:
            if cell.lstrip().startswith(("%", "!")):
                continue
            try:
                ast.parse(cell)
            except SyntaxError as e:
                bad += 1
                print("not Python:", sid, e, cell[:200])
    print(len(corpus.submissions), "submissions;", bad, "cells that do not parse")
