# Source-GtA augmentation groups (Generalize-then-Adapt, Kundu et al. ICCV 2021).
# One group is drawn per iteration (prob normalised over the groups) and one of its
# augs, uniformly, is applied to the whole batch; aug_heads[i] is held out when
# group i is drawn. Used by source-gta_<backbone>.py as
# model.aug_groups={{_base_.gta_aug_groups}}. AlbumentationsAugmentation effects run per
# image on the CPU in uint8.
# Network augmentations read weights from model.aug_model_dir (default 'model/'):
# model/adain/vgg_normalised.pth, model/adain/decoder.pth, model/style_augmentor.pth.
gta_aug_groups = [
    dict(name='fourier', prob=0.2, augs=[
        dict(type='FDARandomAmplitude', beta=0.01, scale_range=(0.5, 1.5)),
        dict(type='FDAStyleSwap', beta=0.01, bank_size=8),
    ]),
    dict(name='adain', prob=0.2, augs=[
        dict(type='AdaINStyleTransfer', alpha_range=(0.5, 1.0), bank_size=8),
    ]),
    dict(name='style_augmentor', prob=0.2, augs=[
        dict(type='LearntStyleAugmentor', alpha_range=(0.5, 1.0)),
    ]),
    dict(name='weather', prob=0.2, augs=[
        dict(type='AlbumentationsAugmentation',
             transform=dict(type='RandomSnow', method='texture',
                            snow_point_range=(0.1, 0.3), brightness_coeff=2.5)),
        dict(type='AlbumentationsAugmentation',
             transform=dict(type='RandomFrost', intensity_range=(0.4, 0.8),
                            coverage_range=(0.4, 0.8))),
        dict(type='AlbumentationsAugmentation',
             transform=dict(type='RandomFog', fog_coef_range=(0.3, 0.8), alpha_coef=0.08)),
    ]),
    dict(name='cartoon', prob=0.2, augs=[
        dict(type='AlbumentationsAugmentation',
             transform=dict(type='Cartoonize', levels_range=(4, 8))),
    ]),
]
