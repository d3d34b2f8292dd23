"""The data check: each kind of defect gives its error finding, a clean root none."""
import pickle
import re

import pytest

from deitlt_mm.datasets.data_check import KNOWN_SIZES, KnownSize, check_data, format_reports
from deitlt_mm.datasets.long_tail import long_tail_class_counts
from tests._data_roots import (
    TINY_SIZES,
    defect_findings,
    imagenet_lt_config,
    write_imagenet_lt_root,
)
from tests._stub_data import write_cifar


@pytest.mark.parametrize('spelling', ['Imagenet_LT', 'ImageNet_LT'])
def test_clean_root_has_no_errors(tmp_path, spelling):
    write_imagenet_lt_root(tmp_path, spelling)
    reports = check_data(imagenet_lt_config(tmp_path), TINY_SIZES, progress=False)
    # val and test loaders share one dataset config, so one report.
    assert [report.loaders for report in reports] == [
        ['train_dataloader'], ['val_dataloader', 'test_dataloader']]
    assert [f.level for report in reports for f in report.findings] == ['ok'] * 6
    assert reports[0].findings[0].message == (
        f'{tmp_path}/{spelling}_train.txt: 6 images of 3 classes, as published for '
        'ImageNetLT train.')
    assert reports[1].findings[2].message == f'3 sampled images of {tmp_path}/{spelling}' \
        '_test.txt decode.'


@pytest.mark.parametrize('kind,expected', [
    ('list-missing', r'ImageNetLT: list file {root}/ImageNet_LT_test.txt not found \(looked for '
     r'ImageNet_LT_test.txt and Imagenet_LT_test.txt\)\. The lists come from .*data_txt/'),
    ('labels', r'{root}/Imagenet_LT_test.txt: 1 labels outside \[0, 1000\) \(num_classes '
     r'1000\), the first at line 3 \(label 1000\);'),
    ('count', r'{root}/Imagenet_LT_train.txt: 5 images, but ImageNetLT train has 6;'),
    ('classes', r'{root}/Imagenet_LT_train.txt: 2 classes, but ImageNetLT has 3;'),
    ('images-missing', r'1 of 6 images listed in {root}/Imagenet_LT_train.txt are missing, '
     r'e.g. {root}/train/n00000001/n00000001_1.JPEG \(line 5\);'),
    ('image-undecodable', r'1 of 3 sampled images of {root}/Imagenet_LT_test.txt cannot be '
     r'decoded, e.g. cannot decode image {root}/val/n00000000/n00000000_0.JPEG'),
])
def test_each_defect_is_an_error(tmp_path, kind, expected):
    errors = defect_findings(tmp_path, kind)
    assert kind in {f.kind for f in errors}
    message = next(f.message for f in errors if f.kind == kind)
    assert re.match(expected.format(root=tmp_path), message), message
    assert '\n' not in message


def test_published_sizes_are_compared(tmp_path):
    write_imagenet_lt_root(tmp_path)
    reports = check_data(imagenet_lt_config(tmp_path), decode_sample=0, progress=False)
    assert [f.message for f in reports[0].errors] == [
        f'{tmp_path}/Imagenet_LT_train.txt: 6 images, but ImageNetLT train has 115846; the '
        'data is incomplete or of another split or version.',
        f'{tmp_path}/Imagenet_LT_train.txt: 3 classes, but ImageNetLT has 1000; the data is '
        'incomplete or of another dataset.']


def test_cifar_lt_sizes_follow_the_long_tail_rule():
    for name, per_class, classes in (('CIFAR10LT', 5000, 10), ('CIFAR100LT', 500, 100)):
        known = KNOWN_SIZES[name]
        assert known.num_classes == classes
        for factor in (100, 50):
            assert known.images[f'train exp IF{factor}'] == sum(
                long_tail_class_counts(per_class, classes, 'exp', 1 / factor))
    assert KNOWN_SIZES['CIFAR10LT'].images['train exp IF100'] == 12406
    assert KNOWN_SIZES['CIFAR100LT'].images['train exp IF100'] == 10847


def _cifar_config(root, **dataset):
    return dict(
        train_dataloader=dict(dataset=dict(type='CIFAR10LT', data_root=str(root), **dataset)),
        test_dataloader=dict(dataset=dict(type='CIFAR10LT', data_root=str(root), split='test',
                                          **dataset)))


def test_cifar_md5_mismatch_and_the_opt_out(tmp_path):
    write_cifar(tmp_path, 10, per_class=10)
    reports = check_data(_cifar_config(tmp_path), progress=False)
    errors = reports[0].errors
    assert [f.kind for f in errors] == ['cifar-md5'] * 6  # 5 training batches, the test batch
    assert errors[0].message.startswith(f'CIFAR10LT: {tmp_path}/cifar-10-batches-py/'
                                        'data_batch_1 has md5 ')
    assert 'expected c99cafc152244af753f735de768cd75f' in errors[0].message

    sizes = {'CIFAR10LT': KnownSize(10, {'train exp IF100': 19, 'test': 100})}
    reports = check_data(_cifar_config(tmp_path, verify_md5=False), sizes, progress=False)
    # IF100 of 10 per class keeps int(10 * 0.01 ** (i / 9)) images: 10, 5, 3, 2, 1, 0...
    assert [(f.level, f.kind) for f in reports[0].findings] == [
        ('warning', 'cifar-md5'), ('error', 'count'), ('error', 'classes')]
    assert reports[0].findings[1].message == (
        f'{tmp_path}/cifar-10-batches-py: 21 images, but CIFAR10LT train exp IF100 has 19; the '
        'data is incomplete or of another split or version.')
    assert [f.level for f in reports[1].findings] == ['warning', 'ok']


def test_cifar_missing_files_are_an_error_only_without_download(tmp_path):
    reports = check_data(_cifar_config(tmp_path), progress=False)
    assert [f.level for f in reports[0].findings] == ['warning']
    assert reports[0].findings[0].message.endswith(
        'The run downloads cifar-10-python.tar.gz (download=True).')
    reports = check_data(_cifar_config(tmp_path, download=False), progress=False)
    assert [f.kind for f in reports[0].errors] == ['dataset-missing']
    assert not (tmp_path / 'cifar-10-python.tar.gz').exists()  # nothing downloaded


def test_report_fits_one_screen(tmp_path):
    write_imagenet_lt_root(tmp_path)
    (tmp_path / 'Imagenet_LT_train.txt').write_text(''.join(
        f'train/n00000000/missing_{i}.JPEG 0\n' for i in range(1000)))
    reports = check_data(imagenet_lt_config(tmp_path), TINY_SIZES, progress=False)
    text = format_reports(reports, 'paper.py')
    assert len(text.splitlines()) <= 12
    assert text.splitlines()[-1] == '3 error(s): fix them before training.'
    assert '1000 of 1000 images listed' in text


def test_pickles_of_another_format_are_an_error(tmp_path):
    write_cifar(tmp_path, 10, per_class=10)
    for i in range(1, 6):
        with open(tmp_path / 'cifar-10-batches-py' / f'data_batch_{i}', 'wb') as f:
            pickle.dump({'data': b''}, f)
    reports = check_data(_cifar_config(tmp_path, verify_md5=False), progress=False)
    assert [f.kind for f in reports[0].errors] == ['cifar-format']
    assert reports[0].errors[0].message.startswith(
        f'{tmp_path}/cifar-10-batches-py/data_batch_1: expected a CIFAR pickle')
    # The test split reads only the test batch.
    assert [f.kind for f in reports[1].findings] == ['cifar-md5', 'count']
