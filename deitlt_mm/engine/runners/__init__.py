from .iter_budget_train_loop import IterBudgetTrainLoop

__all__ = ['IterBudgetTrainLoop']
