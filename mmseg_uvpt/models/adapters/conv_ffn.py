"""Feed-forward block of the extractor, with a depthwise conv over each prompt level."""
import torch
import torch.nn as nn


def split_levels(tokens, shapes):
    """``[B, Σ h·w, C]`` → one ``[B, C, h, w]`` map per level."""
    maps = tokens.split([h * w for h, w in shapes], dim=1)
    return [m.transpose(1, 2).reshape(m.shape[0], m.shape[2], h, w)
            for m, (h, w) in zip(maps, shapes)]


def merge_levels(maps):
    """Inverse of ``split_levels``."""
    return torch.cat([m.flatten(2).transpose(1, 2) for m in maps], 1)


class ConvFFN(nn.Module):
    """Linear → 3×3 depthwise conv per level (each in its own spatial layout) → GELU
    → Linear.

    Args:
        embed_dims (int): Input and output width.
        hidden_dims (int): Hidden width (a quarter of ``embed_dims`` in Uni-UVPT).
    """

    def __init__(self, embed_dims, hidden_dims):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.dwconv = nn.Conv2d(hidden_dims, hidden_dims, 3, padding=1, groups=hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)

    def forward(self, tokens, shapes):
        """tokens ``[B, Σ h·w, C]`` of the levels ``shapes`` → same shape."""
        x = self.fc1(tokens)
        x = merge_levels([self.dwconv(m) for m in split_levels(x, shapes)])
        return self.fc2(self.act(x))
