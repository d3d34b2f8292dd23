"""PaCo's MoCo-style classifier: query encoder, momentum key encoder, queue, classifier."""
from typing import List, NamedTuple, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models import ImageClassifier
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample

from ...registry import MODELS
from ..utils.batch_cache import BatchCache


class KeyStep(NamedTuple):
    """What one training step contrasts against (computed once per step)."""
    keys: torch.Tensor  # [B, dim] normalised keys of this rank's batch
    labels: torch.Tensor  # [B]
    queue: torch.Tensor  # [K, dim] the queue before this step's keys were pushed
    queue_labels: torch.Tensor  # [K]


@MODELS.register_module()
class PaCoClassifier(ImageClassifier):
    """``ImageClassifier`` trained with PaCo (MoCo key encoder + queue + ``PaCoLoss``).

    Parts (a MoCo v2 classifier, PaCo ``moco/builder.py``):

    * query encoder = ``backbone`` -> ``neck`` (global pooling) -> ``projector``
      (PaCo's MLP, e.g. ``NonLinearNeck`` Linear-BN-ReLU-Linear) -> L2 norm;
    * classifier = ``head`` (``LinearClsHead``) on the pooled feature: inference
      (``predict`` / ``tensor`` modes) is exactly ``ImageClassifier``'s, raw
      logits without the prior, as PaCo's test forward;
    * key encoder = ``momentum_encoder``, an exponential moving average of
      backbone, neck and projector (``p_k <- (1 - momentum) p_k + momentum p_q``;
      PaCo's ``m = 0.999`` is ``momentum=0.001``; parameters only, the first
      update copies the query weights). PaCo also averages a copy of the
      classifier that nothing reads; it is left out;
    * ``queue`` ``[K, dim]`` of past keys and ``queue_labels`` ``[K]``, first
      filled as PaCo does (random normal normalised over dim 0, random labels),
      with a pointer ``queue_ptr``.

    Training (``loss`` mode) takes two views ``inputs = [query_images,
    key_images]`` (``MultiView`` pipeline + ``MultiViewClsDataPreprocessor``)
    and gives ``loss(features=[q; k; queue], labels=[y; y; queue_labels],
    cls_score=head(pooled query feature))``.

    **Once per step.** The momentum update, the key encoding and the queue push
    (keys and labels gathered from all ranks first, the pointer moves by the
    global batch) run once per training step, the first time a batch of key
    images is seen; the step's keys and a snapshot of the queue taken before
    the push are kept with that batch. A second loss call on the very same
    key-image tensor, which is what ``SAMOptimWrapper`` does for its second
    pass (it replays the recorded forward call), reuses them and changes
    nothing: it sees the same keys and queue as the first pass, the key encoder
    is updated once per step from the unperturbed weights, and the queue gets
    each batch once.

    **Shuffle BN** (``shuffle_key_bn``): with several processes the key images
    are shuffled across ranks before the key encoder and un-shuffled after, so
    its BatchNorm statistics do not come from the same images as the queries'
    (MoCo, mmpretrain's ``batch_shuffle_ddp``). With one process a shuffle
    cannot change batch statistics and is skipped.

    Everything training needs (key encoder with its update count, queue,
    labels, pointer) is in the state dict, so ``--resume`` continues them.
    ``load_teacher_checkpoint`` drops those parts, so a checkpoint loads as is
    into the plain ``ImageClassifier`` of the same backbone / neck / head.

    Args:
        backbone (dict): backbone config (e.g. ``ResNetCifarOptionA``, ``ResNet``).
        neck (dict): pooling neck (``GlobalAveragePooling``).
        head (dict): ``LinearClsHead`` (its own ``loss`` is not used).
        projector (dict): MLP from the pooled feature to ``dim``; its output
            width is the queue's ``dim``.
        loss (dict): ``PaCoLoss`` config.
        queue_size (int): ``K``, a multiple of the global batch.
        momentum (float): EMA momentum of the key encoder, ``1 - m``.
            Defaults to 0.001.
        shuffle_key_bn (bool): shuffle BN across ranks. Defaults to True.
        data_preprocessor (dict, optional): defaults to
            ``MultiViewClsDataPreprocessor``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 projector: dict,
                 loss: dict,
                 queue_size: int,
                 momentum: float = 0.001,
                 shuffle_key_bn: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if isinstance(data_preprocessor, dict) or data_preprocessor is None:
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type', 'MultiViewClsDataPreprocessor')
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if queue_size <= 0:
            raise ValueError(f'PaCoClassifier: queue_size must be > 0, got {queue_size}.')
        if not 0.0 < momentum <= 1.0:
            raise ValueError(f'PaCoClassifier: momentum (1 - m of MoCo) must be in (0, 1], '
                             f'got {momentum}.')
        self.projector = MODELS.build(projector)
        self.loss_module = MODELS.build(loss)
        self.shuffle_key_bn = shuffle_key_bn
        self.momentum_encoder = ExponentialMovingAverage(self.query_encoder, momentum)

        num_classes = self.head.num_classes
        dim = self._projector_dim()
        self.register_buffer('queue', F.normalize(torch.randn(queue_size, dim), dim=0))
        self.register_buffer('queue_labels', torch.randint(0, num_classes, (queue_size, )))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        # The step's keys and queue snapshot, by key-image tensor (see key_step).
        self._key_steps = BatchCache()

    @property
    def query_encoder(self) -> nn.Sequential:
        """backbone -> neck -> projector (the parts the key encoder averages)."""
        return nn.Sequential(self.backbone, self.neck, self.projector)

    @property
    def queue_size(self) -> int:
        return self.queue.size(0)

    def _projector_dim(self) -> int:
        last_linear = [m for m in self.projector.modules() if isinstance(m, nn.Linear)]
        if not last_linear:
            raise ValueError('PaCoClassifier: the projector has no nn.Linear; its output '
                             'width sets the queue dimension.')
        return last_linear[-1].out_features

    @staticmethod
    def _embed(encoder: nn.Sequential, images: torch.Tensor) -> torch.Tensor:
        backbone, neck, projector = encoder
        return F.normalize(projector(neck(backbone(images)))[0], dim=1)

    @torch.no_grad()
    def _encode_keys(self, key_images: torch.Tensor) -> torch.Tensor:
        encoder = self.momentum_encoder.module
        if self.shuffle_key_bn and get_world_size() > 1:
            shuffled, restore = batch_shuffle_ddp(key_images)
            return batch_unshuffle_ddp(self._embed(encoder, shuffled), restore)
        return self._embed(encoder, key_images)

    @torch.no_grad()
    def _enqueue(self, keys: torch.Tensor, labels: torch.Tensor) -> None:
        """Write the keys and labels of all ranks at the pointer, move it on."""
        keys = torch.cat(all_gather(keys))
        labels = torch.cat(all_gather(labels))
        batch = keys.size(0)
        ptr = int(self.queue_ptr)
        self.queue[ptr:ptr + batch] = keys.to(self.queue.dtype)
        self.queue_labels[ptr:ptr + batch] = labels
        self.queue_ptr[0] = (ptr + batch) % self.queue_size

    @property
    def last_key_step(self) -> Optional[KeyStep]:
        """The :class:`KeyStep` of the last training step (None before the first)."""
        return self._key_steps.value

    def key_step(self, key_images: torch.Tensor, labels: torch.Tensor) -> KeyStep:
        """Keys and queue snapshot of this step; the step's side effects run once.

        The first call for a key-image tensor updates the key encoder, encodes
        the keys, snapshots the queue and pushes the keys (see the class doc);
        a call with the same tensor object returns that result unchanged.

        Args:
            key_images (Tensor): ``[B, C, H, W]`` second views.
            labels (Tensor): ``[B]`` int64 labels.

        Returns:
            KeyStep: keys ``[B, dim]``, labels, queue ``[K, dim]`` and its labels.
        """
        return self._key_steps.get(key_images, lambda: self._run_key_step(key_images, labels))

    def _run_key_step(self, key_images: torch.Tensor, labels: torch.Tensor) -> KeyStep:
        """The step's side effects (momentum update, key encoding, queue push)."""
        global_batch = key_images.size(0) * get_world_size()
        if self.queue_size % global_batch:
            raise ValueError(
                f'PaCoClassifier: queue_size {self.queue_size} is not a multiple of the '
                f'global batch {global_batch} (batch per process x processes); change '
                'model.queue_size or the batch (and keep drop_last=True in the train loader).')
        with torch.no_grad():
            self.momentum_encoder.update_parameters(self.query_encoder)
            keys = self._encode_keys(key_images)
            step = KeyStep(keys, labels, self.queue.clone(), self.queue_labels.clone())
            self._enqueue(keys, labels)
        return step

    def loss(self, inputs: Sequence[torch.Tensor], data_samples: List[DataSample]) -> dict:
        """PaCo loss of a two-view batch.

        Args:
            inputs (list[Tensor]): ``[query_images, key_images]``, each
                ``[B, C, H, W]``.
            data_samples (list[DataSample]): ``B`` samples with ``gt_label``.

        Returns:
            dict: ``{'loss': scalar}``.
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                'PaCoClassifier: training needs two views per image, inputs = [query_images, '
                'key_images]; use a MultiView pipeline with two views and '
                f"MultiViewClsDataPreprocessor (got {type(inputs).__name__}).")
        query_images, key_images = inputs
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(query_images.device)
        if labels.numel() != query_images.size(0):
            raise ValueError(f'PaCoClassifier: {labels.numel()} labels for '
                             f'{query_images.size(0)} images; one hard label per image needed.')
        step = self.key_step(key_images, labels)
        pooled = self.neck(self.backbone(query_images))
        cls_score = self.head(pooled)
        queries = F.normalize(self.projector(pooled)[0], dim=1)
        features = torch.cat([queries, step.keys.to(queries.dtype), step.queue.to(queries.dtype)])
        feature_labels = torch.cat([labels, step.labels, step.queue_labels])
        return dict(loss=self.loss_module(features, feature_labels, cls_score))

    def train(self, mode: bool = True):
        # A new phase starts: nothing of the last training step is reused.
        self._key_steps.clear()
        return super().train(mode)
