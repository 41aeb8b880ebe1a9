"""Sampling core of multi-scale deformable attention, with two interchangeable paths.

* ``'pytorch'``: mmcv's ``multi_scale_deformable_attn_pytorch`` (bilinear
  ``F.grid_sample`` per level). Runs on every device and dtype (CPU, GPU, bf16).
* ``'cuda'``: mmcv's compiled kernel ``MultiScaleDeformableAttnFunction``. Only when
  mmcv was built with CUDA ops and the input is on the GPU. The kernel has no bf16
  variant (and its fp16 one accumulates in fp16), so low-precision inputs are sampled
  in fp32, as the ``grid_sample`` path does, and only the result is cast back: under
  bf16 autocast the fast kernel keeps running instead of falling back.
* ``'auto'``: the kernel where it can run, the ``grid_sample`` path otherwise.

Both paths sample with ``align_corners=False`` semantics and zero padding: a
normalised location (x, y) in [0, 1] maps to pixel coordinate (x·W − 0.5, y·H − 0.5).
"""
from functools import lru_cache

import torch
from mmcv.ops.multi_scale_deform_attn import (MultiScaleDeformableAttnFunction,
                                              multi_scale_deformable_attn_pytorch)

IMPLS = ('auto', 'pytorch', 'cuda')


@lru_cache(maxsize=1)
def cuda_kernel_available():
    """Whether mmcv's deformable-attention CUDA kernel can be used in this process."""
    if not torch.cuda.is_available():
        return False
    from mmcv.ops import get_compiling_cuda_version
    # A CPU-only mmcv build reports 'not available' and has no CUDA kernels.
    return get_compiling_cuda_version() != 'not available'


def shapes_as_tuples(spatial_shapes):
    """``[(h, w), ...]`` as Python ints from a ``[L, 2]`` tensor or a sequence.

    The ``grid_sample`` path only needs the shapes on the host; passing Python ints
    avoids one device synchronisation per level.
    """
    if torch.is_tensor(spatial_shapes):
        spatial_shapes = spatial_shapes.tolist()
    return [(int(h), int(w)) for h, w in spatial_shapes]


def shapes_as_tensors(spatial_shapes, device):
    """``(spatial_shapes [L, 2], level_start_index [L])`` as long tensors on ``device``."""
    shapes = torch.as_tensor(shapes_as_tuples(spatial_shapes), dtype=torch.long,
                             device=device)
    areas = shapes.prod(1)
    level_start_index = torch.cat((areas.new_zeros(1), areas.cumsum(0)[:-1]))
    return shapes, level_start_index


def resolve_impl(impl, value):
    """The path (``'pytorch'`` or ``'cuda'``) that ``impl`` selects for ``value``."""
    if impl not in IMPLS:
        raise ValueError(f'deformable attention impl must be one of {IMPLS}, got {impl!r}')
    kernel_fits = value.is_cuda and value.is_floating_point()
    if impl == 'cuda':
        if not cuda_kernel_available():
            raise RuntimeError("impl='cuda' needs mmcv built with CUDA ops and a GPU; "
                               "use impl='pytorch' or 'auto'")
        if not kernel_fits:
            raise RuntimeError("impl='cuda' needs floating-point CUDA tensors, got "
                               f'{value.dtype} on {value.device}')
        return 'cuda'
    if impl == 'auto' and kernel_fits and cuda_kernel_available():
        return 'cuda'
    return 'pytorch'


def multi_scale_deform_attn(value, spatial_shapes, sampling_locations, attention_weights,
                            level_start_index=None, impl='auto', im2col_step=64):
    """Bilinear multi-scale deformable sampling, weighted and summed over levels × points.

    Args:
        value (Tensor): ``[B, Lv, heads, head_dim]``, the levels' tokens concatenated
            in row-major order.
        spatial_shapes (Tensor | Sequence): ``[L, 2]`` (h, w) of each value level.
        sampling_locations (Tensor): ``[B, Lq, heads, L, P, 2]`` normalised (x, y).
        attention_weights (Tensor): ``[B, Lq, heads, L, P]``.
        level_start_index (Tensor, optional): ``[L]`` start of each level in ``value``;
            derived from ``spatial_shapes`` when None.
        impl (str): ``'auto'``, ``'pytorch'`` or ``'cuda'`` (see module docstring).
        im2col_step (int): batch chunk of the CUDA kernel.

    Returns:
        Tensor: ``[B, Lq, heads * head_dim]``.
    """
    shapes = shapes_as_tuples(spatial_shapes)
    if sum(h * w for h, w in shapes) != value.shape[1]:
        raise ValueError(f'value has {value.shape[1]} tokens but spatial_shapes {shapes} '
                         f'cover {sum(h * w for h, w in shapes)}')
    if resolve_impl(impl, value) == 'pytorch':
        # Sample in the wider of the two dtypes: bf16 locations would be off by up to
        # half a pixel on a 256-wide map, so bf16 values with fp32 locations are
        # sampled in fp32 and only the result goes back to bf16.
        dtype = torch.promote_types(value.dtype, sampling_locations.dtype)
        out = multi_scale_deformable_attn_pytorch(
            value.to(dtype), shapes, sampling_locations.to(dtype),
            attention_weights.to(dtype))
        return out.to(value.dtype)
    if not torch.is_tensor(spatial_shapes) or level_start_index is None:
        spatial_shapes, level_start_index = shapes_as_tensors(shapes, value.device)
    out = MultiScaleDeformableAttnFunction.apply(
        value.float().contiguous(), spatial_shapes.to(value.device),
        level_start_index.to(value.device), sampling_locations.float().contiguous(),
        attention_weights.float().contiguous(), im2col_step)
    return out.to(value.dtype)
