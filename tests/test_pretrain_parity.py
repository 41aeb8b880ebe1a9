"""Source pretraining follows the reference release: the resolved values of the 8
pretraining configs, and each Source-GtA setting checked on fixed inputs against
values worked out by hand from the release's definitions (docs/fidelity.md,
"Source pretraining")."""
import math
import os.path as osp
from collections import Counter

import numpy as np
import pytest
import torch
from mmcv import Config
from mmcv.runner import build_optimizer
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the project's components)
from mmseg.models import build_loss, build_segmentor
from mmseg_uvpt.augmentations import (AugmentationGroups, StyleAugmentorNet,
                                      StylePredictorNet, build_gta_augmentation,
                                      convert_style_augmentation_files, write_random_weights)
from mmseg_uvpt.augmentations.adain import adaptive_instance_norm, channel_stats
from mmseg_uvpt.augmentations.fourier import fda_radius, low_freq_mask
from mmseg_uvpt.augmentations.imgaug_ports import (CartoonStylize, CorruptionFrost,
                                                   CorruptionSnow, streak_kernel,
                                                   whiten_for_snow)
from mmseg_uvpt.augmentations.style_images import resize_shorter_side
from mmseg_uvpt.checkpoints import CheckpointError
from mmseg_uvpt.launch.jobs import STAGES

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN = STAGES['pretrain'].run_names()
# the release's Source-GtA class weights (Cityscapes train-id order)
RELEASE_CLASS_WEIGHT = [
    0.8373, 0.918, 0.866, 1.0345, 1.0166, 0.9969, 0.9754, 1.0489, 0.8786, 1.0023,
    0.9539, 0.9843, 1.1116, 0.9037, 1.0865, 1.0955, 1.0865, 1.1529, 1.0507]
# the release's seven augmented images, by group of this project
RELEASE_AUGS = {'fourier': ['FDANoiseAmplitude', 'FDAStyleSwap'],
                'adain': ['AdaINStyleTransfer'],
                'style_augmentor': ['LearntStyleAugmentor'],
                'weather': ['CorruptionSnow', 'CorruptionFrost'],
                'cartoon': ['CartoonStylize']}


def load(name):
    return Config.fromfile(osp.join(REPO, STAGES['pretrain'].config_path(name)))


def step_types(pipeline):
    return [s['type'] for s in pipeline]


def aug_type(cfg):
    return cfg['transform']['type'] if cfg['type'] == 'AlbumentationsAugmentation' \
        else cfg['type']


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp('model'))
    write_random_weights(folder)
    return folder


# ------------------------------------------------------------ resolved configs
@pytest.mark.parametrize('name', PRETRAIN)
def test_pretrain_configs_resolve_to_the_release_settings(name):
    cfg = load(name)
    gta = '_source-gta_' in name
    pipeline = cfg.data.train.pipeline
    crop = next(s for s in pipeline if s['type'] == 'RandomCrop')
    assert crop.cat_max_ratio == 0.75 and crop.crop_size == (512, 512)
    assert ('PhotoMetricDistortion' in step_types(pipeline)) is not gta
    assert step_types(pipeline)[:5] == ['LoadImageFromFile', 'LoadAnnotations', 'Resize',
                                        'RandomCrop', 'RandomFlip']
    # warm-up (1500 linear iterations for standard runs, none for Source-GtA) and poly
    # decay: the LR the runner applies is checked in tests/test_runner_lr.py
    # weight decay: mmcv's default rules, so the 'head' key exempts head norms from
    # norm_decay_mult (checked on built parameter groups below)
    opt = cfg.optimizer
    assert (opt.type, opt.weight_decay, opt.constructor) == (
        'AdamW', 0.01, 'DefaultOptimizerConstructor')
    assert opt.paramwise_cfg == dict(norm_decay_mult=0.0,
                                     custom_keys=dict(head=dict(lr_mult=10.0)))
    if not gta:
        assert cfg.model.type == 'EncoderDecoder'
        assert cfg.model.decode_head.loss_decode.get('class_weight') is None
        return
    model = cfg.model
    assert model.train_cfg.class_weight_file is None and model.aug_head is None
    assert model.train_cfg.class_weight == RELEASE_CLASS_WEIGHT
    groups = {g['name']: g for g in model.aug_groups}
    assert {n: [aug_type(a) for a in g['augs']] for n, g in groups.items()} == RELEASE_AUGS
    # one of seven augmentations, each 1/7: group prob = (number of its augs) / 7
    for group in groups.values():
        assert group['prob'] == pytest.approx(len(group['augs']) / 7)
    noise, swap = groups['fourier']['augs']
    assert noise.beta == swap.beta == 0.005 and tuple(noise.noise_range) == (1.0, 255.0)
    adain, = groups['adain']['augs']
    assert tuple(adain.alpha_range) == (0.3, 0.3) and adain.style_size == 512
    assert adain.style_dir == swap.style_dir == 'styles'
    style, = groups['style_augmentor']['augs']
    assert style.embedding_alpha == 0.5 and tuple(style.alpha_range) == (1.0, 1.0)
    for aug in groups['weather']['augs']:
        assert tuple(aug.transform.severities) == (1, 2)
    cartoon = groups['cartoon']['augs'][0].transform
    assert (cartoon.blur_ksize, cartoon.segmentation_size, cartoon.saturation,
            cartoon.edge_prevalence) == ((1, 5), (0.8, 1.2), (1.5, 2.5), (0.9, 1.1))


