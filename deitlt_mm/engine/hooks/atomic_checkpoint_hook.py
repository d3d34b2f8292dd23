"""mmengine's CheckpointHook with a crash-safe ``last_checkpoint`` and temp-file clean-up."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from ...fileio import atomic_write, remove_stale_temp_files
from ...registry import HOOKS


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose bookkeeping survives a kill at any moment.

    Checkpoints themselves are written atomically by every save
    (:class:`deitlt_mm.fileio.AtomicLocalBackend`). mmengine's hook adds two
    windows in which a kill breaks ``--resume``: it writes ``last_checkpoint``
    in place (``open(..., 'w')``: a kill leaves it empty, and resume then finds
    no checkpoint), and with ``max_keep_ckpts`` it deletes the oldest kept
    checkpoint *before* saving the new one (with ``max_keep_ckpts=1`` a kill
    in between leaves ``last_checkpoint`` naming a deleted file). Here the new
    checkpoint is saved first, then ``last_checkpoint`` is replaced atomically,
    then the outdated checkpoint is removed.

    ``before_train`` also removes the temp files that a save killed halfway left
    in the checkpoint folder and the work dir (``.<name>.<random>.tmp``).

    Args: as :class:`mmengine.hooks.CheckpointHook`.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not is_main_process():
            return
        for folder in {runner.work_dir, self.out_dir}:
            if isinstance(folder, str) and osp.isdir(folder):
                for path in remove_stale_temp_files(folder):
                    runner.logger.info(f'AtomicCheckpointHook: removed {path}, the temp file '
                                       'of a save that did not finish.')

    def _save_checkpoint_with_step(self, runner, step, meta):
        outdated = None
        # As mmengine: `_save_checkpoint` and `_save_best_checkpoint` may save one step twice.
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if outdated is not None:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(outdated))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # DeepSpeed checkpoints are folders
                self.file_backend.rmtree(path)
