"""configs/deitlt/metafile.yml lists every DeiT-LT config with the paper's numbers and the
published files."""
from pathlib import Path
from urllib.parse import unquote

import yaml

REPO = Path(__file__).resolve().parents[2]
# The reference README's Results table (github.com/val-iisc/DeiT-LT): overall / head / mid /
# tail (average of CLS and DIST).
PAPER = {
    'deitlt_b_cifar10_if100': (87.5, 94.5, 84.1, 85.0),
    'deitlt_b_cifar10_if50': (89.8, 94.9, 87.0, 88.6),
    'deitlt_b_cifar100_if100': (55.6, 72.8, 55.4, 31.4),
    'deitlt_b_cifar100_if50': (60.5, 74.8, 60.3, 43.1),
    'deitlt_b_imagenetlt': (59.1, 66.6, 58.3, 40.0),
    'deitlt_b_inat18': (75.1, 70.3, 75.2, 76.2),
}
# The published files, as named in the reference README's links: (student, teacher).
STUDENT = 'deit_base_distilled_patch16_224_'
PUBLISHED = {
    'deitlt_b_cifar10_if100': (
        STUDENT + 'resnet32_1200_CIFAR10LT_imb100_128_[paco_sam_teacher]_best_checkpoint.pth',
        'paco_sam_ckpt_cf10_if100.pth.tar'),
    'deitlt_b_cifar10_if50': (
        STUDENT + 'resnet32_1200_CIFAR10LT_imb50_256_[IF50_paco_sam]_best_checkpoint.pth',
        'paco_sam_ckpt_cf10_if50.pth.tar'),
    'deitlt_b_cifar100_if100': (
        STUDENT + 'resnet32_1200_CIFAR100LT_imb100_128_[paco_sam_teacher]_best_checkpoint.pth',
        'cifar100_paco_sam_if100.pth.tar'),
    'deitlt_b_cifar100_if50': (
        STUDENT + 'resnet32_1200_CIFAR100LT_imb50_128_[IF50_paco_sam_teacher_cf100]'
        '_best_checkpoint.pth', 'cifar100_paco_sam_if50.pth.tar'),
    'deitlt_b_imagenetlt': (
        STUDENT + 'resnet50_1400_IMAGENETLT_128_[new_paco_sam_teacher_flashv2]'
        '_best_checkpoint.pth', 'imagenetlt_paco_sam.pth.tar'),
    'deitlt_b_inat18': (
        STUDENT + 'resnet50_1000_INAT18_128_[paco_sam_teacher_long_schedule]'
        '_best_checkpoint.pth', 'inat_paco_sam.pth.tar'),
}
WANDB = 'https://api.wandb.ai/artifactsV2/default/pradipto611/'
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
        if name in PAPER:  # the reference's published student and teacher
            student, teacher = PUBLISHED[name]
            assert model['Weights'] == model['Converted From']['Weights'], name
            assert unquote(model['Weights']).startswith(WANDB), name
            assert unquote(model['Weights']).endswith('/' + student), name
            assert unquote(model['Converted From']['Teacher Weights']).endswith('/' + teacher)
            assert model['Converted From']['Code'] == 'https://github.com/val-iisc/DeiT-LT'
        else:
            assert model['Weights'] is None, name  # baselines: nothing published
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
        # The links: the published student and teacher of the metafile.
        converted = models[name]['Converted From']
        assert cells[-1] == (f"[student]({models[name]['Weights']}), "
                             f"[teacher]({converted['Teacher Weights']})"), name