@pytest.mark.parametrize('name', ['mit-b5_standard_gta5', 'swin-b_source-gta_synthia'])
def test_head_norms_keep_weight_decay_backbone_norms_do_not(name):
    cfg = load(name)
    tiny = Config.fromfile(osp.join(REPO, 'configs/_base_/models/daformer_mit-tiny.py'))
    model = build_segmentor(tiny.model)
    optimizer = build_optimizer(model, cfg.optimizer)
    group = {id(g['params'][0]): g for g in optimizer.param_groups}
    base = cfg.optimizer.lr
    head_bn = next(m for m in model.decode_head.modules()
                   if isinstance(m, torch.nn.BatchNorm2d))
    backbone_ln = next(m for m in model.backbone.modules()
                       if isinstance(m, torch.nn.LayerNorm))
    assert group[id(head_bn.weight)]['weight_decay'] == 0.01
    assert group[id(head_bn.weight)]['lr'] == pytest.approx(10 * base)
    assert group[id(backbone_ln.weight)]['weight_decay'] == 0.0
    assert group[id(backbone_ln.weight)]['lr'] == pytest.approx(base)


# --------------------------------------------------------------- class weights
def test_class_weighted_cross_entropy_by_hand():
    cfg = load('mit-b5_source-gta_gta5')
    loss = build_loss(dict(cfg.model.decode_head.loss_decode,
                           class_weight=cfg.model.train_cfg.class_weight))
    assert min(loss.class_weight) == 0.8373 and max(loss.class_weight) == 1.1529
    # uniform logits: every pixel costs ln 19, times its class weight; mmseg averages
    # over the labelled pixels (ignored ones count zero but stay in the mean)
    logits = torch.zeros(1, 19, 1, 4)
    labels = torch.tensor([[[0, 17, 13, 255]]])  # road, motorcycle, car, ignored
    expected = (0.8373 + 1.1529 + 0.9037) * math.log(19) / 4
    got = loss(logits, labels, ignore_index=255)
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_source_gta_heads_get_the_release_weights(model_dir):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/models/source-gta_mit-tiny.py'))
    cfg.model.aug_model_dir = model_dir
    model = build_segmentor(cfg.model)
    for head in [model.decode_head, *model.aug_heads]:
        assert head.loss_decode.class_weight == RELEASE_CLASS_WEIGHT
    cfg.model.train_cfg.class_weight = RELEASE_CLASS_WEIGHT[:16]
    with pytest.raises(ValueError, match='16 weights for 19 classes'):
        build_segmentor(cfg.model)


# --------------------------------------------------------- augmentation draws
def test_each_of_the_seven_augmentations_is_drawn_one_time_in_seven():
    cfg = load('mit-b5_source-gta_gta5')
    groups = AugmentationGroups(cfg.model.aug_groups, build_augs=False)
    # cheap stand-ins that report which augmentation ran
    groups.augs = [[(lambda x, n=n, i=i: (n, i)) for i in range(len(g['augs']))]
                   for n, g in zip(groups.names, cfg.model.aug_groups)]
    groups.built = True
    torch.manual_seed(0)
    draws = 14000
    counts = Counter(groups.apply(groups.draw(), None)[0] for _ in range(draws))
    assert len(counts) == 7
    for freq in counts.values():  # 1/7 = 0.1429, binomial sd 0.003
        assert abs(freq / draws - 1 / 7) < 0.012


