from . import adapters, backbones, decode_heads, losses, segmentors  # noqa: F401
