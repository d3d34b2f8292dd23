"""Load a script under tools/ as a module, to call its ``main(argv)`` in the test process."""
import importlib.util
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / 'tools'


def load_tool(relative_path: str):
    """``tools/<relative_path>`` as a fresh module; it imports ``deitlt_mm`` as the
    installed package (or the checkout first on ``PYTHONPATH``), as when it runs as a
    script."""
    path = TOOLS / relative_path
    name = 'tool_' + relative_path.replace('/', '_').removesuffix('.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
