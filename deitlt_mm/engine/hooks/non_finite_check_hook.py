"""Stop at the first non-finite loss; never save non-finite weights."""
import torch
from mmengine.hooks import Hook

from ...errors import NonFiniteError
from ...registry import HOOKS


@HOOKS.register_module()
class NonFiniteCheckHook(Hook):
    """Fail fast on NaN / Inf in training, before anything non-finite is written.

    * ``after_train_iter``: every loss term the step returned (``loss``, ``loss_cls``,
      ``loss_dist``, ...) must be finite, else :class:`~deitlt_mm.errors.NonFiniteError`
      names the iteration, the non-finite terms and the last checkpoint. It runs
      before the checkpoint hook, so the step's weights are never saved.
    * ``before_save_checkpoint``: every floating-point tensor of the model's state dict
      must be finite (a non-finite gradient that reached the weights with a finite
      loss), else the save is refused.

    Gradients are not checked: under AMP with dynamic loss scaling, non-finite
    gradients are expected now and then; the scaler skips those steps, so they never
    reach the weights.
    """

    priority = 'HIGH'  # before the checkpoint hook (VERY_LOW) in after_train_iter

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        values = {name: torch.as_tensor(value).detach() for name, value in outputs.items()
                  if 'loss' in name}
        bad = {name: value for name, value in values.items() if not torch.isfinite(value).all()}
        if not bad:
            return
        # Name the terms; the total `loss` only when no single term explains it.
        terms = {n: v for n, v in bad.items() if n != 'loss'} or bad
        shown = ', '.join(f'{name} = {_show(value)}' for name, value in terms.items())
        position = f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, batch {batch_idx + 1})'
        raise NonFiniteError(
            f'non-finite loss at {position}: {shown}; training stopped before saving it. '
            f'{_last_checkpoint(runner)} Lower the learning rate or check the data, labels '
            'and teacher, then resume.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for name, value in checkpoint.get('state_dict', {}).items():
            if torch.is_tensor(value) and value.is_floating_point() and not torch.isfinite(
                    value).all():
                raise NonFiniteError(
                    f'non-finite weights in {name} after iteration {runner.iter}: refusing to '
                    f'save this checkpoint. {_last_checkpoint(runner)} Lower the learning '
                    'rate or check the data, then resume.')


def _show(value: torch.Tensor) -> str:
    return str(value.item()) if value.numel() == 1 else 'non-finite values'


def _last_checkpoint(runner) -> str:
    last = runner.message_hub.get_info('last_ckpt')
    return f'The last checkpoint is {last}.' if last else 'No checkpoint was saved yet.'
