"""The validation with the best score, and its numbers as one block in the log."""
import math
from typing import Optional

from mmengine.hooks import Hook

from ...registry import HOOKS

# Rows of the block: LongTailAccuracy's prediction names, in the reference's order.
ROWS = ('cls', 'dist', 'avg', 'teacher')
COLUMNS = ('top1', 'head', 'mid', 'tail')


def format_best_numbers(best: dict, prefix: str = 'long_tail') -> str:
    """The block of :class:`BestNumbersHook`, e.g.::

        BEST NUMBERS (epoch 12, best long_tail/avg/top1 = 71.30)
                 overall    head     mid    tail
        CLS        70.10   90.00   66.00   41.00
        DIST       72.00   85.00   70.10   55.20
        AVG        71.30   88.00   68.50   50.00

    Args:
        best (dict): ``epoch`` (1-based), ``key``, ``score`` and ``metrics`` (the
            validation's scalars, ``{prefix}/{row}/{column}``).
        prefix (str): the metrics' prefix.
    """
    lines = [f'BEST NUMBERS (epoch {best["epoch"]}, best {best["key"]} = {best["score"]:.2f})',
             f'{"":8}' + ''.join(f'{name:>8}' for name in ('overall', 'head', 'mid', 'tail'))]
    for row in ROWS:
        values = [best['metrics'].get(f'{prefix}/{row}/{column}') for column in COLUMNS]
        if values[0] is None:
            continue
        lines.append(f'{row.upper():8}' + ''.join(
            f'{"n/a" if v is None or math.isnan(v) else f"{v:.2f}":>8}' for v in values))
    return '\n'.join(lines)


@HOOKS.register_module()
class BestNumbersHook(Hook):
    """Keep the numbers of the best validation and log them as one block.

    The paper reports the best epoch's numbers (the reference's ``main.py`` keeps the
    checkpoint with the best average top-1 and prints ``BEST NUMBERS``: head / mid /
    tail of CLS, DIST and their average). After every validation during training
    whose ``key`` beats the best so far (strictly: a tie keeps the earlier epoch, as
    ``CheckpointHook(save_best=key, rule='greater')``, which saves that epoch's
    checkpoint), the block of :func:`format_best_numbers` is logged; after training
    it is logged once more. The best is kept in the message hub (``best_numbers``),
    so checkpoints carry it and ``--resume`` continues the comparison.

    Args:
        key (str): the score to maximise. Defaults to ``'long_tail/avg/top1'``.
        prefix (str): LongTailAccuracy's prefix. Defaults to ``'long_tail'``.
    """

    priority = 'LOW'

    def __init__(self, key: str = 'long_tail/avg/top1', prefix: str = 'long_tail'):
        self.key = key
        self.prefix = prefix

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if not metrics or self.key not in metrics:
            return
        best = runner.message_hub.get_info('best_numbers')
        score = float(metrics[self.key])
        if best is not None and not score > best['score']:
            return
        best = dict(epoch=runner.epoch, key=self.key, score=score,
                    metrics={name: float(value) for name, value in metrics.items()
                             if name.startswith(f'{self.prefix}/')})
        runner.message_hub.update_info('best_numbers', best)
        runner.logger.info(format_best_numbers(best, self.prefix))

    def after_train(self, runner) -> None:
        best = runner.message_hub.get_info('best_numbers')
        if best is not None:
            runner.logger.info(format_best_numbers(best, self.prefix))
