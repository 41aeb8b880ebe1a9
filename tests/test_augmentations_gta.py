"""Source-GtA batch augmentations: contracts, FDA maths, network loading."""
import math

import pytest
import torch

from mmseg_uvpt.augmentations import (AugmentationGroups, StyleBank, build_adain_decoder,
                                      build_gta_augmentation, build_vgg_encoder,
                                      from_rgb_pixels, low_freq_amplitude, low_freq_mask,
                                      replace_low_freq_amplitude, to_rgb_pixels,
                                      write_random_weights)
from mmseg_uvpt.augmentations.adain import adaptive_instance_norm, channel_stats
from mmseg_uvpt.augmentations.fourier import FDARandomAmplitude
from mmseg_uvpt.checkpoints import CheckpointError, atomic_save

ALBU = 'AlbumentationsAugmentation'
AUG_CFGS = {
    'fda_random': dict(type='FDARandomAmplitude', beta=0.1),
    'fda_swap': dict(type='FDAStyleSwap', beta=0.1),
    'adain': dict(type='AdaINStyleTransfer'),
    'style_augmentor': dict(type='LearntStyleAugmentor'),
    'snow': dict(type=ALBU, transform=dict(type='RandomSnow', method='texture')),
    'fog': dict(type=ALBU, transform=dict(type='RandomFog')),
    'frost': dict(type=ALBU, transform=dict(type='RandomFrost')),
    'cartoon': dict(type=ALBU, transform=dict(type='Cartoonize')),
}


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp('model')
    write_random_weights(str(folder))
    return str(folder)


