"""Class similarity report: pairs of submissions whose code is suspiciously alike.

Runs in the grader's trusted process and never executes student code: it only reads the text of the
code cells and their syntax trees.

The method, in short (docs/similarity.md says why):

1. Each code cell is parsed (IPython magics and shell lines blanked first; a cell that is not valid
   Python is parsed block by block, and a block that still fails is read as plain tokens). Each
   function or class definition is a *unit*; the other top-level statements of a cell form one unit.
2. A unit becomes a sequence of normalised tokens: the syntax tree in pre-order, with the student's
   own names (variables, arguments, helpers) all written `_`, imported names resolved to their module
   path (`F.softmax` and `torch.nn.functional.softmax` are one token), docstrings, comments,
   formatting, quotes and redundant parentheses gone; library calls, attributes, keyword arguments,
   operators and constants kept. Renaming, re-wrapping, re-commenting and reordering units change
   nothing in it.
3. Fingerprints are the hashes of the k-grams of those tokens (a unit shorter than k is one
   fingerprint). The fingerprints of the release notebook are removed from every submission: the
   code every student starts from is never evidence. A fingerprint that many students share weighs
   less (`log(N / df) / log(N / 2)`: 1 when only a pair shares it, 0 when everybody has it), so
   what correct solutions of a short TP have in common (the obvious 3-line `forward`) counts little,
   and what is distinctive (helpers, experiment cells, unusual constants and idioms, the choices of
   a whole notebook) counts fully.
4. A pair's score is the weight of the fingerprints both have over the weight of the smaller of the
   two (containment), with a floor on that denominator so that two nearly empty notebooks cannot
   score high on a handful of shared lines. A pair is flagged at `threshold` or more.
"""
import ast
import builtins
import math
import re
import zlib
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .pipeline.read import python_cell_lines
from .pyparse import parse

# Limits on what is read of one submission: far above an honest TP notebook (its longest cell is
# about 2 kB; the whole notebook about 20 kB), low enough that a hostile one costs little.
MAX_CELL_CHARS = 50_000
MAX_CELLS = 500
MAX_SUBMISSION_CHARS = 500_000
MAX_BLOCKS = 500  # blocks of a cell that does not parse that are parsed one by one; the rest is read as tokens
MAX_TOKENS = 200_000
MAX_DEPTH = 100  # syntax tree depth below which a subtree is one opaque token
MAX_POSITIONS = 4  # occurrences of one fingerprint remembered per submission, for the side-by-side view

K = 12  # tokens per fingerprint (about a line and a half of code)
THRESHOLD = 0.57
MIN_EVIDENCE = 150.0  # the score's denominator is at least this weight: about 30 lines of code nobody else wrote
PARTS_FOR_UNFLAGGED = 10  # the most similar unflagged pairs also get their matching parts, for context


# ---------------------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Span:
    """Lines `first`..`last` (1-based, inclusive) of code cell `cell` (1-based among code cells)."""
    cell: int
    first: int
    last: int


@dataclass
class MatchedPart:
    """A unit of one submission that matches a unit of the other."""
    left: Span
    right: Span
    left_label: str
    right_label: str
    left_lines: list  # 1-based line numbers within left.cell that carry shared fingerprints
    right_lines: list
    weight: float  # this part's share of the pair's shared evidence, in [0, 1]


@dataclass
class PairResult:
    a: str
    b: str
    score: float  # in [0, 1]
    flagged: bool
    shared: float  # weight of the fingerprints both have
    parts: list = field(default_factory=list)  # MatchedPart, heaviest first (flagged and top pairs only)


@dataclass
class SimilarityReport:
    pairs: list  # PairResult, most similar first
    threshold: float
    analysed: list  # ids of the submissions compared
    skipped: dict  # id -> why it could not be analysed
    notes: dict  # id -> [what was truncated or read as plain text]
    sources: dict  # id -> [code cells as analysed], for the side-by-side view

    @property
    def flagged(self):
        return [p for p in self.pairs if p.flagged]


# ---------------------------------------------------------------------------------------- reading


