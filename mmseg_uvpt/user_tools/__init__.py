"""What a user runs on a trained model, outside the four stages: inference on one's
own images, folders and videos (``tools/infer.py``, :mod:`.infer_files`) over the
adapted model (:mod:`.adapted_model`), and the toy demo that runs every stage on the
built-in benchmark (``tools/toy_demo.py``, :mod:`.toy_demo_run`)."""
from .adapted_model import init_adapted_segmentor, predict, set_test_scale

__all__ = ['init_adapted_segmentor', 'predict', 'set_test_scale']
