# Source model: frozen DINOv2 ViT-L/14 + trainable simple feature pyramid + DAFormer
# head (everything else as daformer_vit-b14.py). DINOv2 weights for pretraining:
# daformer_vit-l14_dinov2.py.
_base_ = ['./daformer_vit-b14.py']
model = dict(
    backbone=dict(embed_dim=1024, depth=24, num_heads=16,
                  group_depths=(6, 6, 6, 6)))  # as ViT-Adapter splits ViT-L