def _clean(text):
    """Text safe to parse, print and write: lone surrogates and NULs replaced."""
    if not isinstance(text, str):
        raise TypeError(f"a code cell must be text, not {type(text).__name__}")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "\ufffd")


_MAGIC_ASSIGN = re.compile(r"[\w\s,.\[\]()]+=\s*[!%]")  # one class before "=": no quadratic backtracking


def _blank_magics(text):
    """IPython lines (%magic, !shell, x = !cmd, obj?) replaced by `pass`, so the rest parses with its
    line numbers unchanged. Returns (text, whether the cell is not Python at all)."""
    lines = python_cell_lines(text.split("\n"))  # the grader's own rule for cell magics
    if lines is None:
        return text, True
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("%", "!")) or _MAGIC_ASSIGN.match(line) or (
                stripped.endswith("?") and not stripped.startswith("#") and "#" not in stripped):
            magic = re.match(r"%(time|timeit|prun)\s+(?:-\S+\s+)*(.*)$", stripped)
            if magic and magic.group(2).strip():
                out.append(indent + magic.group(2))  # the timed statement is Python
            else:
                out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out), False


# ---------------------------------------------------------------------------------------- tokens


@dataclass
class Unit:
    label: str  # "def forward", "class MLP", "top-level code"
    span: Span
    tokens: list  # token strings
    lines: list  # line (within the cell) of each token


_BUILTINS = frozenset(dir(builtins))


class _Context:
    """What a name means in a submission: a module path for imported names, itself for builtins and
    the release's own names, `_` for the student's own."""

    def __init__(self, release_names=(), aliases=None):
        self.release_names = set(release_names)
        self.aliases = dict(aliases or {})

    def add_imports(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        root = a.name.split(".")[0]
                        self.aliases[root] = root
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def global_name(self, name):
        if name in self.aliases:
            return self.aliases[name]
        if name in _BUILTINS or name in self.release_names:
            return name
        return "_"


def _dotted(node):
    """`a.b.c` as ("a", ["b", "c"]) when the chain is names and attributes only."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, attrs[::-1]
    return None, None


def _bound_names(func):
    """Names bound inside a function (its arguments, assignment, loop, with, except and
    comprehension targets, nested definitions). Imported names are not: they mean their module."""
    bound = set()
    for node in ast.walk(func):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not func:
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _is_docstring(node):
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _constant_token(value):
    if isinstance(value, bool) or value is None or value is Ellipsis:
        return f"C:{value!r}"
    if isinstance(value, (int, float)):
        try:
            return f"C:{float(value)!r}"  # 1, 1.0 and 1. are one constant
        except OverflowError:
            return "C:big"
    if isinstance(value, str):
        return "S:" + " ".join(value.split())[:40]
    if isinstance(value, bytes):
        return "B:" + repr(value[:40])
    return f"C:{type(value).__name__}"


_END = object()  # marks the end of a statement list in the walk


def _unit_tokens(root, context, locals_=frozenset(), line_offset=0):
    """Normalised tokens of a syntax tree, pre-order, iteratively (a hostile tree cannot exhaust the
    stack). Returns (tokens, lines)."""
    tokens, lines = [], []
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node is _END:
            tokens.append("}")
            lines.append(lines[-1] if lines else 1)
            continue
        line = getattr(node, "lineno", None)
        line = (line or (lines[-1] if lines else 1)) + line_offset
        if depth > MAX_DEPTH:
            tokens.append("Deep")
            lines.append(line)
            continue
        if isinstance(node, (ast.expr_context, ast.Module)):
            if isinstance(node, ast.Module):
                stack.extend((child, depth + 1) for child in reversed(node.body) if not _is_docstring(child))
            continue
        token, children = None, None
        if isinstance(node, ast.Name):
            token = "N:" + ("_" if node.id in locals_ else context.global_name(node.id))
            children = ()
        elif isinstance(node, ast.Attribute):
            base, attrs = _dotted(node)
            if base is not None and base not in locals_ and base in context.aliases:
                token, children = "N:" + ".".join([context.aliases[base]] + attrs), ()
            elif isinstance(node.value, ast.Name) and node.value.id == "self":
                token, children = "N:self._", ()
            else:
                token, children = "." + node.attr, (node.value,)
        elif isinstance(node, ast.Constant):
            token, children = _constant_token(node.value), ()
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = context.global_name(node.name) if node.name in context.release_names else "_"
            token = f"Def:{name}"
            body = [s for s in node.body if not _is_docstring(s)]
            children = [*node.decorator_list, node.args, *body, _END]
        elif isinstance(node, ast.ClassDef):
            token = "Class:_"
            children = [*node.bases, *node.keywords, *[s for s in node.body if not _is_docstring(s)], _END]
        elif isinstance(node, ast.arg):
            token, children = "A", ()
        elif isinstance(node, ast.keyword):
            token, children = f"kw:{node.arg}", (node.value,)
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            token = f"{type(node).__name__}:{type(node.op).__name__}"
            children = (node.left, node.right) if isinstance(node, ast.BinOp) else (node.target, node.value)
        elif isinstance(node, ast.UnaryOp):
            token, children = f"Unary:{type(node.op).__name__}", (node.operand,)
        elif isinstance(node, ast.BoolOp):
            token, children = f"Bool:{type(node.op).__name__}", node.values
        elif isinstance(node, ast.Compare):
            token = "Cmp:" + ",".join(type(op).__name__ for op in node.ops)
            children = (node.left, *node.comparators)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            token = "Import:" + ",".join(sorted(f"{module}.{a.name}" if module else a.name for a in node.names))
            children = ()
        elif isinstance(node, (ast.Expr, ast.Pass, ast.arguments, ast.Global, ast.Nonlocal)):
            token = None  # wrappers and declarations: no token of their own
            children = [] if isinstance(node, (ast.Pass, ast.Global, ast.Nonlocal)) else list(ast.iter_child_nodes(node))
        else:
            token = type(node).__name__
            if isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)):
                kids = []
                for name, value in ast.iter_fields(node):
                    if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                        kids.extend([*value, _END])
                    elif isinstance(value, list):
                        kids.extend(v for v in value if isinstance(v, ast.AST))
                    elif isinstance(value, ast.AST):
                        kids.append(value)
                children = kids
            else:
                children = list(ast.iter_child_nodes(node))
        if token is not None:
            tokens.append(token)
            lines.append(line)
        stack.extend((child, depth + 1) for child in reversed(list(children))
                     if child is _END or not _is_docstring(child))
    return tokens, lines


_LEX = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>[rbuRBUfF]{0,2}(?:\"\"\"[\s\S]*?(?:\"\"\"|$)|'''[\s\S]*?(?:'''|$)|"[^"\n]*"?|'[^'\n]*'?))
  | (?P<number>\d[\w.]*|\.\d[\w]*)
  | (?P<name>[^\W\d]\w*)
  | (?P<newline>\n)
  | (?P<op>\S)
""", re.VERBOSE)


