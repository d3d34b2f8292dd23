"""DualHead: prediction fields and the loss it hands to DRWDistillLoss."""
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from deitlt_mm.models.heads import DualHead


def make_head():
    head = DualHead(num_classes=3, in_channels=4,
                    loss=dict(type='DRWDistillLoss', alpha=0.5, distillation_type='hard',
                              label_smoothing=0.0))
    return head


def test_predict_sets_the_three_score_fields():
    head = make_head()
    feats = (torch.randn(2, 4), torch.randn(2, 4))
    cls_logits, dist_logits = head(feats)
    samples = head.predict(feats, [DataSample(), DataSample()])
    average = F.softmax((cls_logits + dist_logits) / 2, dim=1)
    for i, sample in enumerate(samples):
        assert torch.allclose(sample.pred_score, average[i])
        assert torch.allclose(sample.pred_score_cls, F.softmax(cls_logits, 1)[i])
        assert torch.allclose(sample.pred_score_dist, F.softmax(dist_logits, 1)[i])
        assert sample.pred_label.item() == average[i].argmax().item()
    assert len(head.predict(feats)) == 2


def test_loss_uses_gt_score_when_present_else_gt_label():
    head = make_head()
    feats = (torch.randn(2, 4), torch.randn(2, 4))
    teacher = torch.tensor([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0]])
    cls_logits, dist_logits = head(feats)
    hard = [DataSample().set_gt_label(1), DataSample().set_gt_label(2)]
    losses = head.loss(feats, hard, teacher)
    assert set(losses) == {'loss_cls', 'loss_dist'}
    assert torch.allclose(losses['loss_cls'], 0.5 * F.cross_entropy(cls_logits,
                                                                   torch.tensor([1, 2])))
    assert torch.allclose(losses['loss_dist'], 0.5 * F.cross_entropy(dist_logits,
                                                                    torch.tensor([1, 0])))
    soft_scores = torch.tensor([[0.2, 0.8, 0.0], [0.0, 0.5, 0.5]])
    soft = [DataSample().set_gt_label(1).set_gt_score(s) for s in soft_scores]
    soft_cls = head.loss(feats, soft, teacher)['loss_cls']
    expected = -(soft_scores * F.log_softmax(cls_logits, 1)).sum(1).mean() * 0.5
    assert torch.allclose(soft_cls, expected)
