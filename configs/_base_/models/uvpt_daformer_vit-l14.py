# Adaptation model: frozen ViT-L/14 with the prompt adapter (everything else as
# uvpt_daformer_vit-b14.py); its source model is daformer_vit-l14.py.
_base_ = ['./uvpt_daformer_vit-b14.py']
model = dict(
    backbone=dict(embed_dim=1024, depth=24, num_heads=16, group_depths=(6, 6, 6, 6)))