def _lexical_tokens(text, context, first_line):
    """Tokens of text that is not valid Python, close to what the syntax tree would give."""
    import keyword

    tokens, lines, line = [], [], first_line
    for m in _LEX.finditer(text):
        kind, value = m.lastgroup, m.group()
        if kind == "newline":
            line += 1
            continue
        if kind == "comment":
            continue
        if kind == "string":
            token = "S:" + " ".join(value.strip("rbuRBUfF").strip("\"'").split())[:40]
        elif kind == "number":
            try:
                token = _constant_token(float(value.replace("_", "")))
            except ValueError:
                token = "C:" + value
        elif kind == "name":
            token = value if keyword.iskeyword(value) else "N:" + context.global_name(value)
        else:
            token = value
        tokens.append(token)
        lines.append(line)
        line += value.count("\n")
    return tokens, lines


def _blocks(text):
    """Top-level blocks of a cell that does not parse as a whole: (first line, text)."""
    blocks, current, start = [], [], 1
    for i, line in enumerate(text.split("\n"), start=1):
        starts_block = line[:1] not in ("", " ", "\t", ")", "]", "}", "#") and not re.match(
            r"(else|elif|except|finally)\b", line)
        if starts_block and current and not current[-1].rstrip().endswith(("\\", ",", "(", "[", "{")) \
                and not (current[-1].lstrip().startswith("@")):
            blocks.append((start, "\n".join(current)))
            current, start = [], i
        current.append(line)
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, UnicodeError, OverflowError)