# ------------------------------------------------------------------------ FDA
def release_fda(src, trg, beta):
    """FDA as the release defines it (numpy, full spectrum, centred window)."""
    fft_src, fft_trg = np.fft.fft2(src, axes=(-2, -1)), np.fft.fft2(trg, axes=(-2, -1))
    amp_src = np.fft.fftshift(np.abs(fft_src), axes=(-2, -1))
    amp_trg = np.fft.fftshift(np.abs(fft_trg), axes=(-2, -1))
    h, w = src.shape[-2:]
    b = int(np.floor(min(h, w) * beta))
    ch, cw = h // 2, w // 2
    amp_src[..., ch - b:ch + b + 1, cw - b:cw + b + 1] = \
        amp_trg[..., ch - b:ch + b + 1, cw - b:cw + b + 1]
    amp = np.fft.ifftshift(amp_src, axes=(-2, -1))
    return np.real(np.fft.ifft2(amp * np.exp(1j * np.angle(fft_src)), axes=(-2, -1)))


def test_fda_window_at_512_is_5_by_5_bins():
    # floor(0.005 * 512) = floor(2.56) = 2 bins either side of DC: a 5 x 5 window,
    # which the half spectrum of rfft2 holds as 5 rows x 3 columns (k_x = 0, 1, 2)
    assert fda_radius(512, 512, 0.005) == 2
    mask = low_freq_mask(512, 512, 2)
    assert mask.sum() == 15
    rows = torch.nonzero(mask[:, 0]).flatten().tolist()
    assert rows == [0, 1, 2, 510, 511] and mask[0, :3].all() and not mask[0, 3]
    # the previous default, 0.01, was floor(5.12) = 5: 11 x 11
    assert fda_radius(512, 512, 0.01) == 5


def smooth_batch(height=40, width=48):
    ys, xs = torch.meshgrid(torch.arange(float(height)), torch.arange(float(width)),
                            indexing='ij')
    one = torch.stack([60 + 2 * ys, 200 - 3 * xs, 100 + 40 * torch.sin(xs / 5)])
    return torch.stack([one, one.flip(-1) * 0.7 + 30])


def textured_batch(height=40, width=48, beta=0.1):
    """``smooth_batch`` plus fixed noise, so that every bin of the FDA window carries
    signal: smooth images have exactly-zero bins there, whose phase is rounding noise
    (tests/test_fda_determinism.py covers those)."""
    rng = np.random.default_rng(0)
    img = smooth_batch(height, width) + torch.from_numpy(
        rng.uniform(0, 60, (2, 3, height, width)).astype(np.float32))
    mask = low_freq_mask(height, width, fda_radius(height, width, beta))
    window = torch.fft.rfft2(img.double(), norm='ortho')[..., mask].abs()
    norms = img.double().flatten(-2).norm(dim=-1, keepdim=True)
    assert (window > 1e-4 * norms).all()  # no bin near zero: each phase is defined
    return img


def test_random_fda_uses_the_amplitude_of_uniform_noise():
    img = textured_batch()
    aug = build_gta_augmentation(dict(type='FDANoiseAmplitude', beta=0.1))
    torch.manual_seed(5)
    out = aug.apply(img)  # unclamped
    torch.manual_seed(5)
    noise = 1 + 254 * torch.rand(img.shape)  # U(1, 255), the release's noise
    expected = release_fda(img.numpy(), noise.numpy(), 0.1)
    # float32 FFTs against numpy's float64 ones, on pixels up to ~255
    assert np.abs(out.numpy() - expected).max() < 1e-3
    # the DC term is swapped too: every channel takes the noise's mean (about 128)
    assert torch.allclose(out.mean(dim=(2, 3)), noise.mean(dim=(2, 3)), atol=1e-3)


def test_fda_style_swap_uses_a_resized_style_image(tmp_path):
    rng = np.random.default_rng(0)
    style = rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)
    Image.fromarray(style).save(tmp_path / 'only.png')
    aug = build_gta_augmentation(dict(type='FDAStyleSwap', beta=0.1,
                                      style_dir=str(tmp_path)))
    img = textured_batch()
    out = aug.apply(img)
    resized = np.asarray(Image.fromarray(style).resize((48, 40), Image.BICUBIC),
                         np.float32).transpose(2, 0, 1)
    for i in range(2):
        expected = release_fda(img[i].numpy(), resized, 0.1)
        assert np.abs(out[i].numpy() - expected).max() < 1e-3


