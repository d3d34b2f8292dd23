"""Image loading that names the file it cannot decode."""
from mmcv.transforms import LoadImageFromFile

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageWithCheck(LoadImageFromFile):
    """``LoadImageFromFile`` whose decode failures say which file failed.

    mmcv returns ``None`` (cv2) or raises a backend-specific error (pillow) on a
    corrupt file; deep inside a dataloader worker that does not say which of
    100k images is broken. Same arguments and outputs as ``LoadImageFromFile``
    (``results['img']`` HxWx3 uint8 BGR, ``img_shape``, ``ori_shape``).

    Raises:
        FileNotFoundError: the file is missing (unchanged from mmcv).
        ValueError: ``cannot decode image <path>`` for an undecodable file.
    """

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        try:
            loaded = super().transform(results)
        except FileNotFoundError:
            raise
        except Exception as err:  # any decoder error means the same thing here
            raise ValueError(f'cannot decode image {path} ({err})') from err
        return loaded
