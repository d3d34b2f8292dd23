"""SAMOptimWrapper under tools/dist_train.sh: two CPU ranks (gloo DDP) stay in sync."""
import torch

from tests.tools.test_train_test_tools import train_two_ranks


def test_sam_with_ddp_on_two_cpu_ranks(tmp_path):
    rank0, rank1, work = train_two_ranks(
        tmp_path, port=29537,
        optim_wrapper=dict(type='SAMOptimWrapper', rho=0.5,
                           optimizer=dict(type='SGD', lr=0.05, momentum=0.9)))
    assert rank0['info'] == rank1['info'] == dict(
        world_size=2, model='DeviceAwareDistributedDataParallel',
        optim_wrapper='SAMOptimWrapper', steps=2)
    for name, value in rank0['params'].items():
        torch.testing.assert_close(value, rank1['params'][name], rtol=0, atol=0)
    # Rank 0's checkpoint holds the synchronised weights.
    checkpoint = torch.load(work / 'iter_2.pth', map_location='cpu')['state_dict']
    torch.testing.assert_close(checkpoint['head.fc.weight'], rank0['params']['head.fc.weight'])
