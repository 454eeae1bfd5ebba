"""The manual as a forge renders it: every relative link of README.md and docs/*.md leads somewhere (the
file exists, inside the kit; a `#anchor` names a heading of the target under GitHub's slug rules), and
the README stays a front door."""
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 150

_markdown = MarkdownIt("commonmark").enable("table")


def _inline_text(token):
    """What a heading's inline token renders as text (code spans included, markup dropped)."""
    return "".join(child.content for child in token.children or () if child.type in ("text", "code_inline"))


def github_slug(text):
    """The anchor GitHub gives a heading: lowercase, punctuation removed (hyphens and underscores kept),
    each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path):
    """The anchors of a Markdown file's headings; a repeated slug gets -1, -2, ... as on GitHub."""
    tokens = _markdown.parse(path.read_text(encoding="utf-8"))
    seen = {}
    found = set()
    for opening, inline in zip(tokens, tokens[1:]):
        if opening.type == "heading_open":
            slug = github_slug(_inline_text(inline))
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return found


def links(path):
    """The link and image targets of a Markdown file (code blocks and code spans hold none)."""
    for token in _markdown.parse(path.read_text(encoding="utf-8")):
        for child in token.children or ():
            if child.type == "link_open":
                yield child.attrs["href"]
            elif child.type == "image":
                yield child.attrs["src"]


def relative_links(path):
    return [href for href in links(path) if not urlsplit(href).scheme and not href.startswith("//")]


def broken_links(path, root=ROOT):
    """[(href, what is wrong)] for the relative links of `path` that lead nowhere."""
    problems = []
    for href in relative_links(path):
        target, _, anchor = href.partition("#")
        resolved = (path.parent / unquote(target)).resolve() if target else path
        if not resolved.is_relative_to(root):
            problems.append((href, "leads out of the kit"))
        elif not resolved.exists():
            problems.append((href, f"no such file: {resolved.relative_to(root)}"))
        elif anchor and resolved.suffix == ".md":
            if unquote(anchor) not in anchors(resolved):
                problems.append((href, f"no heading of {resolved.relative_to(root)} has the anchor #{anchor}"))
        elif anchor:  # a forge's line anchors, #L12 or #L12-L20, on a line the file has
            lines = re.fullmatch(r"L(\d+)(?:-L(\d+))?", anchor)
            if not lines or resolved.is_dir() or int(lines[lines.lastindex]) > len(resolved.read_bytes().splitlines()):
                problems.append((href, f"no line #{anchor} in {resolved.relative_to(root)}"))
    return problems


@pytest.mark.parametrize("heading,slug", [
    ("The walls, by machine", "the-walls-by-machine"),
    ("Speed of the student's loop", "speed-of-the-students-loop"),
    ("Getting started (students)", "getting-started-students"),
    ("Sending grades back: python -m autograder export", "sending-grades-back-python--m-autograder-export"),
    ("1. Edit the source", "1-edit-the-source"),
    ("TP1-ab kit — Introduction", "tp1-ab-kit--introduction"),
])
def test_headings_get_githubs_anchors(heading, slug):
    assert github_slug(heading) == slug


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_a_broken_link_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## The walls, by machine\n\n## Twice\n\n## Twice\n")
    (tmp_path / "code.py").write_text("one = 1\ntwo = 2\n")
    page = tmp_path / "docs" / "b.md"
    page.write_text("# B\n\n## Own heading\n\n"
                    "[fine](a.md#the-walls-by-machine) [fine](a.md#twice-1) [fine](../code.py) [fine](../code.py#L2) "
                    "[fine](#own-heading) [web](https://example.org/x.md#nothing) `[in code](nowhere.md)`\n\n"
                    "[missing](c.md) [bad anchor](a.md#the-walls) [no such line](../code.py#L3) [own](#nothing) "
                    "[outside](../../x.md) [third](a.md#twice-2)\n\n```\n[in a block](nowhere.md)\n```\n")
    assert [href for href, _ in broken_links(page, root=tmp_path)] == [
        "c.md", "a.md#the-walls", "../code.py#L3", "#nothing", "../../x.md", "a.md#twice-2"]


def test_the_readme_is_a_front_door():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines: move the detail into docs/"
    linked = {(README.parent / href.partition("#")[0]).resolve() for href in relative_links(README)}
    unlinked = [p.name for p in PAGES[1:] if p.resolve() not in linked]
    assert unlinked == [], f"pages of docs/ the README does not lead to: {unlinked}"


def test_each_concept_of_the_map_has_a_home_that_exists_and_defines_it():
    """docs/development.md's "One home per concept": the module named on each row exists and defines the
    names the row gives it (a rename that leaves the map behind fails here)."""
    text = (ROOT / "docs" / "development.md").read_text()
    table = text.split("### One home per concept", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| concept")]
    assert len(rows) >= 15
    for row in rows:
        home = row.split(" | ", 1)[1]
        tokens = re.findall(r"`([^`]+)`", home)
        paths = [t for t in tokens if "/" in t]
        assert paths, f"no home on the row {row!r}"
        module = ROOT / paths[0]
        assert module.is_file(), f"{paths[0]} does not exist"
        source = module.read_text()
        for name in (t for t in tokens if re.fullmatch(r"[A-Za-z_]\w*", t)):
            assert re.search(rf"^(def |class )?{name}\b", source, re.M), f"{paths[0]} defines no {name}"
