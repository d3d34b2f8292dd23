"""A real run keeps its best epoch's checkpoint, logs BEST NUMBERS, and tools/test.py
scores it with ``--which best`` (the paper configs' default hooks, on the tiny student)."""
import json
import re

from tests._tiny_vit import config_text
from tests._tools import load_tool

# What the paper configs add to the default hooks (configs/deitlt/deitlt_b_*.py).
BEST_EPOCH_HOOKS = """
default_hooks['checkpoint'].update(save_best='long_tail/avg/top1', rule='greater')
default_hooks['best_numbers'] = dict(type='BestNumbersHook', key='long_tail/avg/top1')
log_level = 'INFO'
"""


def test_best_checkpoint_block_and_which_best(tmp_path):
    config = tmp_path / 'tiny_student.py'
    config.write_text(config_text(train=True) + BEST_EPOCH_HOOKS)
    work = tmp_path / 'work'
    load_tool('train.py').main([str(config), '--work-dir', str(work),
                                '--cfg-options', 'train_cfg.max_epochs=3'])

    scalars = [json.loads(line) for line in next(work.glob('*/vis_data/scalars.json'))
               .read_text().splitlines()]
    avg = [(row['step'], row['long_tail/avg/top1']) for row in scalars
           if 'long_tail/avg/top1' in row]
    assert [epoch for epoch, _ in avg] == [1, 2, 3]
    best_score = max(score for _, score in avg)
    best_epoch = next(epoch for epoch, score in avg if score == best_score)  # ties: earlier
    best, = work.glob('best_*.pth')
    assert best.name == f'best_long_tail_avg_top1_epoch_{best_epoch}.pth'

    log = next(work.glob('*/*.log')).read_text()
    blocks = re.findall(r'BEST NUMBERS \(epoch (\d+), best long_tail/avg/top1 = ([\d.]+)\)',
                        log)
    assert blocks and {int(epoch) for epoch, _ in blocks[-1:]} == {best_epoch}
    assert float(blocks[-1][1]) == round(best_score, 2)
    assert re.search(r'\nAVG +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+', log)

    out = tmp_path / 'best.json'
    load_tool('test.py').main([str(config), str(work), '--which', 'best', '--out', str(out),
                               '--work-dir', str(tmp_path / 'test')])
    result = json.loads(out.read_text())
    assert result['checkpoint'] == str(best)
    assert result['epoch'] == best_epoch
    assert abs(result['metrics']['long_tail/avg/top1'] - best_score) < 1e-6
