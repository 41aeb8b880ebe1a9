"""Fused attention (``F.scaled_dot_product_attention``) for mmseg's Swin window
attention and SegFormer efficient attention, with the stock parameters.

``fuse_attention_`` re-classes the stock modules in place to subclasses that only
override ``forward``: parameters, buffers, names and checkpoints stay the stock ones and
the stock constructors remain the only place that builds them.
"""
import torch.nn.functional as F
from mmseg.models.backbones.mit import EfficientMultiheadAttention
from mmseg.models.backbones.swin import WindowMSA
from mmseg.models.utils import nchw_to_nlc, nlc_to_nchw


class FusedWindowMSA(WindowMSA):
    """``WindowMSA`` whose relative position bias and shift mask go to SDPA as
    ``attn_mask``."""

    def forward(self, x, mask=None):
        """
        Args:
            x (Tensor): windows ``[nW·B, N, C]`` (batch-major, as ``window_partition``
                lays them out).
            mask (Tensor | None): shift mask ``[nW, N, N]`` with values in (-inf, 0].
        """
        B_, N, C = x.shape
        heads = self.num_heads
        q, k, v = self.qkv(x).reshape(B_, N, 3, heads, C // heads).permute(2, 0, 3, 1, 4)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(N, N, heads).permute(2, 0, 1)  # heads, N, N
        if mask is None:
            attn_mask = bias.unsqueeze(0)
        else:
            # Fold the windows into the head dimension so one [1, nW·heads, N, N] mask
            # broadcasts over the batch instead of being materialised per image.
            nW = mask.shape[0]
            attn_mask = (bias.unsqueeze(0) + mask.unsqueeze(1)).reshape(1, nW * heads, N, N)
            q, k, v = (t.reshape(B_ // nW, nW * heads, N, C // heads) for t in (q, k, v))
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask.to(q.dtype),
            dropout_p=self.attn_drop.p if self.training else 0., scale=self.scale)
        out = out.reshape(B_, heads, N, C // heads).transpose(1, 2).reshape(B_, N, C)
        return self.proj_drop(self.proj(out))


class FusedEfficientMultiheadAttention(EfficientMultiheadAttention):
    """SegFormer attention calling SDPA on ``nn.MultiheadAttention``'s own in/out
    projections (the stock call asks for the averaged attention weights, which rules
    out every fused kernel)."""

    def forward(self, x, hw_shape, identity=None):
        x_kv = x
        if self.sr_ratio > 1:
            x_kv = self.norm(nchw_to_nlc(self.sr(nlc_to_nchw(x, hw_shape))))
        if identity is None:
            identity = x
        out = self.attn.out_proj(_sdpa_with_mha_weights(self.attn, x, x_kv))
        return identity + self.dropout_layer(self.proj_drop(out))


def _sdpa_with_mha_weights(mha, query, key_value):
    """Batch-first multi-head attention with ``mha``'s packed in-projection, before
    ``out_proj``: ``[B, Lq, C]``, ``[B, Lk, C]`` → ``[B, Lq, C]``."""
    B, Lq, C = query.shape
    heads, head_dims = mha.num_heads, C // mha.num_heads
    # a LoRA-tuned projection (backbones/peft.py) adds its low-rank update
    merged = getattr(mha, 'lora_in_proj_weight', None)
    in_proj_weight = mha.in_proj_weight if merged is None else merged()
    w_q, w_kv = in_proj_weight.split([C, 2 * C])
    b_q, b_kv = (None, None) if mha.in_proj_bias is None else mha.in_proj_bias.split([C, 2 * C])
    q = F.linear(query, w_q, b_q).view(B, Lq, heads, head_dims).transpose(1, 2)
    k, v = F.linear(key_value, w_kv, b_kv).view(
        B, -1, 2, heads, head_dims).permute(2, 0, 3, 1, 4)
    out = F.scaled_dot_product_attention(
        q, k, v, dropout_p=mha.dropout if mha.training else 0.)
    return out.transpose(1, 2).reshape(B, Lq, C)


def _check_plain_mha(module):
    mha = module.attn
    if not module.batch_first or not mha._qkv_same_embed_dim or mha.bias_k is not None \
            or mha.add_zero_attn:
        raise ValueError('fused_attention supports only batch-first nn.MultiheadAttention '
                         'with packed in-projection, no bias_k/v and no zero attention')


def fuse_attention_(model):
    """Switches every stock ``WindowMSA`` / ``EfficientMultiheadAttention`` in
    ``model`` to its SDPA subclass, in place. Returns the number of modules switched."""
    count = 0
    for m in model.modules():
        if type(m) is WindowMSA:
            m.__class__ = FusedWindowMSA
        elif type(m) is EfficientMultiheadAttention:
            _check_plain_mha(m)
            m.__class__ = FusedEfficientMultiheadAttention
        else:
            continue
        count += 1
    return count
