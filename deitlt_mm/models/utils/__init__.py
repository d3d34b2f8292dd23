from .batch_cache import BatchCache
from .checkpoint_import import (
    classifier_layer,
    convert_deit_student,
    convert_paco_teacher,
    extract_state_dict,
    is_reference_student,
    load_checkpoint_file,
    load_converted_state_dict,
    load_deit_student_checkpoint,
    load_model_checkpoint,
    load_teacher_checkpoint,
    permute_classifier_rows,
    save_state_dict_atomically,
    strip_paco_training_state,
)
from .erasing_data_preprocessor import ErasingClsDataPreprocessor
from .in_place_mixup import InPlaceMixup
from .multi_view_data_preprocessor import MultiViewClsDataPreprocessor

__all__ = [
    'BatchCache', 'ErasingClsDataPreprocessor', 'InPlaceMixup', 'MultiViewClsDataPreprocessor',
    'classifier_layer', 'convert_deit_student', 'convert_paco_teacher', 'extract_state_dict',
    'is_reference_student', 'load_checkpoint_file',
    'load_converted_state_dict', 'load_deit_student_checkpoint', 'load_model_checkpoint',
    'load_teacher_checkpoint', 'permute_classifier_rows', 'save_state_dict_atomically',
    'strip_paco_training_state'
]