def _cell_units(index, text, context, notes, parsed):
    """The units of one code cell; `parsed` is (its text with magics blanked, its tree or None, whether
    it is not Python at all)."""
    python, tree, not_python = parsed
    n_lines = text.count("\n") + 1
    if not_python:
        tokens, lines = _lexical_tokens(text, context, 1)
        return [Unit("top-level code", Span(index, 1, n_lines), tokens, lines)]
    if tree is not None:
        trees = [(1, tree)]
    else:
        trees = []
        for b, (first, block) in enumerate(_blocks(python)):
            try:
                if b >= MAX_BLOCKS:
                    raise SyntaxError("too many blocks")
                trees.append((first, parse(block)))
            except _PARSE_ERRORS:
                tokens, lines = _lexical_tokens(block, context, first)
                trees.append((first, (tokens, lines)))
        notes.append(f"code cell {index} is not valid Python: read block by block")
    units, script = [], None
    for first, tree in trees:
        if isinstance(tree, tuple):
            tokens, lines = tree
            if tokens:
                units.append(Unit("top-level code", Span(index, first, max(lines)), tokens, lines))
            continue
        for node in tree.body:
            if _is_docstring(node):
                continue
            start = node.lineno + first - 1
            end = (getattr(node, "end_lineno", None) or node.lineno) + first - 1
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                locals_ = _bound_names(node)
                tokens, lines = _unit_tokens(node, context, locals_, first - 1)
                kind = "class" if isinstance(node, ast.ClassDef) else "def"
                units.append(Unit(f"{kind} {node.name}", Span(index, start, end), tokens, lines))
                script = None
            else:
                tokens, lines = _unit_tokens(node, context, frozenset(), first - 1)
                if script is None:
                    script = Unit("top-level code", Span(index, start, end), [], [])
                    units.append(script)
                script.tokens.extend(tokens)
                script.lines.extend(lines)
                script.span = Span(index, script.span.first, max(script.span.last, end))
    return units


# ---------------------------------------------------------------------------------------- fingerprints

_TOKEN_IDS = {}


def _token_id(token):
    found = _TOKEN_IDS.get(token)
    if found is None:
        found = _TOKEN_IDS[token] = zlib.crc32(token.encode("utf-8", "replace"))
    return found


def _fingerprints(units, k):
    """{fingerprint: [(unit index, index of its first token), ...]} of a submission's units."""
    found = {}
    for u, unit in enumerate(units):
        ids = [_token_id(t) for t in unit.tokens]
        if not ids:
            continue
        starts = range(max(1, len(ids) - k + 1))
        for s in starts:
            window = tuple(ids[s:s + k])
            h = hash(window)  # ints only: deterministic across runs, unlike hashes of str
            where = found.setdefault(h, [])
            if len(where) < MAX_POSITIONS:
                where.append((u, s))
    return found


@dataclass
class _Analysis:
    cells: list
    units: list
    fingerprints: dict
    notes: list


def _release_context(boilerplate):
    names, context = set(), _Context()
    for text in boilerplate:
        python, not_python = _blank_magics(_clean(text)[:MAX_CELL_CHARS])
        if not_python:
            continue
        try:
            tree = parse(python)
        except _PARSE_ERRORS:
            continue
        context.add_imports(tree)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        names.add(sub.id)
    context.release_names = names
    return context


