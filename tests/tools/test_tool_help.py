"""Every new tool's --help says what it writes or prints; tools import the installed package."""
import re
from pathlib import Path

import pytest

from tests._tools import load_tool


@pytest.mark.parametrize('tool,promises', [
    ('analysis/attention_distance.py', ['attention_distance.json', 'attention_distance.png',
                                        'per layer', 'pixels']),
    ('analysis/feature_rank.py', ['feature_rank.json', 'feature_rank.png', 'effective rank',
                                  'centred']),
    ('analysis/summarize_runs.py', ['runs.md', 'runs.csv', 'runs_per_class.png', 'epoch',
                                    '--paper', 'configs/deitlt/metafile.yml']),
    ('infer.py', ['CLS, DIST and AVG', 'PRED', 'top-k']),
    ('publish_model.py', ['OUT-<sha256[:8]>.pth', 'without the optimizer state']),
    ('convert/to_timm.py', ['VisionTransformerDistilled', 'training resolution',
                            'timm.create_model']),
    ('train.py', ['--vis-backend', 'tensorboard', 'long_tail/<token>/head|mid|tail']),
])
def test_help_explains_the_output(tool, promises, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_tool(tool).parse_args(['--help'])
    assert exit_info.value.code == 0
    text = ' '.join(capsys.readouterr().out.split())
    for promise in promises:
        assert promise in text, promise


def test_tools_and_package_import_deitlt_mm_as_installed():
    # The package is installed (pip install -e .): no script puts the repository on
    # sys.path, so every tool imports the same deitlt_mm as a user's own code.
    repo = Path(__file__).resolve().parents[2]
    editing = [str(path.relative_to(repo)) for folder in ('tools', 'deitlt_mm')
               for path in sorted((repo / folder).rglob('*.py'))
               if re.search(r'sys\.path\.(insert|append)|sys\.path\s*=|sys\.path\s*\+=',
                            path.read_text())]
    assert editing == []


TOOLS = Path(__file__).resolve().parents[2] / 'tools'


@pytest.mark.parametrize('tool', sorted(str(path.relative_to(TOOLS))
                                        for path in TOOLS.rglob('*.py')))
def test_every_tool_imports(tool, monkeypatch):
    # A tool whose imports broke (a moved module) fails here, not at a user's first run.
    # Its own folder comes first on the path, as for `python tools/<tool>`.
    monkeypatch.syspath_prepend(str((TOOLS / tool).parent))
    load_tool(tool)
