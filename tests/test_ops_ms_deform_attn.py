"""Multi-scale deformable attention: both sampling paths against an independent
float64 reference (forward and gradients), path selection, and the module's init."""
import math

import pytest
import torch

from mmseg_uvpt.ops import MSDeformAttn, cuda_kernel_available, multi_scale_deform_attn
from mmseg_uvpt.ops.ms_deform_attn_func import resolve_impl

SHAPES = [(6, 5), (3, 4), (2, 1)]


def reference_sampling(value, shapes, locations, weights):
    """Bilinear sampling by explicit corner gathers (zero outside the map, pixel
    centres at (i + 0.5) / size), written independently of ``grid_sample``."""
    B, _, heads, dims = value.shape
    _, Lq, _, L, P, _ = locations.shape
    out = value.new_zeros(B, Lq, heads, dims)
    start = 0
    for lvl, (h, w) in enumerate(shapes):
        v = value[:, start:start + h * w]  # B, hw, heads, dims
        start += h * w
        x = locations[:, :, :, lvl, :, 0] * w - 0.5  # B, Lq, heads, P
        y = locations[:, :, :, lvl, :, 1] * h - 0.5
        x0, y0 = x.floor(), y.floor()
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            xi, yi = x0 + dx, y0 + dy
            corner_w = (1 - (x - xi).abs()) * (1 - (y - yi).abs())
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            idx = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).long()  # B, Lq, heads, P
            # gather v[b, idx, head, :]
            v_h = v.permute(0, 2, 1, 3)  # B, heads, hw, dims
            idx_h = idx.permute(0, 2, 1, 3).reshape(B, heads, Lq * P, 1).expand(-1, -1, -1, dims)
            sampled = v_h.gather(2, idx_h).view(B, heads, Lq, P, dims).permute(0, 2, 1, 3, 4)
            coeff = (corner_w * inside * weights[:, :, :, lvl]).unsqueeze(-1)
            out = out + (coeff * sampled).sum(3)
    return out.flatten(2)


