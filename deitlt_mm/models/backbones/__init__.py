from .distilled_vit import DistilledVisionTransformer
from .resnet_cifar import ResNetCifarOptionA

__all__ = ['DistilledVisionTransformer', 'ResNetCifarOptionA']
