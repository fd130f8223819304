"""Loading generated module text as a live module.

The text is registered in `linecache` under a file name of its own, so
tracebacks and pdb show the generated lines; modules are kept by the API's
cache, not in sys.modules.
"""

import linecache
import types

_count = [0]


def load(text, name):
    """Compile and run module `text`; the module's file name is `<s2sgrad:name#k>`."""
    _count[0] += 1
    filename = f"<s2sgrad:{name}#{_count[0]}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    module = types.ModuleType(f"s2sgrad_generated.{name}")
    module.__file__ = filename
    code = compile(text, filename, "exec")
    exec(code, module.__dict__)
    return module
