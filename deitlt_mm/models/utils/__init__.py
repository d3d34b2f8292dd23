from .checkpoint_import import (
    convert_deit_student,
    convert_paco_teacher,
    extract_state_dict,
    load_checkpoint_file,
    load_converted_state_dict,
    load_deit_student_checkpoint,
    load_teacher_checkpoint,
    save_state_dict_atomically,
    strip_paco_training_state,
)
from .multi_view_data_preprocessor import MultiViewClsDataPreprocessor

__all__ = [
    'MultiViewClsDataPreprocessor', 'convert_deit_student', 'convert_paco_teacher',
    'extract_state_dict', 'load_checkpoint_file', 'load_converted_state_dict',
    'load_deit_student_checkpoint', 'load_teacher_checkpoint', 'save_state_dict_atomically',
    'strip_paco_training_state'
]