def _analyse(cells, release_context, k):
    if not isinstance(cells, (list, tuple)):
        raise TypeError(f"expected a list of code cells, got {type(cells).__name__}")
    notes, kept, total = [], [], 0
    if len(cells) > MAX_CELLS:
        notes.append(f"{len(cells)} code cells: only the first {MAX_CELLS} were read")
        cells = cells[:MAX_CELLS]
    for i, cell in enumerate(cells, start=1):
        text = _clean(cell)
        if len(text) > MAX_CELL_CHARS:
            notes.append(f"code cell {i} has {len(text):,} characters: only the first {MAX_CELL_CHARS:,} were read")
            text = text[:MAX_CELL_CHARS]
        if total + len(text) > MAX_SUBMISSION_CHARS:
            text = text[:max(0, MAX_SUBMISSION_CHARS - total)]
            notes.append(f"the notebook is longer than {MAX_SUBMISSION_CHARS:,} characters: code cell {i} and "
                         "those after it were cut")
        total += len(text)
        kept.append(text)
        if total >= MAX_SUBMISSION_CHARS:
            break
    context = _Context(release_context.release_names, release_context.aliases)
    parsed = []
    for text in kept:
        python, not_python = _blank_magics(text)
        tree = None
        if not not_python:
            try:
                tree = parse(python)
                if "import" in python:
                    context.add_imports(tree)
            except _PARSE_ERRORS:
                pass
        parsed.append((python, tree, not_python))
    units, n_tokens = [], 0
    for i, text in enumerate(kept, start=1):
        for unit in _cell_units(i, text, context, notes, parsed[i - 1]):
            if n_tokens + len(unit.tokens) > MAX_TOKENS:
                notes.append(f"more than {MAX_TOKENS:,} tokens of code: the rest from code cell {i} on was not read")
                break
            n_tokens += len(unit.tokens)
            units.append(unit)
        else:
            continue
        break
    return _Analysis(kept, units, _fingerprints(units, k), notes)


# ---------------------------------------------------------------------------------------- comparing


def df_weight(df, n):
    """Weight of a fingerprint that `df` of the `n` submissions have: 1 when at most a pair has it,
    falling to 0 when everybody has it."""
    if n <= 2:
        return 1.0
    return max(0.0, min(1.0, math.log(n / df) / math.log(n / 2)))


def compare_class(submissions, boilerplate, *, threshold=THRESHOLD, k=K, min_evidence=MIN_EVIDENCE):
    """Compare every pair of a class's submissions.

    submissions: {student id: [source of each code cell, in notebook order]};
    boilerplate: [source of each code cell of the student release notebook].
    Returns a SimilarityReport. Never raises on a submission's content: one that cannot be analysed
    is listed in `skipped` with the reason.
    """
    release = _release_context(boilerplate)
    release_analysis = _analyse(list(boilerplate), release, k)
    release_prints = set(release_analysis.fingerprints)
    analyses, skipped, notes = {}, {}, {}
    for sid in sorted(submissions, key=str):
        try:
            analysis = _analyse(submissions[sid], release, k)
        except Exception as e:  # one hostile submission must not cost the class its report
            skipped[str(sid)] = f"could not be analysed ({type(e).__name__}: {str(e)[:200]})"
            continue
        for h in release_prints & analysis.fingerprints.keys():
            del analysis.fingerprints[h]
        analyses[str(sid)] = analysis
        if analysis.notes:
            notes[str(sid)] = analysis.notes
    ids = sorted(analyses)
    df = _document_frequency(analyses.values())
    pairs = _score_pairs(ids, analyses, df, threshold, min_evidence)
    unflagged = 0
    for pair in pairs:
        if pair.flagged or unflagged < PARTS_FOR_UNFLAGGED:
            pair.parts = _matched_parts(analyses[pair.a], analyses[pair.b], df, len(ids), k)
            unflagged += not pair.flagged
    return SimilarityReport(pairs=pairs, threshold=threshold, analysed=ids, skipped=skipped, notes=notes,
                            sources={sid: analyses[sid].cells for sid in ids})


def _document_frequency(analyses):
    """{fingerprint: how many submissions have it}."""
    df = {}
    for analysis in analyses:
        for h in analysis.fingerprints:
            df[h] = df.get(h, 0) + 1
    return df


