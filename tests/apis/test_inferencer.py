"""Top-k of CLS / DIST / AVG on image files with known logits, and how files are read."""
import json
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from deitlt_mm.apis import DeiTLTInferencer, init_model, student_model_cfg
from deitlt_mm.apis.inferencer import in_memory_image_mode
from tests._tiny_vit import CLASSES, config_text, write_tiny_vit
from tests._tools import load_tool

CLS_BIAS = [2.0, 1.0, 0.0, -1.0]
DIST_BIAS = [0.0, 0.0, 3.0, 0.0]


def _fixed_logits(model):
    """Zero head weights: the logits are the biases whatever the image."""
    for layer, bias in ((model.head.head, CLS_BIAS), (model.head.head_dist, DIST_BIAS)):
        layer.weight.zero_()
        layer.bias.copy_(torch.tensor(bias))


def _softmax(logits):
    exps = [math.exp(v) for v in logits]
    return [e / sum(exps) for e in exps]


def _images(folder, count=2):
    folder.mkdir()
    for index in range(count):
        Image.new('RGB', (8, 8), (40 * index, 90, 160)).save(folder / f'{index}.png')
    return folder


def test_student_without_teacher_keeps_its_checkpoint_keys(tmp_path):
    config, checkpoint = write_tiny_vit(tmp_path)
    cfg = Config.fromfile(config)
    model_cfg = student_model_cfg(cfg)
    assert model_cfg['type'] == 'ImageClassifier'
    assert not {'teacher', 'teacher_checkpoint'} & set(model_cfg)
    model = init_model(config, checkpoint)  # the teacher file does not exist: never read
    assert not model.training
    assert model._dataset_meta['classes'] == list(CLASSES)
    assert model._checkpoint_meta['train_class_counts'] == [8, 4, 2, 1]
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    assert set(model.state_dict()) == set(state)


def test_inferencer_returns_topk_of_every_token(tmp_path):
    config, checkpoint = write_tiny_vit(tmp_path, edit=_fixed_logits)
    inferencer = DeiTLTInferencer(config, checkpoint)
    results = inferencer(str(_images(tmp_path / 'images')), topk=2)
    assert len(results) == 2
    avg = _softmax([(c + d) / 2 for c, d in zip(CLS_BIAS, DIST_BIAS)])  # logits 1, .5, 1.5, -.5
    for result in results:
        assert list(result['predictions']) == ['cls', 'dist', 'avg']
        # mmpretrain's keys: the student's prediction, softmax of the averaged logits.
        assert (result['pred_label'], result['pred_class']) == (2, 'cat')
        assert result['pred_score'] == pytest.approx(avg[2], rel=1e-5)
        np.testing.assert_allclose(result['pred_scores'], avg, rtol=1e-5)
        cls = result['predictions']['cls']
        assert [(t['label'], t['class']) for t in cls['topk']] == [(0, 'ant'), (1, 'bee')]
        assert [t['score'] for t in cls['topk']] == pytest.approx(_softmax(CLS_BIAS)[:2],
                                                                 rel=1e-5)
        dist = result['predictions']['dist']
        assert dist['pred_class'] == 'cat'
        assert dist['pred_score'] == pytest.approx(_softmax(DIST_BIAS)[2], rel=1e-5)
        assert [t['class'] for t in result['predictions']['avg']['topk']] == ['cat', 'ant']


def test_infer_tool_prints_and_writes_predictions(tmp_path, capsys):
    config, checkpoint = write_tiny_vit(tmp_path, edit=_fixed_logits)
    images = _images(tmp_path / 'images')
    out = tmp_path / 'preds.json'
    load_tool('infer.py').main([config, checkpoint, str(images / '1.png'), '--topk', '2',
                                '--out', str(out)])
    printed = capsys.readouterr().out
    cls = _softmax(CLS_BIAS)
    top2 = f'ant ({cls[0] * 100:.1f} %), bee ({cls[1] * 100:.1f} %)'
    assert f'{images / "1.png"}\n      CLS: {top2}' in printed
    assert '\n     DIST: cat (87.0 %), ' in printed  # e^3 / (e^3 + 3)
    assert '      AVG: cat' in printed
    written = json.loads(out.read_text())
    assert written[0]['pred_class'] == 'cat' and written[0]['image'] == str(images / '1.png')


def test_baseline_prints_its_one_prediction(tmp_path, capsys):
    config, checkpoint = write_tiny_vit(tmp_path, student=False)
    load_tool('infer.py').main([config, checkpoint, str(_images(tmp_path / 'images', 1)),
                                '--topk', '1'])
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].endswith('0.png') and lines[-1].startswith('     PRED: ')


def test_files_are_read_like_the_test_set_items(tmp_path):
    Image.new('RGB', (8, 8), (10, 20, 30)).save(tmp_path / 'pixel.png')
    path = str(tmp_path / 'pixel.png')

    def loaded(dataset, pipeline):
        cfg = Config.fromstring(config_text(), '.py')
        cfg.test_dataloader.dataset = dict(type=dataset, pipeline=pipeline)
        inferencer = DeiTLTInferencer.__new__(DeiTLTInferencer)
        inferencer.pipeline = inferencer._init_pipeline(cfg)
        return inferencer.load_image(path)['img']

    assert loaded('RandomImageDataset', [])[0, 0].tolist() == [10, 20, 30]  # RGB
    assert loaded('CIFAR10LT', [])[0, 0].tolist() == [10, 20, 30]
    grey = loaded('FashionMNISTLT', [dict(type='GrayToRGB')])
    assert grey.ndim == 2 and grey[0, 0] == round(0.299 * 10 + 0.587 * 20 + 0.114 * 30)
    assert loaded('ImageNetLT', [dict(type='LoadImageWithCheck')])[0, 0].tolist() == [30, 20, 10]
    assert in_memory_image_mode(dict(type='LongTailSubset',
                                     dataset=dict(type='FashionMNISTLT'))) == 'grey'
    with pytest.raises(ValueError, match='cannot tell how to read'):
        loaded('ImageNetLT', [])
