"""stack_collate: one stacked host tensor per batch (per view), the same preprocessed
numbers as mmengine's pseudo_collate, a pinned batch, a non-blocking copy to the device."""
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader, Dataset

from deitlt_mm.registry import MODELS

MEAN, STD = [125.3, 123.0, 113.9], [63.0, 62.1, 66.7]


class TinyImages(Dataset):
    """``n`` random uint8 images ``[3, 8, 8]`` (``views`` of each with ``views > 1``)."""

    def __init__(self, n=6, views=1, sizes=None):
        generator = torch.Generator().manual_seed(0)
        self.items = []
        for index in range(n):
            size = sizes[index] if sizes else 8
            images = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                                    generator=generator) for _ in range(views)]
            self.items.append(dict(
                inputs=images if views > 1 else images[0],
                data_samples=DataSample().set_gt_label(index % 3)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


def loader(dataset, collate_fn):
    return DataLoader(dataset, batch_size=4, shuffle=False, collate_fn=collate_fn)


@pytest.mark.parametrize('preprocessor,views', [
    ('ClsDataPreprocessor', 1), ('ErasingClsDataPreprocessor', 1),
    ('MultiViewClsDataPreprocessor', 1), ('MultiViewClsDataPreprocessor', 2)])
def test_stacked_batches_preprocess_to_the_same_numbers(preprocessor, views):
    collate = FUNCTIONS.get('stack_collate')
    dataset = TinyImages(views=views)
    data_preprocessor = MODELS.build(dict(type=preprocessor, mean=MEAN, std=STD, to_rgb=True,
                                          num_classes=3))
    for stacked, listed in zip(loader(dataset, collate), loader(dataset, pseudo_collate)):
        inputs = stacked['inputs']
        for view in (inputs if views > 1 else [inputs]):
            assert torch.is_tensor(view) and view.dtype == torch.uint8
        assert isinstance(listed['inputs'], list)
        assert stacked['data_samples'] == listed['data_samples']  # the same objects
        new = data_preprocessor(stacked, training=True)
        old = data_preprocessor(listed, training=True)
        for new_view, old_view in zip(*(out['inputs'] if views > 1 else [out['inputs']]
                                        for out in (new, old))):
            torch.testing.assert_close(new_view, old_view, rtol=0, atol=0)
        assert [s.gt_label.item() for s in new['data_samples']] == \
            [s.gt_label.item() for s in old['data_samples']]


def test_images_of_different_sizes_stay_a_list():
    dataset = TinyImages(n=4, sizes=[8, 8, 6, 8])
    batch = next(iter(loader(dataset, FUNCTIONS.get('stack_collate'))))
    assert isinstance(batch['inputs'], list) and len(batch['inputs']) == 4


def test_pinned_batch_is_one_tensor_copied_non_blocking(monkeypatch):
    # With pin_memory=True torch pins every tensor of the batch: with stacking that is
    # one [B, C, H, W] tensor, which the preprocessor copies with non_blocking=True.
    copies = []
    original = torch.Tensor.to

    def recording_to(self, *args, **kwargs):
        copies.append((tuple(self.shape), kwargs.get('non_blocking', False)))
        return original(self, *args, **kwargs)

    dataset = TinyImages()
    batch = next(iter(loader(dataset, FUNCTIONS.get('stack_collate'))))
    monkeypatch.setattr(torch.Tensor, 'to', recording_to)
    for preprocessor in ('ErasingClsDataPreprocessor', 'MultiViewClsDataPreprocessor'):
        copies.clear()
        data_preprocessor = MODELS.build(dict(type=preprocessor, mean=MEAN, std=STD))
        data_preprocessor.cast_data(dict(inputs=batch['inputs']))
        assert copies == [((4, 3, 8, 8), True)]
    if torch.cuda.is_available():  # pinning needs a CUDA runtime
        pinned = next(iter(DataLoader(dataset, batch_size=4, pin_memory=True,
                                      collate_fn=FUNCTIONS.get('stack_collate'))))
        assert pinned['inputs'].is_pinned()
