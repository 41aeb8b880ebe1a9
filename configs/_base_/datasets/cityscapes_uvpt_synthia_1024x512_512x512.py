# Adaptation of a SYNTHIA-trained model: as cityscapes_uvpt_1024x512_512x512.py,
# evaluated with the 19-class mIoU plus mIoU16 and mIoU13.
_base_ = ['./cityscapes_uvpt_1024x512_512x512.py']
data = dict(
    val=dict(eval_subsets='synthia'), test=dict(eval_subsets='synthia'))
