"""Overall and head / mid / tail accuracy for long-tailed classification."""
import logging
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ..registry import METRICS
from .teacher_check import check_teacher

# (report name, data-sample field). A DeiT-LT student carries the first three, and
# its teacher's predictions when it has one; the averaged prediction comes first so
# ``save_best='auto'`` picks ``avg/top1``.
STUDENT_FIELDS = (('avg', 'pred_score'), ('cls', 'pred_score_cls'), ('dist', 'pred_score_dist'),
                  ('teacher', 'pred_score_teacher'))
GROUPS = ('head', 'mid', 'tail')


def _key(name: str, figure: str) -> str:
    """``name/figure`` for a student's predictions, ``figure`` for a plain classifier."""
    return f'{name}/{figure}' if name else figure


@METRICS.register_module()
class LongTailAccuracy(BaseMetric):
    """Top-1 / top-5 and mean per-class accuracy of head, mid and tail classes.

    Inputs (``process``): data samples with ``gt_label`` and either the three
    student scores ``pred_score_cls``, ``pred_score_dist`` and ``pred_score``
    (their average), plus ``pred_score_teacher`` when ``DistillClassifier`` has a
    teacher, or, for a plain classifier, only ``pred_score``. Per sample
    only the label and the top-k class indices of each score are kept, so
    results are small and mmengine's ``collect_results`` gathers them across
    ranks (and drops sampler padding via ``size``).

    Outputs (``evaluate``), percentages 0-100, keys ``{prefix}/{name}/{figure}``
    with name ``avg`` / ``cls`` / ``dist`` (and ``teacher``) for a student, and no
    name level for a plain classifier (``long_tail/top1``, ``long_tail/head``, ...):

    - ``top1``; ``top5`` when there are more than 5 classes;
    - ``head``, ``mid``, ``tail``: mean over the group's classes (with test
      images) of the per-class top-1 accuracy; NaN for an empty group;
    - ``per_class``: list of per-class top-1 accuracies (None: no test image);
    - once per report: ``class_groups`` (group name of every class) and, when
      training counts are known, ``train_class_counts``.

    The last two items are left out with ``per_class=False``. With a teacher, also
    ``teacher/top_class_share`` (% of its predictions that go to its most predicted
    class) and ``teacher/degenerate`` (1.0 when it looks collapsed or near chance,
    see :mod:`.teacher_check`; a WARNING says why, once per metric instance).

    Groups: ``split='index'`` cuts class indices (classes are indexed by training
    frequency): ``cut_points=[a, b]`` gives head ``[0, a)``, mid ``[a, b)``, tail
    ``[b, C)``. ``split='shot'`` uses training counts: head (many-shot) count >
    ``many_shot_thr``, tail (few-shot) count < ``few_shot_thr``, mid otherwise.

    Training counts come from ``class_counts`` if given, else from
    ``dataset_meta['train_class_counts']``, which every LT dataset of this package
    puts in its metainfo on every split (the runner hands the evaluation
    dataset's metainfo to the metric), so configs need no count lists.

    Args:
        split (str): ``'index'`` or ``'shot'``.
        cut_points (Sequence[int], optional): two class indices, for ``'index'``.
        many_shot_thr (int): many-shot threshold (count > thr), for ``'shot'``.
        few_shot_thr (int): few-shot threshold (count < thr), for ``'shot'``.
        class_counts (Sequence[int], optional): training images per class.
        per_class (bool): include ``per_class``, ``class_groups`` and
            ``train_class_counts`` in the output (for the JSON of ``tools/test.py``).
            The dataset configs turn it off for validation during training, where
            a list of 8142 accuracies would flood every log line.
        plot_path (str, optional): write a per-class accuracy PNG (all predictions
            against training count) here on every evaluation.
        collect_device (str): ``'cpu'`` or ``'gpu'`` for cross-rank collection.
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
                 per_class: bool = True,
                 plot_path: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None):
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
        self.per_class = per_class
        self.plot_path = plot_path
        self._teacher_warned = False

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_score' not in sample:
                raise KeyError('LongTailAccuracy: data sample has no "pred_score"; got keys '
                               f'{sorted(sample)}')
            fields = [(name, key) for name, key in STUDENT_FIELDS if key in sample]
            if len(fields) == 1:  # plain classifier: no name level in the keys
                fields = [('', 'pred_score')]
            result = dict(gt_label=int(torch.as_tensor(sample['gt_label']).reshape(-1)[0]))
            for name, key in fields:
                score = torch.as_tensor(sample[key]).reshape(-1)
                result['num_classes'] = score.numel()
                result[name] = score.topk(min(5, score.numel())).indices.cpu().numpy()
            self.results.append(result)

    def _train_counts(self) -> Optional[np.ndarray]:
        if self.class_counts is not None:
            return self.class_counts
        counts = (self.dataset_meta or {}).get('train_class_counts')
        return None if counts is None else np.asarray(counts, dtype=np.int64)

    def class_groups(self, num_classes: int) -> List[str]:
        """Group name (``head`` / ``mid`` / ``tail``) of every class index."""
        if self.split == 'index':
            head_end, mid_end = self.cut_points
            return [GROUPS[0] if c < head_end else GROUPS[1] if c < mid_end else GROUPS[2]
                    for c in range(num_classes)]
        counts = self._train_counts()
        if counts is None:
            raise ValueError(
                "LongTailAccuracy: split='shot' needs training counts: pass class_counts or "
                "evaluate a dataset whose metainfo has 'train_class_counts'.")
        if len(counts) != num_classes:
            raise ValueError(f'LongTailAccuracy: {len(counts)} training counts for '
                             f'{num_classes} predicted classes.')
        return [GROUPS[0] if n > self.many_shot_thr else
                GROUPS[2] if n < self.few_shot_thr else GROUPS[1] for n in counts]

    def _check_teacher(self, metrics: dict, pred_labels: np.ndarray, labels: np.ndarray,
                       num_classes: int) -> None:
        check = check_teacher(pred_labels, labels, num_classes)
        metrics[_key('teacher', 'top_class_share')] = check['top_class_share']
        metrics[_key('teacher', 'degenerate')] = float(check['degenerate'])
        if check['degenerate'] and not self._teacher_warned:
            print_log(check['message'], logger='current', level=logging.WARNING)
            self._teacher_warned = True

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
        names = [k for k in results[0] if k not in ('gt_label', 'num_classes')]
        metrics = {}
        for name in names:
            topk = np.stack([r[name] for r in results])
            hit = topk == labels[:, None]
            metrics[_key(name, 'top1')] = float(hit[:, 0].mean() * 100)
            if num_classes > 5:
                metrics[_key(name, 'top5')] = float(hit[:, :5].any(axis=1).mean() * 100)
            with np.errstate(invalid='ignore', divide='ignore'):
                per_class = np.bincount(labels, weights=hit[:, 0], minlength=num_classes) \
                    / samples_per_class * 100
            for group in GROUPS:
                values = per_class[(groups == group) & (samples_per_class > 0)]
                metrics[_key(name, group)] = \
                    float(values.mean()) if values.size else float('nan')
            metrics[_key(name, 'per_class')] = \
                [None if np.isnan(a) else float(a) for a in per_class]
        if 'teacher' in names:
            self._check_teacher(metrics, np.stack([r['teacher'][0] for r in results]), labels,
                                num_classes)
        metrics['class_groups'] = groups.tolist()
        counts = self._train_counts()
        if counts is not None:
            metrics['train_class_counts'] = counts.tolist()
        if self.plot_path:
            from .plot import plot_per_class_accuracy  # matplotlib only when plotting
            plot_per_class_accuracy(metrics, self.plot_path)
        if not self.per_class:
            metrics = {k: v for k, v in metrics.items() if not isinstance(v, list)}
        return metrics
