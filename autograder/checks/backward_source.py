"""What the source of the notebook's `backward` shows, read by the grader beside the backward judge
(part1.judge_backward): autograd, code run from a string, a library's backpropagation loaded where the
library guard (tp1_support/library_guard.py) cannot see it. The static backing of the behavioural
check, which calls backward where autograd cannot run; the judge decides what each finding costs."""
from __future__ import annotations

import ast

# Unambiguous: attributes and modules that only autograd has, and the ways to its engine past the
# probe's block (torch's C internals, TorchScript, the interpreter's list of live objects). (`.backward()`
# is not among them: a manual implementation may well have layer objects with a backward method.)
AUTOGRAD_ATTRIBUTES = {"autograd", "functorch", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "grad_and_value",
                       "forward_ad", "make_dual", "unpack_dual", "_C", "_ImperativeEngine", "ImperativeEngine",
                       "_execution_engine", "run_backward", "get_objects", "get_referrers", "get_referents",
                       "jit", "CompilationUnit"}
AUTOGRAD_MODULES = ("torch.autograd", "torch.func", "functorch", "torch._functorch", "torch._C", "torch.jit")
DYNAMIC_CODE = {"exec", "eval", "compile", "__import__"}  # code the source does not show
# Code that loads a library's backpropagation where the library guard (tp1_support/library_guard.py)
# cannot see it: running a module's file (runpy), the import machinery, the MLP modules themselves.
LIBRARY_MODULES = ("runpy", "importlib", "sklearn.neural_network", "mlxtend.classifier")
LIBRARY_ATTRIBUTES = {"meta_path", "path_hooks", "run_path", "run_module", "spec_from_file_location",
                      "exec_module", "_backprop", "_forward_pass", "_compute_loss_grad", "_loss_grad_lbfgs",
                      "MLPClassifier", "MLPRegressor", "MultiLayerPerceptron", "neural_network"}
LIBRARY_MARK = "(a library's code)"
# ... in a string of that code (TorchScript source); docstrings and other bare strings are not read
AUTOGRAD_WORDS = ("autograd.grad", "autograd.backward", ".backward(", "run_backward", "_execution_engine")


def _imported_modules(node):
    """The modules an `import` or `from ... import` statement names."""
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]


def _library_binding(alias):
    """The name `import <a library module> [as name]` binds, when that name is the library's code.
    `import sklearn.neural_network` binds `sklearn`, which the notebook's SVM needs: not flagged (the
    module path itself is, where backward's code writes it)."""
    if not alias.name.startswith(LIBRARY_MODULES):
        return None
    root = alias.name.split(".")[0]
    if alias.asname:
        return alias.asname
    return root if "." not in alias.name or root.startswith(LIBRARY_MODULES) else None


def autograd_uses(program, function="backward"):
    """Where the notebook's `function`, and every definition of the notebook it refers to (functions,
    classes with all their methods, constants), uses autograd (torch.autograd, torch.func, functorch,
    torch's C internals, TorchScript), runs code given as a string, loads a library's code where the
    library guard cannot see it (runpy, the import machinery, the MLP modules), or names autograd in a string:
    sorted 'definition: what' strings. A static backing for the behavioural check, which calls
    backward where autograd cannot run."""
    defs, imported, libraries = {}, set(), set()
    for tree in program.trees:
        if isinstance(tree, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[tree.name] = tree
        elif isinstance(tree, ast.Assign):
            for target in tree.targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        defs[node.id] = tree
        elif isinstance(tree, ast.ImportFrom) and (tree.module or "").startswith(AUTOGRAD_MODULES):
            imported |= {alias.asname or alias.name for alias in tree.names}
        elif isinstance(tree, ast.ImportFrom) and (tree.module or "").startswith(LIBRARY_MODULES):
            libraries |= {alias.asname or alias.name for alias in tree.names}
        elif isinstance(tree, ast.Import):
            for alias in tree.names:
                if alias.asname and alias.name.startswith(AUTOGRAD_MODULES):
                    imported.add(alias.asname)
                library = _library_binding(alias)
                if library:
                    libraries.add(library)
    found, seen, todo = set(), set(), [function]
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        bare = {id(n.value) for n in ast.walk(defs[name]) if isinstance(n, ast.Expr)}
        for node in ast.walk(defs[name]):
            if isinstance(node, ast.Attribute) and (node.attr in AUTOGRAD_ATTRIBUTES or node.attr == "func" and
                                                    isinstance(node.value, ast.Name) and node.value.id == "torch"):
                found.add(f"{name}: .{node.attr}")
            elif isinstance(node, ast.Attribute) and node.attr in LIBRARY_ATTRIBUTES:
                found.add(f"{name}: .{node.attr} {LIBRARY_MARK}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                library = next((m for m in _imported_modules(node) if m.startswith(LIBRARY_MODULES)), None)
                if library:
                    found.add(f"{name}: import {library} {LIBRARY_MARK}")
            elif isinstance(node, ast.Name) and node.id in imported:
                found.add(f"{name}: {node.id}")
            elif isinstance(node, ast.Name) and node.id in libraries:
                found.add(f"{name}: {node.id} {LIBRARY_MARK}")
            elif isinstance(node, ast.Name) and node.id in DYNAMIC_CODE:
                found.add(f"{name}: {node.id}")
            elif isinstance(node, ast.Name):
                todo.append(node.id)
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare
                  and any(word in node.value for word in AUTOGRAD_WORDS)):
                found.add(f"{name}: a string naming autograd")
    return sorted(found)
