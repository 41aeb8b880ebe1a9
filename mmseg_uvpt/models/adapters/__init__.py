from .conv_ffn import ConvFFN
from .interactor import Extractor, Injector, Interactor, reference_points
from .prompt_adapter import PromptAdapter, PromptHandover
from .prompt_generator import PromptGenerator

__all__ = ['ConvFFN', 'Extractor', 'Injector', 'Interactor', 'PromptAdapter',
           'PromptGenerator', 'PromptHandover', 'reference_points']
