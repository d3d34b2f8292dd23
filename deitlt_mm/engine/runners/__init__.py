from .iter_budget_train_loop import IterBudgetTrainLoop
from .run_instances import released_run_instances

__all__ = ['IterBudgetTrainLoop', 'released_run_instances']
