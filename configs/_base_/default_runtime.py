# mmpretrain's runtime (mmpretrain::_base_/default_runtime.py, stated here;
# tests/configs/test_runtime_config.py checks every value against it), in deitlt_mm's
# scope, keeping the last 3 checkpoints, with seed 0 and a CPU-capable DDP wrapper.
# deitlt_mm's own default hooks extend it in ./deitlt_default_hooks.py, the file every
# config names in its _base_ list.
# Not inherited with `_base_ = ['mmpretrain::...']`: mmengine 0.10.7 finds installed
# packages' configs through pkg_resources, which setuptools >= 81 no longer has, and a
# config is parsed before its custom_imports could fix that.
default_scope = 'deitlt_mm'
# deitlt_mm's registries (children of mmpretrain's): our names first, then mmpretrain's.
# Registers deitlt_mm's components also when a config is run by mmpretrain's own tools.
custom_imports = dict(imports=['deitlt_mm'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    # Fixed input sizes: cuDNN picks the fastest convolution once per shape.
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # NCCL on GPUs; on CPU tools/train.py starts a gloo group (deitlt_mm.runtime.distributed).
    dist_cfg=dict(backend='nccl'),
)

# mmengine's default DDP wrapper passes device_ids, which CPU modules reject. The scope
# prefix is needed: mmengine's Runner looks the wrapper type up in its root registry.
model_wrapper_cfg = dict(
    type='deitlt_mm.DeviceAwareDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