def _score_pairs(ids, analyses, df, threshold, min_evidence):
    n = len(ids)
    if n < 2:
        return []
    columns, weights = {}, []
    rows, cols = [], []
    for r, sid in enumerate(ids):
        for h in analyses[sid].fingerprints:
            w = df_weight(df[h], n)
            if w <= 0:
                continue
            c = columns.get(h)
            if c is None:
                c = columns[h] = len(weights)
                weights.append(w)
            rows.append(r)
            cols.append(c)
    if not weights:
        return [PairResult(ids[i], ids[j], 0.0, False, 0.0) for i in range(n) for j in range(i + 1, n)]
    X = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(weights)))
    w = np.asarray(weights)
    shared = (X.multiply(w[None, :]).tocsr() @ X.T).toarray()
    own = X @ w
    pairs = []
    for i in range(n):
        for j in range(i + 1, n):
            denominator = max(min(own[i], own[j]), min_evidence)
            score = float(min(1.0, shared[i, j] / denominator))
            pairs.append(PairResult(ids[i], ids[j], round(score, 4), score >= threshold, float(shared[i, j])))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def _matched_parts(left, right, df, n, k):
    """The units of `left` and `right` that share fingerprints, with the lines that carry them."""
    by_units = {}
    for h in left.fingerprints.keys() & right.fingerprints.keys():
        w = df_weight(df.get(h, n), n)
        if w <= 0:
            continue
        share = w / (len(left.fingerprints[h]) * len(right.fingerprints[h]))
        for ul, sl in left.fingerprints[h]:
            for ur, sr in right.fingerprints[h]:
                entry = by_units.setdefault((ul, ur), [0.0, set(), set()])
                entry[0] += share
                entry[1].update(left.units[ul].lines[sl:sl + k])
                entry[2].update(right.units[ur].lines[sr:sr + k])
    total = sum(e[0] for e in by_units.values()) or 1.0
    parts = []
    for (ul, ur), (weight, lines_l, lines_r) in by_units.items():
        if weight / total < 0.02:
            continue
        a, b = left.units[ul], right.units[ur]
        parts.append(MatchedPart(a.span, b.span, a.label, b.label, sorted(lines_l), sorted(lines_r),
                                 round(weight / total, 4)))
    parts.sort(key=lambda p: (-p.weight, p.left.cell, p.left.first))
    return parts


# ---------------------------------------------------------------------------------------- output


def write_csv(report, path):
    """One row per pair compared, most similar first: a, b, score, flagged, matching parts (through
    the kit's one CSV writer, which neutralises what a spreadsheet would run)."""
    from .csvfile import write_csv as write_rows

    rows = []
    for p in report.pairs:
        parts = "; ".join(f"{m.left_label} (cell {m.left.cell}, lines {_lines(m.left_lines)}) ~ "
                          f"{m.right_label} (cell {m.right.cell}, lines {_lines(m.right_lines)})"
                          for m in p.parts)
        rows.append([p.a, p.b, f"{p.score:.3f}", "yes" if p.flagged else "no", parts])
    rows += [[sid, "", "", "skipped", reason] for sid, reason in sorted(report.skipped.items())]
    write_rows(path, ["submission_a", "submission_b", "score", "flagged", "matching_parts"], rows)


def _lines(numbers):
    return f"{min(numbers)}-{max(numbers)}" if numbers else "-"


def _side(report, sid, span, marked):
    """Lines of a matched unit for display: [(line number, text, marked)]."""
    cells = report.sources.get(sid, [])
    if not 1 <= span.cell <= len(cells):
        return []
    lines = cells[span.cell - 1].split("\n")
    marked = set(marked)
    return [(n, lines[n - 1][:300], n in marked) for n in range(span.first, min(span.last, len(lines)) + 1)][:200]


def render_html(report, max_pairs=50, names=None):
    """A self-contained HTML section (its own styles; every piece of student text escaped): the
    flagged pairs with their matching parts side by side, then the closest unflagged pairs.
    names: {submission id: how to name the student} (e.g. `Zoé Lefèvre (21004)`); default the id."""
    flagged = report.flagged[:max_pairs]
    views = []
    for pair in flagged:
        views.append({"pair": pair, "parts": [
            {"part": part, "left": _side(report, pair.a, part.left, part.left_lines),
             "right": _side(report, pair.b, part.right, part.right_lines)} for part in pair.parts[:8]]})
    closest = [p for p in report.pairs if not p.flagged][:10]
    from .pages import ENV

    return ENV.get_template("similarity.html.j2").render(
        report=report, views=views, closest=closest, hidden=max(0, len(report.flagged) - len(flagged)),
        who=lambda sid: (names or {}).get(sid, sid))

