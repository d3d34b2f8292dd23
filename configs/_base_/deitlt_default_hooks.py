# deitlt_mm's default hooks on top of mmpretrain's runtime. Every config names this file,
# not ./default_runtime.py, in its _base_ list. Two hooks change what training computes
# (reseed, accumulation); the others check or carry data.
_base_ = ['./default_runtime.py']

default_hooks = dict(
    # mmengine's CheckpointHook, resumable after a kill at any moment (atomic bookkeeping).
    checkpoint=dict(type='AtomicCheckpointHook'),
    # CHANGES TRAINING: random draws from (seed, position, rank, sample); --resume replays.
    reseed=dict(type='ReseedHook'),
    # Refuses to start when a num_classes of the model differs from the dataset's.
    num_classes_check=dict(type='NumClassesCheckHook'),
    # Stops at the first NaN / Inf loss or weight, before it is checkpointed.
    non_finite_check=dict(type='NonFiniteCheckHook'),
    # Training class counts -> losses, metrics (set_class_counts) and checkpoints.
    train_class_counts=dict(type='TrainClassCountsHook'),
    # CHANGES TRAINING: gradient accumulation windows restart every epoch (reference).
    accumulation=dict(type='EpochAccumulationHook'),
)
