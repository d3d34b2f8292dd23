"""configs/deitlt/metafile.yml lists every DeiT-LT config with REFERENCE.md's numbers."""
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# REFERENCE.md "Paper settings": overall / head / mid / tail (average of CLS and DIST).
PAPER = {
    'deitlt_b_cifar10_if100': (87.5, 94.5, 84.1, 85.0),
    'deitlt_b_cifar10_if50': (89.8, 94.9, 87.0, 88.6),
    'deitlt_b_cifar100_if100': (55.6, 72.8, 55.4, 31.4),
    'deitlt_b_cifar100_if50': (60.5, 74.8, 60.3, 43.1),
    'deitlt_b_imagenetlt': (59.1, 66.6, 58.3, 40.0),
    'deitlt_b_inat18': (75.1, 70.3, 75.2, 76.2),
}
METRICS = ('Top 1 Accuracy', 'Head Top 1 Accuracy', 'Mid Top 1 Accuracy',
           'Tail Top 1 Accuracy')


def test_metafile_lists_every_config_with_the_paper_numbers():
    index = yaml.safe_load((REPO / 'configs' / 'deitlt' / 'metafile.yml').read_text())
    collections = {c['Name'] for c in index['Collections']}
    models = {m['Name']: m for m in index['Models']}
    assert len(models) == len(index['Models'])
    listed = set()
    for name, model in models.items():
        assert model['In Collection'] in collections, name
        assert (REPO / model['Config']).is_file(), model['Config']
        assert Path(model['Config']).stem == name
        assert model['Weights'] is None, name  # no checkpoints trained here
        listed.add(model['Config'])
    configs = {str(p.relative_to(REPO)) for p in (REPO / 'configs' / 'deitlt').rglob('*.py')}
    assert listed == configs
    for name, figures in PAPER.items():
        assert models[name]['Metadata']['Results Source'] == 'paper'
        (result, ) = models[name]['Results']
        assert tuple(result['Metrics'][m] for m in METRICS) == figures, name
    for name in set(models) - set(PAPER):
        assert models[name]['Results'] == [], name


def test_readme_paper_table_shows_the_metafile_numbers():
    """README's paper-settings table restates metafile.yml, the numbers' one source."""
    index = yaml.safe_load((REPO / 'configs' / 'deitlt' / 'metafile.yml').read_text())
    models = {m['Name']: m for m in index['Models']}
    rows = {}
    for line in (REPO / 'README.md').read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if cells and cells[0].startswith('`deitlt_b_') and cells[0].endswith('.py`'):
            rows[cells[0][1:-len('.py`')]] = cells
    assert set(rows) == set(PAPER)
    for name, cells in rows.items():
        metadata, (result, ) = models[name]['Metadata'], models[name]['Results']
        assert cells[2] == f"{metadata['Epochs']} / {metadata['DRW Epoch']}", name
        assert cells[-2] == ' / '.join(str(result['Metrics'][m]) for m in METRICS), name
