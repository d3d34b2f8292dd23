"""Top-k predictions of a DeiT-LT student (CLS, DIST, their average) or a plain
classifier on image files, mmpretrain's ``ImageClassificationInferencer`` way."""
import copy
from typing import Callable, List, Optional, Union

import numpy as np
import torch
from mmcv.image import imread
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.apis import ImageClassificationInferencer
from mmpretrain.datasets import CIFAR10, MNIST
from mmpretrain.structures import DataSample

from ..datasets import FashionMNISTLT, RandomImageDataset
from ..errors import ConfigValueError
from ..evaluation.results import PLAIN, prediction_fields
from ..models.utils import load_model_checkpoint
from ..registry import SCOPE, TRANSFORMS
from .model import dataset_class, init_model

# What the items of in-memory datasets hold (their pipelines load nothing): image
# files are read into the same layout. Subclasses count (CIFAR10LT is a CIFAR10).
IN_MEMORY_IMAGE_MODES = ((CIFAR10, 'rgb'), (MNIST, 'grey'), (FashionMNISTLT, 'grey'),
                         (RandomImageDataset, 'rgb'))
# Display names of the predictions, in reading order (a DistillClassifier built by the
# caller, teacher included, also predicts `teacher`).
PREDICTION_LABELS = {'cls': 'CLS', 'dist': 'DIST', 'avg': 'AVG', 'teacher': 'TEACHER',
                     PLAIN: 'PRED'}


def in_memory_image_mode(dataset_cfg: dict) -> Optional[str]:
    """``'rgb'`` / ``'grey'`` for a dataset whose items are decoded arrays, None if unknown.

    A ``LongTailSubset`` is looked through to the dataset it wraps.
    """
    if isinstance(dataset_cfg, dict) and isinstance(dataset_cfg.get('dataset'), dict):
        dataset_cfg = dataset_cfg['dataset']
    cls = dataset_class(dataset_cfg)
    for base, mode in IN_MEMORY_IMAGE_MODES:
        if isinstance(cls, type) and issubclass(cls, base):
            return mode
    return None


