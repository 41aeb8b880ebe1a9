"""mmcv's deformable-attention CUDA kernel against the ``grid_sample`` path and an
independent float64 reference, forward and backward, in fp32 and with bf16 inputs,
at the small shapes of ``test_ops_ms_deform_attn`` and at an adapter's real shapes.
Needs a GPU and mmcv built with CUDA ops (``tools/gpu_check.sh`` runs these)."""
import pytest
import torch

from mmseg_uvpt.ops import cuda_kernel_available, multi_scale_deform_attn
from test_ops_ms_deform_attn import SHAPES, reference_sampling, rel_err

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not (torch.cuda.is_available() and cuda_kernel_available()),
                       reason='needs a GPU and mmcv built with CUDA ops'),
]

# the 1/8, 1/16, 1/32 maps of a 512x512 crop and the 1/8 queries, 8 heads of 32
# channels, 4 points: what the prompt adapter's interactors sample
DEVICE = 'cuda'
ADAPTER = dict(shapes=[(64, 64), (32, 32), (16, 16)], B=2, Lq=64 * 64, heads=8, dims=32,
               P=4)


def make_inputs(shapes, B, Lq, heads, dims, P, dtypes, seed=0):
    """value, locations, weights on the GPU in ``dtypes`` (leaf tensors with grads);
    locations reach past [0, 1] so the zero padding is exercised."""
    g = torch.Generator().manual_seed(seed)
    Lv = sum(h * w for h, w in shapes)
    tensors = (torch.randn(B, Lv, heads, dims, generator=g),
               torch.rand(B, Lq, heads, len(shapes), P, 2, generator=g) * 1.4 - 0.2,
               torch.rand(B, Lq, heads, len(shapes), P, generator=g))
    return [t.to(DEVICE, dtype).requires_grad_() for t, dtype in zip(tensors, dtypes)]


def run(impl, inputs, shapes, grad_out):
    out = multi_scale_deform_attn(inputs[0], shapes, *inputs[1:], impl=impl)
    out.backward(grad_out.to(out.dtype))
    return out.detach(), [t.grad for t in inputs]


def reference(inputs, shapes, grad_out):
    """The float64 reference on exactly the (possibly bf16-rounded) inputs."""
    inputs64 = [t.detach().double().requires_grad_() for t in inputs]
    out = reference_sampling(inputs64[0], shapes, *inputs64[1:])
    out.backward(grad_out.double())
    return out.detach(), [t.grad for t in inputs64]


def compare(shapes, size, dtypes, tol_ref, tol_paths, skip_grads=()):
    grad_out = torch.randn(size['B'], size['Lq'], size['heads'] * size['dims'],
                           generator=torch.Generator().manual_seed(1)).to(DEVICE)
    grad_out = grad_out.to(dtypes[0]).float()  # the same rounded gradient for all
    inputs = make_inputs(shapes, **size, dtypes=dtypes)
    kernel = run('cuda', inputs, shapes, grad_out)
    ref = reference(inputs, shapes, grad_out)
    assert kernel[0].dtype == dtypes[0]
    assert rel_err(kernel[0], ref[0]) < tol_ref
    for name, k, r, dtype in zip(('value', 'locations', 'weights'), kernel[1], ref[1],
                                 dtypes):
        assert k.dtype == dtype, name
        if name in skip_grads:
            continue
        assert r.abs().sum() > 0, name
        assert rel_err(k, r) < tol_ref, name
    if tol_paths is None:
        return
    grid = run('pytorch', make_inputs(shapes, **size, dtypes=dtypes), shapes, grad_out)
    assert rel_err(kernel[0], grid[0]) < tol_paths
    for name, k, g in zip(('value', 'locations', 'weights'), kernel[1], grid[1]):
        assert rel_err(k, g) < tol_paths, name


SMALL = dict(B=2, Lq=7, heads=2, dims=3, P=3)
FP32 = (torch.float32, ) * 3
# under bf16 autocast the module gives bf16 values and fp32 locations and weights
BF16 = (torch.bfloat16, torch.float32, torch.float32)


def test_small_fp32_forward_backward():
    compare(SHAPES, SMALL, FP32, tol_ref=1e-5, tol_paths=1e-5)


def test_small_bf16_forward_backward():
    # both paths sample in fp32; only the output and the value gradient are rounded
    # to bf16 (relative step 2^-8)
    compare(SHAPES, SMALL, BF16, tol_ref=8e-3, tol_paths=8e-3)


def test_adapter_shapes_fp32_forward_backward():
    # 16 k queries x 672 samples: the value gradient sums thousands of atomic adds
    compare(ADAPTER['shapes'], {k: v for k, v in ADAPTER.items() if k != 'shapes'},
            FP32, tol_ref=1e-5, tol_paths=1e-5)


def test_adapter_shapes_bf16_forward_backward():
    compare(ADAPTER['shapes'], {k: v for k, v in ADAPTER.items() if k != 'shapes'},
            BF16, tol_ref=8e-3, tol_paths=8e-3)


def test_all_bf16_inputs_are_sampled_in_fp32():
    # bf16 locations too (a caller that casts everything): the kernel samples the
    # bf16-rounded locations in fp32, so its output and value/weight gradients match
    # the reference on those inputs. Not compared: the location gradients (coarse
    # bf16 locations often land exactly on a pixel centre, where the bilinear slope
    # jumps and fp32 and float64 may take either side), and the grid_sample path
    # (with every input in bf16 it computes the grid 2x - 1 in bf16, a fraction of a
    # pixel elsewhere).
    compare(SHAPES, SMALL, (torch.bfloat16, ) * 3, tol_ref=8e-3, tol_paths=None,
            skip_grads=('locations', ))
