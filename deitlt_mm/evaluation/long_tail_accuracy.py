"""Overall and head / mid / tail accuracy for long-tailed classification."""
import logging
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ..registry import METRICS
from .results import GROUPS, LongTailResults, PredictionAccuracy, prediction_fields
from .teacher_agreement import teacher_agreement
from .teacher_check import check_teacher


@METRICS.register_module()
class LongTailAccuracy(BaseMetric):
    """Top-1 / top-5 and mean per-class accuracy of head, mid and tail classes.

    Inputs (``process``): data samples with ``gt_label`` and either the student
    scores of ``results.STUDENT_PREDICTIONS`` (``pred_score_cls``, ``pred_score_dist`` and
    ``pred_score``, their average) or, for a plain classifier, only ``pred_score``.
    Per sample only the label and the top-k class indices of each score are kept, so
    results are small and mmengine's ``collect_results`` gathers them across ranks
    (and drops sampler padding via ``size``).

    ``compute_metrics`` builds a :class:`~deitlt_mm.evaluation.results.LongTailResults`
    (every figure, per-class accuracies, class groups, training counts), keeps it as
    :attr:`long_tail_results` (on the main process) and returns its flat scalars for
    mmengine's logs, percentages 0-100, keys ``{prefix}/{name}/{figure}`` with name
    ``avg`` / ``cls`` / ``dist`` for a student and no name level for a plain
    classifier (``long_tail/top1``, ``long_tail/head``, ...): ``top1``; ``top5`` when
    there are more than 5 classes; ``head``, ``mid``, ``tail`` (mean over the group's
    classes with test images of the per-class top-1 accuracy; NaN for an empty
    group). With a teacher scored next to a student, also the DIST token's agreement
    with the teacher per group (:func:`~deitlt_mm.evaluation.teacher_agreement.
    teacher_agreement`). Tables, plots and ``tools/test.py --out`` use the structure,
    never the keys.

    Groups: ``split='index'`` cuts class indices (classes are indexed by training
    frequency): ``cut_points=[a, b]`` gives head ``[0, a)``, mid ``[a, b)``, tail
    ``[b, C)``. ``split='shot'`` uses training counts: head (many-shot) count >
    ``many_shot_thr``, tail (few-shot) count < ``few_shot_thr``, mid otherwise.

    Training counts come from ``class_counts`` if given, else from
    :meth:`set_class_counts`, which ``TrainClassCountsHook`` calls before every
    validation and test with the counts of the training set (a test run takes them
    from the checkpoint), so configs need no count lists.

    Args:
        split (str): ``'index'`` or ``'shot'``.
        cut_points (Sequence[int], optional): two class indices, for ``'index'``.
        many_shot_thr (int): many-shot threshold (count > thr), for ``'shot'``.
        few_shot_thr (int): few-shot threshold (count < thr), for ``'shot'``.
        class_counts (Sequence[int], optional): training images per class.
        plot_path (str, optional): write a per-class accuracy PNG (all predictions
            against training count) here on every evaluation.
        collect_device (str, optional): how mmengine gathers the ranks' results:
            ``'gpu'`` (default) through the process group's own backend (NCCL on
            GPUs, gloo on CPU; ``all_gather_object``), which works across nodes;
            ``'cpu'`` through files in a folder every rank must see (a shared file
            system when ranks are on several nodes). Default: ``'cpu'`` when
            ``collect_dir`` is given, else ``'gpu'``.
        prefix (str): key prefix, ``'long_tail'`` by default.
        collect_dir (str, optional): shared folder for ``'cpu'`` collection.
    """

    default_prefix = 'long_tail'

    def __init__(self,
                 split: str = 'index',
                 cut_points: Optional[Sequence[int]] = None,
                 many_shot_thr: int = 100,
                 few_shot_thr: int = 20,
                 class_counts: Optional[Sequence[int]] = None,
                 plot_path: Optional[str] = None,
                 collect_device: Optional[str] = None,
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None):
        if collect_device is None:
            collect_device = 'cpu' if collect_dir else 'gpu'
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if split not in ('index', 'shot'):
            raise ValueError(f"LongTailAccuracy: split must be 'index' or 'shot', got {split!r}")
        if split == 'index':
            if cut_points is None or len(cut_points) != 2 or \
                    not 0 <= cut_points[0] <= cut_points[1]:
                raise ValueError("LongTailAccuracy: split='index' needs cut_points=[a, b] "
                                 f'with 0 <= a <= b, got {cut_points!r}')
        self.split = split
        self.cut_points = None if cut_points is None else [int(c) for c in cut_points]
        self.many_shot_thr = many_shot_thr
        self.few_shot_thr = few_shot_thr
        self.class_counts = None if class_counts is None else \
            np.asarray(class_counts, dtype=np.int64)
        self.train_class_counts = self.class_counts
        self.plot_path = plot_path
        self.long_tail_results: Optional[LongTailResults] = None
        self._teacher_warned = False

    def set_class_counts(self, counts: Optional[Sequence[int]]) -> None:
        """Training images per class (None: unknown); a ``class_counts`` argument wins."""
        if self.class_counts is None:
            self.train_class_counts = None if counts is None else \
                np.asarray(counts, dtype=np.int64)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each sample's label and top-k class indices, one copy to the host per batch.

        The scores stay on their device: labels and the top-k of every prediction
        are computed for the whole batch there and copied in one ``.cpu()``, so a
        GPU validation waits for the device once per batch, not per sample.

        Args:
            data_batch: not used.
            data_samples (Sequence[dict]): the batch's samples, each with
                ``gt_label`` and ``[C]`` scores (see the class doc).
        """
        for sample in data_samples:
            if 'pred_score' not in sample:
                raise KeyError('LongTailAccuracy: data sample has no "pred_score"; got keys '
                               f'{sorted(sample)}')
        if not data_samples:
            return
        predictions = prediction_fields(data_samples[0])
        scores = [torch.stack([torch.as_tensor(sample[key]).reshape(-1)
                               for sample in data_samples]) for _, key in predictions]
        labels = torch.stack([torch.as_tensor(sample['gt_label']).reshape(-1)[0]
                              for sample in data_samples])
        columns = [labels.to(scores[0].device, torch.int64)[:, None]]
        columns += [score.topk(min(5, score.size(1)), dim=1).indices for score in scores]
        host = torch.cat(columns, dim=1).cpu().numpy()
        ends = np.cumsum([1] + [column.size(1) for column in columns[1:]])
        for row in host:
            self.results.append(dict(
                gt_label=int(row[0]), num_classes=scores[-1].size(1),
                topk={name: row[start:end] for (name, _), start, end
                      in zip(predictions, ends[:-1], ends[1:])}))

    def class_groups(self, num_classes: int) -> List[str]:
        """Group name (``head`` / ``mid`` / ``tail``) of every class index."""
        if self.split == 'index':
            head_end, mid_end = self.cut_points
            return [GROUPS[0] if c < head_end else GROUPS[1] if c < mid_end else GROUPS[2]
                    for c in range(num_classes)]
        counts = self.train_class_counts
        if counts is None:
            raise ValueError(
                "LongTailAccuracy: split='shot' needs the training class counts: pass "
                'class_counts, or keep TrainClassCountsHook in default_hooks (it counts the '
                'training set, or reads the counts a checkpoint of this code base stores).')
        if len(counts) != num_classes:
            raise ValueError(f'LongTailAccuracy: {len(counts)} training counts for '
                             f'{num_classes} predicted classes.')
        return [GROUPS[0] if n > self.many_shot_thr else
                GROUPS[2] if n < self.few_shot_thr else GROUPS[1] for n in counts]

    def compute_metrics(self, results: List[dict]) -> dict:
        if not results:
            raise ValueError('LongTailAccuracy: no predictions were processed (empty '
                             'evaluation set?).')
        num_classes = results[0]['num_classes']
        labels = np.asarray([r['gt_label'] for r in results], dtype=np.int64)
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f'LongTailAccuracy: ground-truth labels span [{labels.min()}, '
                             f'{labels.max()}] but scores have {num_classes} classes.')
        groups = np.asarray(self.class_groups(num_classes))
        samples_per_class = np.bincount(labels, minlength=num_classes)
        predictions = {}
        for name in results[0]['topk']:
            hit = np.stack([r['topk'][name] for r in results]) == labels[:, None]
            with np.errstate(invalid='ignore', divide='ignore'):
                per_class = np.bincount(labels, weights=hit[:, 0], minlength=num_classes) \
                    / samples_per_class * 100
            group_means = {}
            for group in GROUPS:
                values = per_class[(groups == group) & (samples_per_class > 0)]
                group_means[group] = float(values.mean()) if values.size else float('nan')
            predictions[name] = PredictionAccuracy(
                top1=float(hit[:, 0].mean() * 100),
                top5=float(hit[:, :5].any(axis=1).mean() * 100) if num_classes > 5 else None,
                per_class=[None if np.isnan(a) else float(a) for a in per_class],
                **group_means)
        teacher_check = None
        if 'teacher' in predictions:
            teacher_top1 = np.stack([r['topk']['teacher'][0] for r in results])
            teacher_check = check_teacher(teacher_top1, labels, num_classes)
            if teacher_check['degenerate'] and not self._teacher_warned:
                print_log(teacher_check['message'], logger='current', level=logging.WARNING)
                self._teacher_warned = True
        agreement = None
        if 'teacher' in predictions and 'dist' in predictions:
            agreement = teacher_agreement(
                np.stack([r['topk']['dist'][0] for r in results]),
                np.stack([r['topk']['teacher'][0] for r in results]), labels, groups)
        counts = self.train_class_counts
        self.long_tail_results = LongTailResults(
            predictions=predictions, class_groups=groups.tolist(),
            train_class_counts=None if counts is None else counts.tolist(),
            teacher_check=teacher_check, teacher_agreement=agreement)
        if self.plot_path:
            from .plot import plot_per_class_accuracy  # matplotlib only when plotting
            plot_per_class_accuracy(self.long_tail_results, self.plot_path)
        return self.long_tail_results.scalars()