class DeiTLTInferencer(ImageClassificationInferencer):
    """mmpretrain's image-classification inferencer for every prediction of the model.

    Builds the model with :func:`~deitlt_mm.apis.model.init_model` (deitlt_mm's scope,
    the student without its teacher, strict checkpoint loading) and the test pipeline
    of the config. Image files are read the way the test set's items look: through the
    pipeline's own ``LoadImageFromFile`` (-like) transform when it has one (ImageNet-LT,
    iNat: BGR), else into the layout of the in-memory dataset (CIFAR: RGB,
    Fashion-MNIST: grey, see :data:`IN_MEMORY_IMAGE_MODES`). Arrays are used as given.

    Args:
        model (str | Config | BaseModel): config file, config, or built model (with
            ``_config``, as :func:`init_model` returns).
        pretrained (str, optional): checkpoint, loaded strictly.
        device (str, optional): defaults to CPU.
        classes (Sequence[str], optional): class names; default: the checkpoint's
            ``dataset_meta``, else the test dataset's ``METAINFO``.
        cfg_options (dict, optional): config overrides (``--cfg-options``).

    Calling it with images returns one dict per image: mmpretrain's keys for the
    model's main prediction (``pred_scores`` [C], ``pred_label``, ``pred_score``,
    ``pred_class``; the CLS / DIST average for a student) and ``predictions``:
    ``{name: {'pred_label', 'pred_score', 'pred_class', 'topk': [{'label', 'score',
    'class'}, ...]}}`` for ``cls``, ``dist``, ``avg`` (a student) or ``pred`` (a
    plain classifier), ``topk`` (call argument, default 5) entries each.
    """

    postprocess_kwargs = {'topk'}

    def __init__(self,
                 model: Union[str, Config, BaseModel],
                 pretrained: Optional[str] = None,
                 device: Union[str, torch.device, None] = None,
                 classes=None,
                 cfg_options: Optional[dict] = None) -> None:
        device = device or 'cpu'
        if isinstance(model, BaseModel):
            if pretrained is not None:
                load_model_checkpoint(model, pretrained)
            model.to(device)
        else:
            model = init_model(model, pretrained, device=device, cfg_options=cfg_options)
        super().__init__(model=model, pretrained=False, device=None, classes=classes)

    def _init_pipeline(self, cfg: Config) -> Callable:
        dataset_cfg = cfg.test_dataloader.dataset
        transforms = copy.deepcopy(list(dataset_cfg.get('pipeline') or []))
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', SCOPE)):
            built = [TRANSFORMS.build(t) for t in transforms]
        self._file_loader = None
        if built and isinstance(built[0], LoadImageFromFile):
            self._file_loader, built = built[0], built[1:]
            self._image_mode = None
        else:
            self._image_mode = in_memory_image_mode(dataset_cfg)
        return Compose(built)

    def load_image(self, image: Union[str, np.ndarray]) -> dict:
        """Pipeline input of one image file (read like the test set's items) or array."""
        if isinstance(image, np.ndarray):
            return dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2])
        if self._file_loader is not None:
            return self._file_loader(dict(img_path=image))
        if self._image_mode is None:
            raise ConfigValueError(
                f'cannot tell how to read {image}: the test pipeline of the config loads no '
                'files and its dataset is none of the in-memory datasets '
                f'{[base.__name__ for base, _ in IN_MEMORY_IMAGE_MODES]}; pass decoded '
                'arrays laid out like its items instead.')
        img = imread(image, flag='grayscale' if self._image_mode == 'grey' else 'color',
                     channel_order='rgb')
        if img is None:
            raise ValueError(f'cannot read image {image}')
        return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])

    def preprocess(self, inputs: List[Union[str, np.ndarray]], batch_size: int = 1):
        pipeline = Compose([self.load_image, self.pipeline])
        yield from map(default_collate, self._get_chunk_data(map(pipeline, inputs), batch_size))

    def _prediction(self, scores: torch.Tensor, topk: int) -> dict:
        scores = scores.detach().float().cpu()
        values, labels = scores.topk(min(topk, scores.numel()))
        top = [dict(label=int(label), score=float(value), **self._name(int(label)))
               for value, label in zip(values, labels)]
        return dict(pred_scores=scores.numpy(), pred_label=top[0]['label'],
                    pred_score=top[0]['score'], **self._name(top[0]['label'], 'pred_class'),
                    topk=top)

    def _name(self, label: int, key: str = 'class') -> dict:
        return {key: self.classes[label]} if self.classes is not None else {}

    def postprocess(self, preds: List[DataSample], visualization: List[np.ndarray],
                    return_datasamples: bool = False, topk: int = 5) -> list:
        if return_datasamples:
            return preds
        if topk < 1:
            raise ValueError(f'topk must be >= 1, got {topk}')
        results = []
        for sample in preds:
            predictions = {name: self._prediction(sample.get(key), topk)
                           for name, key in prediction_fields(sample)}
            main = predictions['avg' if 'avg' in predictions else PLAIN]
            result = {key: main[key] for key in ('pred_scores', 'pred_label', 'pred_score',
                                                 'pred_class') if key in main}
            result['predictions'] = {
                name: {k: v for k, v in predictions[name].items() if k != 'pred_scores'}
                for name in PREDICTION_LABELS if name in predictions}
            results.append(result)
        return results


def format_predictions(path: str, result: dict) -> str:
    """The printout of one image: its path, then one line per prediction with the top-k
    ``class (score)`` entries (scores as percentages)."""
    lines = [path]
    for name, entry in result['predictions'].items():
        label = PREDICTION_LABELS[name]
        top = ', '.join(f'{item.get("class", item["label"])} ({item["score"] * 100:.1f} %)'
                        for item in entry['topk'])
        lines.append(f'  {label:>7}: {top}')
    return '\n'.join(lines)
