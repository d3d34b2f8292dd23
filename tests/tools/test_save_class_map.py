"""tools/data/save_class_map.py writes the map the datasets and the teacher share."""
import sys
from pathlib import Path

import pytest

from deitlt_mm.datasets.class_map import build_class_map, load_class_map

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools' / 'data'))
import save_class_map as tool  # noqa: E402

sys.path.pop(0)

CONFIG = str(REPO / 'configs' / 'deitlt' / 'deitlt_b_imagenetlt.py')


def write_lists(root, counts):
    """ImageNet-LT list files (no images: the tool reads the lists only)."""
    lines = [f'train/{label}_{k}.jpg {label}' for label, count in enumerate(counts)
             for k in range(count)]
    for split in ('train', 'val', 'test'):
        (root / f'ImageNet_LT_{split}.txt').write_text('\n'.join(lines) + '\n')


def options(root):
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    return ['--cfg-options', *(f'{loader}.dataset.data_root={root}' for loader in loaders),
            f'model.teacher_class_map_file={root}/class_map.json']


def test_writes_the_training_map_once_and_keeps_it(tmp_path, capsys):
    counts = [3, 7, 7] + [1] * 997  # ties among the 1000 classes, most with one image
    write_lists(tmp_path, counts)
    tool.main([CONFIG, *options(tmp_path)])
    class_map, saved_counts = load_class_map(tmp_path / 'class_map.json')
    assert class_map == build_class_map(counts)
    assert (class_map[1], class_map[2], class_map[0]) == (0, 1, 2)
    assert saved_counts.tolist() == counts
    assert f'class map written to {tmp_path}/class_map.json' in capsys.readouterr().out

    tool.main([CONFIG, *options(tmp_path)])  # same lists: nothing to do
    assert 'already holds this class map' in capsys.readouterr().out
    write_lists(tmp_path, [9] + counts[1:])  # class 0 becomes the most frequent
    with pytest.raises(FileExistsError, match='holds another class map'):
        tool.main([CONFIG, *options(tmp_path)])
    assert load_class_map(tmp_path / 'class_map.json')[0] == class_map


def test_refuses_a_config_whose_teacher_uses_another_map(tmp_path):
    write_lists(tmp_path, [2] * 1000)
    with pytest.raises(ValueError, match='both must be the same file'):
        tool.main([CONFIG, *options(tmp_path)[:-1]])  # teacher map left at data/imagenet_lt
    assert not (tmp_path / 'class_map.json').exists()
