from .ms_deform_attn import MSDeformAttn
from .ms_deform_attn_func import cuda_kernel_available, multi_scale_deform_attn

__all__ = ['MSDeformAttn', 'cuda_kernel_available', 'multi_scale_deform_attn']