def random_inputs(dtype, device='cpu', B=2, Lq=7, heads=2, dims=3, P=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    Lv = sum(h * w for h, w in SHAPES)
    value = torch.randn(B, Lv, heads, dims, generator=g)
    # Locations beyond [0, 1] exercise the zero padding.
    locations = torch.rand(B, Lq, heads, len(SHAPES), P, 2, generator=g) * 1.4 - 0.2
    weights = torch.rand(B, Lq, heads, len(SHAPES), P, generator=g)
    return [t.to(device=device, dtype=dtype).requires_grad_() for t in (value, locations, weights)]


def rel_err(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def check_against_reference(impl, device):
    inputs32 = random_inputs(torch.float32, device)
    inputs64 = [t.detach().double().requires_grad_() for t in inputs32]
    out = multi_scale_deform_attn(inputs32[0], SHAPES, *inputs32[1:], impl=impl)
    ref = reference_sampling(inputs64[0], SHAPES, *inputs64[1:])
    assert out.shape == ref.shape == (2, 7, 6)
    assert rel_err(out, ref) < 1e-5
    grad_out = torch.randn_like(ref)
    out.backward(grad_out.float())
    ref.backward(grad_out)
    for name, t32, t64 in zip(('value', 'locations', 'weights'), inputs32, inputs64):
        assert t64.grad.abs().sum() > 0, name
        assert rel_err(t32.grad, t64.grad) < 1e-5, name
    return out


def test_reference_is_bilinear_by_hand():
    # One 2x2 level, values 1..4, one query at the map centre: mean of the four.
    value = torch.arange(1., 5.).view(1, 4, 1, 1).double()
    loc = torch.full((1, 1, 1, 1, 1, 2), 0.5).double()
    w = torch.ones(1, 1, 1, 1, 1).double()
    assert reference_sampling(value, [(2, 2)], loc, w).item() == pytest.approx(2.5)
    # On pixel (1, 0)'s centre: x = 0.75, y = 0.25 → value 2; half the weight → 1.
    loc = torch.tensor([0.75, 0.25]).view(1, 1, 1, 1, 1, 2).double()
    got = multi_scale_deform_attn(value.float(), [(2, 2)], loc.float(), 0.5 * w.float())
    assert got.item() == pytest.approx(1.0)


def test_pytorch_path_matches_float64_reference():
    check_against_reference('pytorch', 'cpu')


def test_bf16_path_close_to_fp32():
    value, loc, w = (t.detach() for t in random_inputs(torch.float32))
    out32 = multi_scale_deform_attn(value, SHAPES, loc, w, impl='pytorch')
    out16 = multi_scale_deform_attn(value.bfloat16(), SHAPES, loc, w.bfloat16(), impl='pytorch')
    assert out16.dtype == torch.bfloat16
    assert rel_err(out16, out32) < 2e-2


def test_impl_selection_and_errors():
    value = torch.zeros(1, 3, 1, 2)
    assert resolve_impl('auto', value) == 'pytorch'
    assert resolve_impl('pytorch', value) == 'pytorch'
    with pytest.raises(ValueError, match='impl'):
        resolve_impl('triton', value)
    if not cuda_kernel_available():
        with pytest.raises(RuntimeError, match='impl=.cuda.'):
            resolve_impl('cuda', value)
    with pytest.raises(ValueError, match='spatial_shapes'):
        multi_scale_deform_attn(value, [(2, 2)], torch.zeros(1, 1, 1, 1, 1, 2),
                                torch.zeros(1, 1, 1, 1, 1))


@pytest.mark.gpu
@pytest.mark.skipif(not (torch.cuda.is_available() and cuda_kernel_available()),
                    reason='needs a GPU and mmcv built with CUDA ops')
def test_cuda_kernel_matches_reference_and_grid_sample():
    value = torch.zeros(1, 3, 1, 2, device='cuda')
    assert resolve_impl('auto', value) == 'cuda'
    assert resolve_impl('auto', value.bfloat16()) == 'cuda'
    kernel = check_against_reference('cuda', 'cuda')
    grid = check_against_reference('pytorch', 'cuda')
    assert rel_err(kernel, grid) < 1e-6
    # bf16 inputs are sampled in fp32 by the kernel, like the grid_sample path
    value, loc, w = (t.detach() for t in random_inputs(torch.float32, 'cuda'))
    out_kernel = multi_scale_deform_attn(value.bfloat16(), SHAPES, loc, w.bfloat16(),
                                         impl='cuda')
    out_grid = multi_scale_deform_attn(value.bfloat16(), SHAPES, loc, w.bfloat16(),
                                       impl='pytorch')
    assert out_kernel.dtype == torch.bfloat16
    assert rel_err(out_kernel.float(), out_grid.float()) < 1e-2


def test_module_init_is_radial_grid():
    attn = MSDeformAttn(d_model=16, n_levels=2, n_heads=8, n_points=2, ratio=0.5)
    assert attn.value_proj.out_features == 8 and attn.output_proj.in_features == 8
    assert attn.sampling_offsets.weight.abs().sum() == 0
    assert attn.attention_weights.weight.abs().sum() == 0
    assert attn.attention_weights.bias.abs().sum() == 0
    assert attn.value_proj.bias.abs().sum() == 0 and attn.output_proj.bias.abs().sum() == 0
    bias = attn.sampling_offsets.bias.view(8, 2, 2, 2)  # heads, levels, points, xy
    # Head h points along 2πh/8, scaled so its larger component is 1; point k at k+1.
    expected_dirs = torch.tensor([[1, 0], [1, 1], [0, 1], [-1, 1],
                                  [-1, 0], [-1, -1], [0, -1], [1, -1]], dtype=torch.float)
    for k in range(2):
        for lvl in range(2):
            assert torch.allclose(bias[:, lvl, k], (k + 1) * expected_dirs, atol=1e-6)
    # Xavier-uniform bound sqrt(6 / (fan_in + fan_out)).
    bound = math.sqrt(6 / (16 + 8))
    assert attn.value_proj.weight.abs().max() <= bound
    assert attn.value_proj.weight.std() > bound / 3


def test_module_at_init_averages_a_constant_value_map():
    # All sampling points inside the map and a constant value map: every bilinear
    # sample is the constant, so the output is output_proj(value_proj(constant)).
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=8, n_levels=1, n_heads=2, n_points=2, ratio=0.5)
    h = w = 12
    const = torch.randn(8)
    value_tokens = const.expand(1, h * w, 8)
    query = torch.randn(1, 3, 8)
    refs = torch.full((1, 3, 1, 2), 0.5)
    out = attn(query, refs, value_tokens, torch.tensor([[h, w]]))
    expected = attn.output_proj(attn.value_proj(const))
    assert torch.allclose(out, expected.expand_as(out), atol=1e-6)


def test_module_matches_reference_with_gradients():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=12, n_levels=3, n_heads=2, n_points=2, ratio=1.0,
                        impl='pytorch')
    torch.nn.init.normal_(attn.sampling_offsets.weight, std=0.5)
    torch.nn.init.normal_(attn.attention_weights.weight, std=0.5)
    Lv = sum(h * w for h, w in SHAPES)
    query, value_tokens = torch.randn(2, 5, 12), torch.randn(2, Lv, 12)
    refs = torch.rand(2, 5, 3, 2)
    out = attn(query, refs, value_tokens, torch.tensor(SHAPES))
    assert out.shape == (2, 5, 12)

    # Same computation with the float64 reference sampler.
    a64 = MSDeformAttn(12, 3, 2, 2, 1.0).double()
    a64.load_state_dict(attn.state_dict())
    q64, v64 = query.double(), value_tokens.double()
    offsets = a64.sampling_offsets(q64).view(2, 5, 2, 3, 2, 2)
    norm = torch.tensor([(w, h) for h, w in SHAPES], dtype=torch.float64)
    loc = refs.double()[:, :, None, :, None, :] + offsets / norm[None, None, None, :, None, :]
    wts = a64.attention_weights(q64).view(2, 5, 2, 6).softmax(-1).view(2, 5, 2, 3, 2)
    ref = a64.output_proj(reference_sampling(a64.value_proj(v64).view(2, Lv, 2, 6),
                                             SHAPES, loc, wts))
    assert rel_err(out, ref) < 1e-5
    out.square().sum().backward()
    ref.square().sum().backward()
    for (name, p), p64 in zip(attn.named_parameters(), a64.parameters()):
        assert rel_err(p.grad, p64.grad) < 1e-5, name


def test_module_rejects_bad_head_split():
    with pytest.raises(ValueError, match='divisible by n_heads'):
        MSDeformAttn(d_model=20, n_levels=1, n_heads=3, n_points=4, ratio=0.5)
