from .prediction_consistency_loss import PredictionConsistencyLoss, mix_probabilities
from .prompt_consistency_loss import PromptConsistencyLoss
from .self_training_loss import SelfTrainingLoss, normalized_entropy_power

__all__ = ['PredictionConsistencyLoss', 'PromptConsistencyLoss', 'SelfTrainingLoss',
           'mix_probabilities', 'normalized_entropy_power']
