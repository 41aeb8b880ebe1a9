# Source-GtA augmentation groups (Generalize-then-Adapt, Kundu et al. ICCV 2021).
# One group is drawn per iteration (prob normalised over the groups) and one of its
# augs, uniformly, is applied to the whole batch; aug_heads[i] is held out when
# group i is drawn. Inherited through source-gta_segmentor.py by
# source-gta_<backbone>.py, which sets model.aug_groups={{_base_.gta_aug_groups}}.
# As the release: every batch gets one of seven augmentations, each with chance 1/7
# (group prob = number of augs / 7); docs/fidelity.md, "Source pretraining", has the
# settings row by row.
# Files read from model.aug_model_dir (default 'model/', see model/README.md):
# adain/vgg_normalised.pth, adain/decoder.pth, style_augmentor.pth, and styles/: the
# style images of AdaIN and FDA (the release used pytorch-AdaIN's input/style set).
# AlbumentationsAugmentation effects run per image on the CPU in uint8.
gta_aug_groups = [
    dict(name='fourier', prob=2 / 7, augs=[
        # low-frequency amplitude (window floor(0.005 * 512) = 2 bins around DC, 5x5)
        # of uniform U(1, 255) noise, or of a style image
        dict(type='FDANoiseAmplitude', beta=0.005, noise_range=(1.0, 255.0)),
        dict(type='FDAStyleSwap', beta=0.005, style_dir='styles'),
    ]),
    dict(name='adain', prob=1 / 7, augs=[
        dict(type='AdaINStyleTransfer', alpha_range=(0.3, 0.3), style_dir='styles',
             style_size=512),
    ]),
    dict(name='style_augmentor', prob=1 / 7, augs=[
        # random style embedding blended 50/50 with the image's predicted one
        dict(type='LearntStyleAugmentor', embedding_alpha=0.5, alpha_range=(1.0, 1.0)),
    ]),
    dict(name='weather', prob=2 / 7, augs=[
        # ImageNet-C snow and frost at severity 1 or 2 (imgaug's imgcorruptlike)
        dict(type='AlbumentationsAugmentation',
             transform=dict(type='CorruptionSnow', severities=(1, 2))),
        dict(type='AlbumentationsAugmentation',
             transform=dict(type='CorruptionFrost', severities=(1, 2))),
    ]),
    dict(name='cartoon', prob=1 / 7, augs=[
        # imgaug's Cartoon() with its default ranges
        dict(type='AlbumentationsAugmentation',
             transform=dict(type='CartoonStylize', blur_ksize=(1, 5),
                            segmentation_size=(0.8, 1.2), saturation=(1.5, 2.5),
                            edge_prevalence=(0.9, 1.1))),
    ]),
]
