"""The documentation that ships with s2sgrad: `s2sgrad help [TOPIC]`.

The pages are the project's docs/*.md. A wheel carries them inside the package
(`s2sgrad/_docs/`, mapped from docs/ by pyproject.toml); a source checkout or an
editable install reads docs/ beside the package. Error hints name a page as
`s2sgrad help limitations`, which works wherever s2sgrad is installed.
"""

import os

from .errors import InvalidArgumentError

_HERE = os.path.dirname(os.path.abspath(__file__))
_PLACES = (os.path.join(_HERE, "_docs"), os.path.join(os.path.dirname(_HERE), "docs"))

# (topic, what it holds), in the order `s2sgrad help` lists them
ABOUT = {
    "contract": "the API and the command line, what each call returns, the rules of dtypes",
    "limitations": "what s2sgrad refuses, with the message, and what to write instead",
    "ops": "every NumPy function and operator s2sgrad differentiates",
    "architecture": "how s2sgrad works: frontend, IR, passes, code generation, call path",
    "performance": "the benchmark table and how to reproduce it",
    "xp": "array-API code (--xp, xp=True): NumPy, array_api_strict, CuPy, Dask",
    "html": "s2sgrad emit --html: the source beside the generated module",
}


def folder():
    """The folder holding the pages, or None when this install has none."""
    for place in _PLACES:
        if os.path.isfile(os.path.join(place, "limitations.md")):
            return place
    return None


def topics():
    """The page names, the known ones first."""
    place = folder()
    found = sorted(n[:-3] for n in os.listdir(place) if n.endswith(".md")) if place else []
    return [t for t in ABOUT if t in found] + [t for t in found if t not in ABOUT]


def index():
    """What `s2sgrad help` prints: the topics, each with what it holds."""
    names = topics()
    if not names:
        return "s2sgrad: this installation has no documentation pages\n"
    width = max(map(len, names))
    lines = ["s2sgrad help TOPIC prints a page of the documentation:", ""]
    lines += [f"  {t:{width}}  {ABOUT.get(t, '')}".rstrip() for t in names]
    return "\n".join(lines) + "\n"


def page(topic):
    """The text of one page (`topic` as `s2sgrad help` lists it, `.md` optional)."""
    name = topic[:-3] if topic.endswith(".md") else topic
    if name not in topics():
        raise InvalidArgumentError(
            f"no documentation page {topic!r}", hint="the pages: " + ", ".join(topics())
        )
    with open(os.path.join(folder(), name + ".md"), encoding="utf-8") as f:
        return f.read()