def scene_batch(height=32, width=48):
    """Two different street-like images: sky, facade with windows, road; RGB 0..255."""
    img = torch.zeros(2, 3, height, width)
    img[:, :, :height // 3] = torch.tensor([120., 170., 230.])[:, None, None]
    img[:, :, height // 3:2 * height // 3] = torch.tensor([150., 110., 80.])[:, None, None]
    img[:, :, 2 * height // 3:] = torch.tensor([70., 70., 75.])[:, None, None]
    img[:, :, height // 3 + 2:2 * height // 3 - 2:4, 2::6] = 30.
    img[1] = img[1].flip(-1) * 0.5 + 20
    return img


@pytest.mark.parametrize('name', sorted(AUG_CFGS))
def test_shape_dtype_range_and_change(name, model_dir):
    torch.manual_seed(0)
    aug = build_gta_augmentation(AUG_CFGS[name], model_dir)
    img = scene_batch()
    out = aug(img.clone())
    assert out.shape == img.shape and out.dtype == img.dtype and out.device == img.device
    assert out.min() >= 0 and out.max() <= 255
    assert (out - img).abs().mean() > 1.0, f'{name} left the image (almost) unchanged'


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
@pytest.mark.parametrize('name', sorted(AUG_CFGS))
def test_runs_on_the_gpu_batch_device(name, model_dir):
    torch.manual_seed(0)
    aug = build_gta_augmentation(AUG_CFGS[name], model_dir)
    img = scene_batch().cuda()
    out = aug(img.clone())
    assert out.device == img.device and out.shape == img.shape
    assert (out - img).abs().mean() > 1.0


@pytest.mark.parametrize('name', ['fda_random', 'adain', 'style_augmentor', 'snow', 'frost'])
def test_same_seed_same_output(name, model_dir):
    outs = []
    for seed in (3, 3, 4):
        aug = build_gta_augmentation(AUG_CFGS[name], model_dir)  # fresh style bank
        torch.manual_seed(seed)
        outs.append(aug(scene_batch()))
    assert torch.equal(outs[0], outs[1])
    assert not torch.equal(outs[0], outs[2])


# ----------------------------------------------------------------------- FDA
def test_dc_only_swap_moves_channel_means():
    """With radius 0 only the DC amplitude is swapped: x - mean(x) + mean(y), by hand."""
    src = torch.tensor([[[[10., 20.], [30., 40.]]]])        # mean 25
    trg = torch.tensor([[[[100., 100.], [100., 104.]]]])   # mean 101
    mask = low_freq_mask(2, 2, radius=0)
    assert mask.sum() == 1 and mask[0, 0]
    out = replace_low_freq_amplitude(src, low_freq_amplitude(trg, mask), mask)
    assert torch.allclose(out, src + 76., atol=1e-4)


def test_fda_swap_pairs_the_two_images():
    img = scene_batch()
    aug = build_gta_augmentation(dict(type='FDAStyleSwap', beta=0.0, bank_size=0))
    out = aug(img.clone())
    means = img.mean(dim=(2, 3), keepdim=True)
    expected = img - means + means.flip(0)  # each image takes the other's channel means
    assert torch.allclose(out, expected.clamp(0, 255), atol=1e-3)


def test_random_amplitude_keeps_phase_and_high_frequencies():
    torch.manual_seed(0)
    ys, xs = torch.meshgrid(torch.arange(16.), torch.arange(12.), indexing='ij')
    pattern = 100 + 30 * torch.cos(2 * math.pi * (xs / 12 + 2 * ys / 16)) \
        + 10 * torch.sin(2 * math.pi * 5 * xs / 12) + 5 * (ys > 7).float()
    img = torch.stack([pattern, pattern * 0.5, pattern.flip(-1)])[None]
    out = FDARandomAmplitude(beta=0.2, scale_range=(0.3, 2.0)).apply(img)  # unclipped
    before, after = torch.fft.rfft2(img), torch.fft.rfft2(out)
    mask = low_freq_mask(16, 12, radius=int(0.2 * 12))
    significant = before.abs() > 1e-3 * before.abs().max()
    # every phase is kept
    phase_gap = torch.angle(after * before.conj())[significant]
    assert phase_gap.abs().max() < 1e-3
    # high frequencies untouched, low ones changed
    assert torch.allclose(after[..., ~mask], before[..., ~mask], atol=1e-2)
    assert (after[..., mask].abs() - before[..., mask].abs()).abs().max() > 1.0


def test_swap_sets_the_low_frequency_amplitude_exactly():
    torch.manual_seed(1)
    src, trg = scene_batch(16, 20).split(1)
    mask = low_freq_mask(16, 20, radius=3)
    out = replace_low_freq_amplitude(src, low_freq_amplitude(trg, mask), mask)
    assert torch.allclose(low_freq_amplitude(out, mask), low_freq_amplitude(trg, mask),
                          rtol=1e-4, atol=1e-2)
    assert not torch.allclose(low_freq_amplitude(src, mask), low_freq_amplitude(trg, mask),
                              atol=1.0)


# --------------------------------------------------------------------- AdaIN
def test_adaptive_instance_norm_takes_style_statistics():
    torch.manual_seed(0)
    feat = torch.randn(2, 4, 5, 5) * 3 + 1
    style_mean, style_std = torch.randn(2, 4), torch.rand(2, 4) + 0.5
    mean, std = channel_stats(adaptive_instance_norm(feat, style_mean, style_std))
    assert torch.allclose(mean, style_mean, atol=1e-4)
    assert torch.allclose(std, style_std, atol=1e-3)


def test_vgg_and_decoder_match_published_layer_indices():
    enc = {k.split('.')[0] for k in build_vgg_encoder().state_dict()}
    dec = {k.split('.')[0] for k in build_adain_decoder().state_dict()}
    assert enc == {'0', '2', '5', '9', '12', '16', '19', '22', '25', '29'}
    assert dec == {'1', '5', '8', '11', '14', '18', '21', '25', '28'}
    assert build_vgg_encoder()(torch.zeros(1, 3, 16, 16)).shape == (1, 512, 2, 2)


def test_adain_missing_file_is_named(tmp_path):
    with pytest.raises(CheckpointError, match=r'adain/vgg_normalised\.pth is missing'):
        build_gta_augmentation(dict(type='AdaINStyleTransfer'), str(tmp_path))


def test_adain_accepts_full_vgg_but_refuses_wrong_file(tmp_path, model_dir):
    folder = tmp_path / 'adain'
    state = build_vgg_encoder().state_dict()
    state['31.weight'] = torch.zeros(512, 512, 3, 3)  # a layer past relu4_1, as published
    atomic_save(state, str(folder / 'vgg_normalised.pth'))
    atomic_save(build_vgg_encoder().state_dict(), str(folder / 'decoder.pth'))
    with pytest.raises(CheckpointError, match='decoder.pth does not fit'):
        build_gta_augmentation(dict(type='AdaINStyleTransfer'), str(tmp_path))
    cfg = dict(type='AdaINStyleTransfer', decoder_weights=f'{model_dir}/adain/decoder.pth')
    aug = build_gta_augmentation(cfg, str(tmp_path))
    first = dict(aug.encoder.net.named_parameters())['0.weight']
    assert torch.equal(first, state['0.weight']) and not first.requires_grad


def test_style_augmentor_missing_file_is_named(tmp_path):
    with pytest.raises(CheckpointError, match=r'style_augmentor\.pth is missing'):
        build_gta_augmentation(dict(type='LearntStyleAugmentor'), str(tmp_path))


def test_write_random_weights_never_clobbers(model_dir):
    with pytest.raises(FileExistsError):
        write_random_weights(model_dir)


# ------------------------------------------------------------ helpers, groups
def test_style_bank_pairs_with_others_and_remembers():
    bank = StyleBank(size=2)
    a, b, c = (torch.full((1, 3), v) for v in (1., 2., 3.))
    assert torch.equal(bank.partners(a), a)      # nothing else yet: itself
    assert torch.equal(bank.partners(b), a)      # the remembered one
    assert len(bank) == 2
    torch.manual_seed(0)
    picks = torch.cat([bank.partners(c) for _ in range(40)])  # from the bank's {a, b} or c's
    assert set(picks[:, 0].tolist()) <= {1., 2., 3.} and 3. in picks[:, 0].tolist()
    assert torch.equal(StyleBank(0).partners(torch.cat([b, c])), torch.cat([c, b]))
    bank.partners(torch.zeros(1, 5))             # another shape: the bank restarts
    assert bank.items.shape == (1, 5)


@pytest.mark.parametrize('to_rgb', [True, False])
def test_pixel_space_round_trip(to_rgb):
    mean, std = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
    metas = [dict(img_norm_cfg=dict(mean=mean, std=std, to_rgb=to_rgb))]
    rgb = scene_batch()
    normalised = from_rgb_pixels(rgb, metas)
    assert torch.allclose(to_rgb_pixels(normalised, metas), rgb, atol=1e-3)
    channel = 0 if to_rgb else 2  # network channel (and mean/std entry) that holds red
    red = (rgb[:, 0] - mean[channel]) / std[channel]
    assert torch.allclose(normalised[:, channel], red, atol=1e-4)
    with pytest.raises(KeyError, match='img_norm_cfg'):
        to_rgb_pixels(normalised, [dict()])


def test_groups_draw_with_their_probabilities():
    groups = AugmentationGroups(
        [dict(name='a', prob=3, augs=[AUG_CFGS['fda_random']]),
         dict(name='b', prob=1, augs=[AUG_CFGS['fda_swap'], AUG_CFGS['fog']])])
    torch.manual_seed(0)
    draws = torch.tensor([groups.draw() for _ in range(2000)])
    assert abs((draws == 0).float().mean().item() - 0.75) < 0.04
    out, which = groups.apply(1, scene_batch())
    assert which in (0, 1) and out.shape == (2, 3, 32, 48)


@pytest.mark.parametrize('groups, error', [
    ([], ValueError),
    ([dict(name='a', prob=1)], KeyError),
    ([dict(name='a-b', prob=1, augs=[AUG_CFGS['fog']])], ValueError),
    ([dict(name='a', prob=0, augs=[AUG_CFGS['fog']])], ValueError),
    ([dict(name='a', prob=1, augs=[dict(type='NoSuchAug')])], KeyError),
    ([dict(name='a', prob=1, augs=[dict(type=ALBU, transform=dict(type='NoSuch'))])], KeyError),
])
def test_bad_group_configs_are_refused(groups, error):
    with pytest.raises(error):
        AugmentationGroups(groups)


def test_groups_without_augs_refuse_to_apply():
    groups = AugmentationGroups([dict(name='a', prob=1, augs=[dict(type='NoSuchAug')])],
                                build_augs=False)
    assert len(groups) == 1
    with pytest.raises(RuntimeError, match='inference only'):
        groups.apply(0, scene_batch())