def test_missing_style_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='no_styles'):
        build_gta_augmentation(dict(type='FDAStyleSwap', style_dir='no_styles'),
                               str(tmp_path))


# ---------------------------------------------------------------------- AdaIN
def test_style_images_resize_like_torchvision_resize_512():
    assert resize_shorter_side(Image.new('RGB', (96, 64)), 512).size == (768, 512)
    assert resize_shorter_side(Image.new('RGB', (50, 70)), 512).size == (512, 716)


def test_adain_mixes_features_with_strength_0_3(model_dir):
    aug = build_gta_augmentation(dict(type='AdaINStyleTransfer', alpha_range=(0.3, 0.3),
                                      style_dir='styles', style_size=40), model_dir)
    seen = []
    decoder = aug.decoder.on(torch.device('cpu'))
    decoder.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    img = smooth_batch(32, 32)
    torch.manual_seed(2)
    aug(img)
    torch.manual_seed(2)
    chosen = aug.styles.draw(2)
    encoder = aug.encoder.on(torch.device('cpu'))
    content = encoder(img / 255)
    for i, index in enumerate(chosen):
        style_img = resize_shorter_side(aug.styles.image(index), 40)
        pixels = torch.from_numpy(np.asarray(style_img, np.float32).transpose(2, 0, 1))
        s_feat = encoder(pixels[None] / 255)
        # the release's statistics: unbiased variance + 1e-5
        s_flat, c_flat = s_feat.flatten(2), content[i:i + 1].flatten(2)
        s_mean, s_std = s_flat.mean(-1), (s_flat.var(-1) + 1e-5).sqrt()
        c_mean, c_std = c_flat.mean(-1), (c_flat.var(-1) + 1e-5).sqrt()
        stylised = ((content[i:i + 1] - c_mean[..., None, None]) / c_std[..., None, None]
                    * s_std[..., None, None] + s_mean[..., None, None])
        expected = 0.3 * stylised + 0.7 * content[i:i + 1]
        assert torch.allclose(seen[0][i:i + 1], expected, atol=1e-4)


def test_channel_stats_use_the_unbiased_variance():
    feat = torch.tensor([[[[1., 2.], [3., 6.]]]])  # mean 3, unbiased var 14/3
    mean, std = channel_stats(feat)
    assert mean.item() == 3.0 and std.item() == pytest.approx(math.sqrt(14 / 3 + 1e-5))
    same = adaptive_instance_norm(feat, mean, std)
    assert torch.allclose(same, feat, atol=1e-5)


# ------------------------------------------------------------- style augmentor
def test_style_embedding_is_half_random_half_predicted(model_dir):
    aug = build_gta_augmentation(dict(type='LearntStyleAugmentor', embedding_alpha=0.5,
                                      alpha_range=(1.0, 1.0)), model_dir)
    net = aug.net.on(torch.device('cpu'))
    random_style, own_style = torch.full((2, 100), 4.0), torch.full((2, 100), -2.0)
    net.sample_styles = lambda num: random_style[:num]
    aug.predicted_styles = lambda x: own_style[:x.size(0)]
    seen = []
    net.register_forward_pre_hook(lambda module, args: seen.append(args[1]))
    img = smooth_batch(32, 32)
    out = aug(img)
    assert torch.equal(seen[0], torch.full((2, 100), 1.0))  # 0.5 * 4 + 0.5 * -2
    # alpha (1, 1): the output is the re-rendered image, no pixel blend
    x = img / 255
    expected = net(x, seen[0]) * 255
    assert torch.allclose(out, expected.clamp(0, 255), atol=1e-3)


def test_style_predictor_runs_on_small_crops(model_dir):
    aug = build_gta_augmentation(dict(type='LearntStyleAugmentor', embedding_alpha=0.5),
                                 model_dir)
    assert aug.predicted_styles(torch.rand(2, 3, 32, 48)).shape == (2, 100)


