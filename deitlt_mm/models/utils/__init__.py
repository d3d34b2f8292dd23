from .checkpoint_import import (
    classifier_layer,
    convert_deit_student,
    convert_paco_teacher,
    extract_state_dict,
    load_checkpoint_file,
    load_converted_state_dict,
    load_deit_student_checkpoint,
    load_model_checkpoint,
    load_teacher_checkpoint,
    permute_classifier_rows,
    save_state_dict_atomically,
)
from .in_place_mixup import InPlaceMixup

__all__ = [
    'InPlaceMixup', 'classifier_layer', 'convert_deit_student', 'convert_paco_teacher',
    'extract_state_dict',
    'load_checkpoint_file', 'load_converted_state_dict', 'load_deit_student_checkpoint',
    'load_model_checkpoint', 'load_teacher_checkpoint', 'permute_classifier_rows',
    'save_state_dict_atomically'
]
