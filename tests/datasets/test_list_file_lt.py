import numpy as np
import pytest
from mmengine.dataset import ClassBalancedDataset
from PIL import Image

from deitlt_mm.datasets import get_class_counts
from deitlt_mm.registry import DATASETS, TRANSFORMS

# original label -> training images; class 2 is the most frequent, 0 and 3 tie.
TRAIN_COUNTS = {0: 2, 1: 1, 2: 4, 3: 2}


def _make_tree(root):
    (root / 'imgs').mkdir()
    lines = []
    for label, count in TRAIN_COUNTS.items():
        for k in range(count):
            name = f'imgs/c{label}_{k}.jpg'
            Image.new('RGB', (8, 8), (label * 60, k * 30, 0)).save(root / name)
            lines.append(f'{name} {label}')
    (root / 'train.txt').write_text('\n'.join(lines) + '\n')
    (root / 'val.txt').write_text('imgs/c0_0.jpg 0\nimgs/c2_0.jpg 2\n\nimgs/c1_0.jpg 1\n')


def _build(root, ann_file='train.txt', **kwargs):
    return DATASETS.build(dict(type='ListFileLTDataset', data_root=str(root),
                               ann_file=ann_file, train_ann_file='train.txt', **kwargs))


def test_remap_by_frequency_and_shared_val_map(tmp_path):
    _make_tree(tmp_path)
    train = _build(tmp_path)
    # counts [2, 1, 4, 2] -> argsort(-counts) with numpy 1.24 ties = [2, 0, 3, 1]
    assert train.class_map == {2: 0, 0: 1, 3: 2, 1: 3}
    np.testing.assert_array_equal(get_class_counts(train), [4, 2, 2, 1])
    assert train.metainfo['classes'] == ('class_2', 'class_0', 'class_3', 'class_1')
    assert train.get_data_info(0)['img_path'].endswith('imgs/c0_0.jpg')
    assert train.get_data_info(0)['gt_label'] == 1

    val = _build(tmp_path, ann_file='val.txt')
    assert val.get_gt_labels().tolist() == [1, 0, 3]
    np.testing.assert_array_equal(get_class_counts(val), [1, 1, 0, 1])

    balanced = ClassBalancedDataset(train, oversample_thr=0.5)
    assert len(balanced) > len(train)


def test_class_map_save_and_load(tmp_path):
    _make_tree(tmp_path)
    train = _build(tmp_path)
    train.save_class_map(str(tmp_path / 'map.json'))
    # A different training list no longer matters once the map file is given.
    (tmp_path / 'train.txt').write_text('imgs/c1_0.jpg 1\n')
    val = _build(tmp_path, ann_file='val.txt', class_map_file='map.json')
    assert val.class_map == train.class_map
    assert val.get_gt_labels().tolist() == [1, 0, 3]


def test_image_pipeline_loads_and_names_corrupt_files(tmp_path):
    _make_tree(tmp_path)
    train = _build(tmp_path, pipeline=[dict(type='LoadImageWithCheck'),
                                       dict(type='PackInputs')])
    item = train[0]
    assert tuple(item['inputs'].shape) == (3, 8, 8)
    bad = tmp_path / 'imgs' / 'c1_0.jpg'
    bad.write_bytes(b'\xff\xd8 this is not a jpeg')
    load = TRANSFORMS.build(dict(type='LoadImageWithCheck'))
    with pytest.raises(ValueError, match=f'cannot decode image {bad}'):
        load(dict(img_path=str(bad)))


@pytest.mark.parametrize('line,match', [
    ('imgs/c0_0.jpg', r'train.txt, line 2: expected "relative/path.jpg label"'),
    ('imgs/c0_0.jpg 1 2', r'train.txt, line 2: expected'),
    ('imgs/c0_0.jpg one', r"train.txt, line 2: label 'one' is not an integer"),
    ('imgs/c0_0.jpg 9', r'train.txt, line 2: label 9 is outside \[0, 4\)'),
    ('imgs/nothere.jpg 1', r'train.txt, line 2: image .*nothere.jpg does not exist'),
])
def test_bad_training_lines(tmp_path, line, match):
    _make_tree(tmp_path)
    (tmp_path / 'train.txt').write_text(f'imgs/c0_0.jpg 0\n{line}\n')
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        _build(tmp_path, num_classes=4)