# -------------------------------------------------------------- snow and frost
def test_snow_whitening_by_hand():
    grey = np.full((2, 2, 3), 0.4, np.float32)  # grey level 0.4: 1.5 * 0.4 + 0.5 = 1.1
    assert np.allclose(whiten_for_snow(grey, 0.8), 0.8 * 0.4 + 0.2 * 1.1)  # severity 1
    assert np.allclose(whiten_for_snow(grey, 0.7), 0.7 * 0.4 + 0.3 * 1.1)  # severity 2


def test_snow_streaks_trail_above_each_flake():
    kernel = streak_kernel(radius=10, sigma=4, angle=-90)  # falling straight down
    taps = np.exp(-np.arange(21) ** 2 / 32.0)
    assert kernel.sum() == pytest.approx(1.0)
    centre = kernel.shape[0] // 2
    column = kernel[:, centre]
    # tap i reads the pixel i rows above: kernel row centre - i
    assert np.allclose(column[centre::-1][:21], taps / taps.sum())
    assert kernel.sum() == pytest.approx(column.sum())


def test_snow_severity_is_1_or_2_and_whitens():
    snow = CorruptionSnow(severities=(1, 2))
    snow.set_random_seed(0)
    weights = Counter(snow.get_params_dependent_on_data(dict(shape=(64, 64, 3)), {})
                      ['image_weight'] for _ in range(400))
    assert set(weights) == {0.8, 0.7} and abs(weights[0.8] / 400 - 0.5) < 0.1
    # without flakes: 255 * (w x + (1 - w)(1.5 x + 0.5)), x = 101 / 255
    img = np.full((8, 8, 3), 101, np.uint8)
    no_flakes = np.zeros((8, 8), np.float32)
    assert (snow.apply(img, flakes=no_flakes, image_weight=0.8) == 137).all()  # 136.6
    assert (snow.apply(img, flakes=no_flakes, image_weight=0.7) == 154).all()  # 154.4
    one_flake = no_flakes.copy()
    one_flake[0, 1] = 0.2  # and its 180-degree copy at (7, 6)
    out = snow.apply(img, flakes=one_flake, image_weight=0.8)
    assert out[0, 1, 0] == out[7, 6, 0] == 188 and out[3, 3, 0] == 137  # +0.2 * 255
    with pytest.raises(ValueError, match='severities'):
        CorruptionSnow(severities=(0,))


def test_frost_blend_weights_by_severity(tmp_path):
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(tmp_path / 'frost.png')
    frost = CorruptionFrost(severities=(1, 2), texture_dir=str(tmp_path))
    frost.set_random_seed(0)
    img = np.full((32, 32, 3), 100, np.uint8)
    values = Counter(int(frost(image=img)['image'][5, 5, 0]) for _ in range(400))
    # severity 1: 1.0 * 100 + 0.4 * 200 = 180; severity 2: 0.8 * 100 + 0.6 * 200 = 200
    assert set(values) == {180, 200}
    assert abs(values[180] / 400 - 0.5) < 0.1


# -------------------------------------------------------------------- cartoon
def cartoon(img, **fixed):
    ranges = dict(blur_ksize=1, segmentation_size=1.0, saturation=2.0, edge_prevalence=1.0)
    ranges.update(fixed)
    transform = CartoonStylize(**{k: (v, v) for k, v in ranges.items()})
    transform.set_random_seed(0)
    return transform(image=img)['image']


def test_cartoon_doubles_the_saturation_of_a_flat_image():
    # RGB (200, 100, 100): V 200, S 255 * 100 / 200 = 128 (OpenCV rounds); x2 -> 255
    # (clipped), so the darkest channel goes to V * (1 - 255 / 255) = 0
    img = np.zeros((64, 64, 3), np.uint8) + np.array([200, 100, 100], np.uint8)
    out = cartoon(img)
    assert np.abs(out.astype(int) - [200, 0, 0]).max() <= 1
    assert np.array_equal(cartoon(img, saturation=1.0), img)  # 1: colours untouched


