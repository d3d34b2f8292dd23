from .atomic_checkpoint_hook import AtomicCheckpointHook
from .best_numbers_hook import BestNumbersHook
from .drw_hook import DRWHook
from .epoch_accumulation_hook import EpochAccumulationHook
from .non_finite_check_hook import NonFiniteCheckHook
from .num_classes_check_hook import NumClassesCheckHook
from .preemption_checkpoint_hook import PreemptionCheckpointHook
from .rank_phase_hook import RankPhaseHook
from .reseed_hook import ReseedHook
from .sam_rho_hook import SAMRhoHook
from .train_class_counts_hook import TrainClassCountsHook

__all__ = [
    'AtomicCheckpointHook', 'BestNumbersHook', 'DRWHook', 'EpochAccumulationHook',
    'NonFiniteCheckHook', 'NumClassesCheckHook', 'PreemptionCheckpointHook', 'RankPhaseHook',
    'ReseedHook',
    'SAMRhoHook', 'TrainClassCountsHook'
]