def test_val_label_missing_from_training_map(tmp_path):
    _make_tree(tmp_path)
    (tmp_path / 'val.txt').write_text('imgs/c0_0.jpg 0\nimgs/c0_1.jpg 7\n')
    with pytest.raises(ValueError, match=r'val.txt, line 2: label 7 is not in the training'):
        _build(tmp_path, ann_file='val.txt')


def test_presets_pick_list_names(tmp_path):
    _make_tree(tmp_path)
    (tmp_path / 'ImageNet_LT_train.txt').write_text((tmp_path / 'train.txt').read_text())
    (tmp_path / 'ImageNet_LT_test.txt').write_text('imgs/c2_1.jpg 2\n')
    test = DATASETS.build(dict(type='ImageNetLT', data_root=str(tmp_path), split='test'))
    assert test.get_gt_labels().tolist() == [0]
    assert len(test.metainfo['classes']) == 1000
    # Class 2 (most frequent) comes first, named after ImageNet class 2.
    assert test.metainfo['classes'][0].startswith('great white shark')
    with pytest.raises(FileNotFoundError, match='iNaturalist18_train.txt'):
        DATASETS.build(dict(type='INaturalist2018', data_root=str(tmp_path)))


def test_the_reference_spelling_builds_the_paper_config(tmp_path):
    """Imagenet_LT_{train,test}.txt as the DeiT-LT repository ships them."""
    from deitlt_mm.datasets.class_map_file import dataset_class_map_path, save_dataset_class_map
    from tests._data_roots import imagenet_lt_config, write_imagenet_lt_root
    write_imagenet_lt_root(tmp_path, 'Imagenet_LT')
    cfg = imagenet_lt_config(tmp_path)
    save_dataset_class_map(cfg.train_dataloader.dataset,
                           dataset_class_map_path(cfg.train_dataloader.dataset))
    train = DATASETS.build(cfg.train_dataloader.dataset)
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert train.ann_file == str(tmp_path / 'Imagenet_LT_train.txt')
    np.testing.assert_array_equal(get_class_counts(train)[:3], [3, 2, 1])
    assert test.ann_file == str(tmp_path / 'Imagenet_LT_test.txt')
    assert test.get_gt_labels().tolist() == [0, 1, 2]
    assert tuple(test[0]['inputs'].shape) == (3, 224, 224)


def test_a_missing_list_names_both_spellings_and_the_sources(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        DATASETS.build(dict(type='ImageNetLT', data_root=str(tmp_path), split='test'))
    # The training list is read first (the class map comes from it).
    assert str(error.value) == (
        f'ImageNetLT: list file {tmp_path}/ImageNet_LT_train.txt not found (looked for '
        "ImageNet_LT_train.txt and Imagenet_LT_train.txt). The lists come from the DeiT-LT "
        "repository's data_txt/ (Imagenet_LT_train.txt, Imagenet_LT_test.txt) or OLTR's "
        'ImageNet_LT_open release (ImageNet_LT_{train,val,test}.txt), the images from '
        'ILSVRC-2012 (image-net.org: train/, and val/ sorted into class folders); put them in '
        'data_root as docs/data.md shows.')
    with pytest.raises(FileNotFoundError, match=r'list file .*iNaturalist18_train.txt not found\. '
                       r"The lists come from the DeiT-LT repository's data_txt/ "
                       r'\(iNaturalist18_train.txt, iNaturalist18_val.txt\), the images from '
                       r'the iNaturalist 2018 competition \(github.com/visipedia/inat_comp: '
                       r'train_val2018/\)'):
        DATASETS.build(dict(type='INaturalist2018', data_root=str(tmp_path), split='val'))