@pytest.mark.parametrize('size', [64, 448])  # Canny under 400 px, Laplacian above
def test_cartoon_outlines_region_borders_in_black(size):
    img = np.full((size, size, 3), 230, np.uint8)
    img[size // 4:3 * size // 4, size // 4:3 * size // 4] = 40
    out = cartoon(img, saturation=1.0)
    border = out[size // 4 - 2:size // 4 + 2, size // 2]
    assert border.min() == 0  # an outline crosses the square's top edge
    assert (out[:size // 8, :size // 8] == 230).all()  # flat regions keep their colour
    assert (out[size // 2 - 4:size // 2 + 4, size // 2 - 4:size // 2 + 4] == 40).all()


# ------------------------------------------- style networks: the published layout
def test_style_networks_use_the_published_parameter_names():
    keys = StyleAugmentorNet().state_dict()
    # the first three layers are plain (conv only), then 5 residual blocks, 3 decoders
    assert [k for k in keys if k.startswith(('layers.0.', 'layers.1.', 'layers.2.'))] == [
        f'layers.{i}.conv.{p}' for i in range(3) for p in ('weight', 'bias')]
    assert keys['layers.3.fc_gamma1.weight'].shape == (128, 100)
    assert keys['layers.10.fc_beta.weight'].shape == (3, 100)
    predictor = StylePredictorNet().state_dict()
    assert predictor['Conv2d_1a_3x3.conv.weight'].shape == (32, 3, 3, 3)
    assert 'Conv2d_1a_3x3.bn.running_var' in predictor
    assert 'Mixed_6e.branch7x7dbl_5.conv.weight' in predictor
    assert predictor['fc.weight'].shape == (100, 768)
    assert not any(k.startswith('input_') for k in predictor)  # not in the file


def test_style_predictor_input_scaling_by_hand():
    net = StylePredictorNet()
    grey = net.input_scale * 0.5 + net.input_shift
    # red, green: (0.5 - m) / s * (s / 0.5) + (m - 0.5) / 0.5 = 0
    # blue: (0.5 - 0.406) / 0.255 * (0.225 / 0.5) + (0.406 - 0.5) / 0.5 = -0.02212
    assert torch.allclose(grey.flatten(), torch.tensor([0.0, 0.0, -0.022118]), atol=1e-5)


def test_published_style_files_convert_and_load(tmp_path):
    torch.manual_seed(0)
    transformer = {k: v for k, v in StyleAugmentorNet().state_dict().items()
                   if not k.startswith('embedding_')}
    transformer['unused.weight'] = torch.zeros(1)  # the published file has extras
    predictor = StylePredictorNet().state_dict()
    factor = torch.randn(100, 100) * 0.1
    cov, mean = factor @ factor.T + 0.01 * torch.eye(100), torch.randn(1, 100)
    files = {}
    for name, content in [('transformer', dict(state_dict_ghiasi=transformer)),
                          ('predictor', dict(state_dict_stylepredictor=predictor)),
                          ('embeddings', dict(pbn_embedding_mean=mean,
                                              pbn_embedding_covariance=cov,
                                              imagenet_embedding_mean=mean))]:
        files[name] = str(tmp_path / f'{name}.pth')
        torch.save(content, files[name])
    out = tmp_path / 'model'
    convert_style_augmentation_files(files['transformer'], files['predictor'],
                                     files['embeddings'], str(out))
    aug = build_gta_augmentation(dict(type='LearntStyleAugmentor', embedding_alpha=0.5),
                                 str(out))
    net = aug.net.on(torch.device('cpu'))
    tril = net.embedding_scale_tril
    assert torch.allclose(tril @ tril.T, cov, atol=1e-4)
    assert torch.equal(net.embedding_mean, mean[0])
    assert torch.equal(net.layers[3].fc_gamma1.weight, transformer['layers.3.fc_gamma1.weight'])
    with pytest.raises(CheckpointError, match='state_dict_ghiasi'):
        convert_style_augmentation_files(files['predictor'], files['predictor'],
                                         files['embeddings'], str(out))


def test_snow_zoom_samples_corner_to_corner_as_imagenet_c():
    """ImageNet-C's clipped_zoom (scipy, order 1): zooming the central [0, 3] by 2
    samples it at 0, 1/3, 2/3 and 1, giving 0, 1, 2, 3 (OpenCV's half-pixel resize
    gives 0, 0.75, 2.25, 3)."""
    from mmseg_uvpt.augmentations.imgaug_ports import central_zoom
    layer = np.zeros((4, 4), np.float32)
    layer[1:3, 1:3] = [[0.0, 3.0], [0.0, 3.0]]  # the central half
    out = central_zoom(layer, 2)
    assert out.shape == (4, 4)
    assert np.allclose(out, np.tile([0.0, 1.0, 2.0, 3.0], (4, 1)), atol=1e-6)
