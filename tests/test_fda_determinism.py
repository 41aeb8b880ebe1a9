"""FDA's output is a function of its input and its random draw alone, on any machine.

Smooth images have exactly-zero bins inside the FDA window. A float32 FFT returns
rounding noise there, whose sign depends on the FFT's code path (MKL's AVX-512 and
AVX2 kernels differ), and FDA puts a large amplitude on that bin's phase. These tests
run FDA on such images under two MKL code paths, and under simulated rounding noise,
and find the same images; and check that the conjugate pairs rfft2 stores twice are
written as one pair.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmseg_uvpt.augmentations import (FDANoiseAmplitude, FDARandomAmplitude, FDAStyleSwap,
                                      conjugate_partners, low_freq_mask)
from mmseg_uvpt.augmentations.fourier import NEGLIGIBLE_AMPLITUDE, fda_radius

# pixels are in [0, 255]: 1e-3 is float32 FFT round-off, far below a grey level, and far
# below what one rounding-noise phase moved before (up to 139 grey levels)
TOL = 1e-3


def zero_bin_batch(height=40, width=48):
    """Two smooth images (ramps and a horizontal sine) with exactly-zero window bins."""
    ys, xs = torch.meshgrid(torch.arange(float(height)), torch.arange(float(width)),
                            indexing='ij')
    one = torch.stack([60 + 2 * ys, 200 - 3 * xs, 100 + 40 * torch.sin(xs / 5)])
    return torch.stack([one, one.flip(-1) * 0.7 + 30])


def test_the_batch_has_exactly_zero_bins_inside_the_window():
    img = zero_bin_batch()
    mask = low_freq_mask(40, 48, fda_radius(40, 48, 0.1))
    exact = torch.fft.rfft2(img.double(), norm='ortho')[..., mask].abs()
    norms = img.double().flatten(-2).norm(dim=-1, keepdim=True)
    assert (exact < 1e-9 * norms).sum() >= 10  # e.g. channel 0's ramp in y: k_x != 0


def run_all_fda(img, style_dir=None):
    """Each FDA on ``img`` as a batch and image by image, each with a fixed draw."""
    augs = dict(noise=FDANoiseAmplitude(beta=0.1),
                scale=FDARandomAmplitude(beta=0.1, scale_range=(0.3, 2.0)))
    if style_dir is not None:
        augs['style'] = FDAStyleSwap(beta=0.1, style_dir=style_dir)
    out = {}
    for name, aug in augs.items():
        torch.manual_seed(7)
        out[f'{name}/batch'] = aug.apply(img)
        for i in range(img.size(0)):
            torch.manual_seed(11 + i)
            out[f'{name}/{i}'] = aug.apply(img[i:i + 1])[0]
    return out


def write_style(folder):
    from PIL import Image
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)).save(
        os.path.join(folder, 'only.png'))


def test_rounding_noise_on_zero_bins_does_not_change_the_output(monkeypatch):
    """Another FFT code path, simulated: every bin moves by up to 1e-9 of the image's
    norm, with random signs (7e-6 here, where the zero bins' noise seen on AVX-512 was
    ~1e-7)."""
    img = zero_bin_batch()
    clean = run_all_fda(img)
    rfft2 = torch.fft.rfft2
    gen = torch.Generator().manual_seed(0)

    def noisy_rfft2(x, *args, **kwargs):
        spectrum = rfft2(x, *args, **kwargs)
        scale = 1e-9 * x.flatten(-2).norm(dim=-1)[..., None, None]
        noise = torch.complex(torch.rand(spectrum.shape, generator=gen) - 0.5,
                              torch.rand(spectrum.shape, generator=gen) - 0.5)
        return spectrum + 2 * scale * noise

    monkeypatch.setattr(torch.fft, 'rfft2', noisy_rfft2)
    noisy = run_all_fda(img)
    for key in clean:
        assert (clean[key] - noisy[key]).abs().max() < TOL, key


_SCRIPT = """
import json, sys, torch
sys.path.insert(0, {tests!r})
from test_fda_determinism import run_all_fda, zero_bin_batch
out = run_all_fda(zero_bin_batch(), {style_dir!r})
torch.save(out, {path!r})
print(json.dumps(dict(mkl=torch.backends.mkl.is_available())))
"""


def fda_in_subprocess(tmp_path, name, instructions):
    env = dict(os.environ)
    env.pop('MKL_ENABLE_INSTRUCTIONS', None)
    if instructions:
        env['MKL_ENABLE_INSTRUCTIONS'] = instructions
    path = str(tmp_path / f'{name}.pt')
    code = _SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__)),
                          style_dir=str(tmp_path), path=path)
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(path), json.loads(proc.stdout.strip().splitlines()[-1])


def test_same_images_under_two_mkl_code_paths(tmp_path):
    """The default path (AVX-512 where the CPU has it) against SSE4.2: the same images,
    image by image and as a batch. A CPU without AVX-512 compares AVX2 against SSE4.2,
    so it still catches a regression where its two paths round differently."""
    write_style(str(tmp_path))
    default, info = fda_in_subprocess(tmp_path, 'default', None)
    sse, _ = fda_in_subprocess(tmp_path, 'sse42', 'SSE4_2')
    assert info['mkl'], 'torch without MKL: this test compares MKL code paths'
    assert set(default) == set(sse) and len(default) == 9
    for key in default:
        assert (default[key] - sse[key]).abs().max() < TOL, key
    # the style swap has no draw: each image alone equals its row of the batch
    for i in range(2):
        assert (default['style/batch'][i] - default[f'style/{i}']).abs().max() < TOL


@pytest.mark.parametrize('height,width', [(6, 6), (7, 5)])
def test_conjugate_partners_by_hand(height, width):
    mask = low_freq_mask(height, width, radius=3)  # every bin of these small spectra
    partners, mirrored = conjugate_partners(mask, width)
    rows, cols = torch.nonzero(mask, as_tuple=True)
    bins = list(zip(rows.tolist(), cols.tolist()))
    partner_of = {bins[i]: bins[j] for i, j in enumerate(partners.tolist())}
    if (height, width) == (6, 6):  # even W: k_x = 0 and the Nyquist column k_x = 3
        assert partner_of[(1, 0)] == (5, 0) and partner_of[(5, 0)] == (1, 0)
        assert partner_of[(3, 0)] == (3, 0) and partner_of[(0, 0)] == (0, 0)
        assert partner_of[(2, 3)] == (4, 3)
        assert partner_of[(1, 1)] == (1, 1) and partner_of[(4, 2)] == (4, 2)
        assert mirrored.sum() == 12
    else:  # odd W: only k_x = 0 mirrors itself
        assert partner_of[(1, 0)] == (6, 0) and partner_of[(3, 0)] == (4, 0)
        assert partner_of[(2, 2)] == (2, 2)
        assert mirrored.sum() == 7


@pytest.mark.parametrize('width', [12, 13])
def test_random_amplitude_scales_each_conjugate_pair_by_one_factor(width):
    rng = np.random.default_rng(1)
    img = torch.from_numpy(rng.uniform(0, 255, (2, 3, 10, width)).astype(np.float32))
    # radius 6 covers the whole spectrum, the Nyquist column of W = 12 included
    aug = FDARandomAmplitude(beta=0.6, scale_range=(0.2, 3.0))
    torch.manual_seed(3)
    out = aug.apply(img)
    torch.manual_seed(3)
    mask = low_freq_mask(10, width, 6)
    drawn = 0.2 + 2.8 * torch.rand(2, 3, int(mask.sum()))  # the same draw, by hand
    before = torch.fft.rfft2(img.double(), norm='ortho')[..., mask]
    after = torch.fft.rfft2(out.double(), norm='ortho')[..., mask]
    partners, mirrored = conjugate_partners(mask, width)
    # each pair takes the factor drawn for its first stored member, not a mean of two
    first = torch.minimum(partners, torch.arange(partners.numel()))
    assert torch.allclose(after.abs() / before.abs(), drawn[..., first].double(), rtol=1e-4)
    assert not torch.allclose(drawn[..., first], drawn)  # pairs did draw two numbers
    assert mirrored.sum() == (20 if width == 12 else 10)
    # every phase is kept
    assert torch.angle(after * before.conj()).abs().max() < 1e-3


def test_negligible_bins_get_phase_zero_and_others_keep_theirs():
    from mmseg_uvpt.augmentations.fourier import defined_phase
    img = torch.full((1, 1, 4, 4), 10.0)  # norm 40
    low = torch.tensor([[[1e-5 + 0j, -1e-5 - 1e-7j, 0j, -3.0 + 0j, 0.1j]]])
    phase = defined_phase(low, img)
    cut = NEGLIGIBLE_AMPLITUDE * 40  # 4e-4
    assert cut == pytest.approx(4e-4)
    expected = torch.tensor([[[0.0, 0.0, 0.0, np.pi, np.pi / 2]]])
    assert torch.allclose(phase, expected)
