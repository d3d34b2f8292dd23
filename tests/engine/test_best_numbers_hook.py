"""BestNumbersHook: the best validation by AVG top-1 (a tie keeps the earlier) as one block."""
import logging
from types import SimpleNamespace

from mmengine.logging import MessageHub

from deitlt_mm.engine.hooks import BestNumbersHook
from deitlt_mm.engine.hooks.best_numbers_hook import format_best_numbers


def metrics(avg, head=80.0):
    """A student's validation scalars (CLS / DIST / AVG / TEACHER, head / mid / tail)."""
    out = {}
    for row, offset in (('avg', 0.0), ('cls', -1.0), ('dist', 1.0), ('teacher', 5.0)):
        for column, value in (('top1', avg), ('top5', 99.0), ('head', head),
                              ('mid', avg - 10), ('tail', float('nan'))):
            out[f'long_tail/{row}/{column}'] = value + offset
    out['long_tail/teacher/top_class_share'] = 0.3
    return out


def test_best_numbers_follow_strict_improvements_and_survive_in_the_message_hub(caplog):
    hook = BestNumbersHook()
    logger = logging.getLogger('test_best_numbers')
    runner = SimpleNamespace(message_hub=MessageHub(f'best_{id(hook)}'), logger=logger, epoch=0)
    logged = []
    logger.info = logged.append
    for epoch, (avg, head) in enumerate([(50.0, 70.0), (60.0, 75.0), (60.0, 99.0),
                                         (55.0, 99.0)], start=1):
        runner.epoch = epoch
        hook.after_val_epoch(runner, metrics(avg, head))
    # Improvements at epochs 1 and 2 only: the tie at epoch 3 keeps epoch 2.
    assert len(logged) == 2
    best = runner.message_hub.get_info('best_numbers')
    assert (best['epoch'], best['score']) == (2, 60.0)
    hook.after_train(runner)
    assert logged[-1] == '\n'.join([
        'BEST NUMBERS (epoch 2, best long_tail/avg/top1 = 60.00)',
        '         overall    head     mid    tail',
        'CLS        59.00   74.00   49.00     n/a',
        'DIST       61.00   76.00   51.00     n/a',
        'AVG        60.00   75.00   50.00     n/a',
        'TEACHER    65.00   80.00   55.00     n/a',
    ])
    # A resumed run's message hub (loaded from a checkpoint) continues the comparison.
    resumed = SimpleNamespace(message_hub=MessageHub(f'resumed_{id(hook)}'), logger=logger,
                              epoch=5)
    resumed.message_hub.load_state_dict(runner.message_hub.state_dict())
    hook.after_val_epoch(resumed, metrics(59.0))
    assert resumed.message_hub.get_info('best_numbers')['epoch'] == 2


def test_plain_classifier_rows_are_left_out():
    best = dict(epoch=3, key='long_tail/cls/top1', score=40.0,
                metrics={'long_tail/cls/top1': 40.0, 'long_tail/cls/head': 50.0,
                         'long_tail/cls/mid': 30.0, 'long_tail/cls/tail': 20.0})
    assert format_best_numbers(best).splitlines()[2:] == [
        'CLS        40.00   50.00   30.00   20.00']
