# Cityscapes val for SYNTHIA-trained models: the 19-class mIoU plus mIoU16 and
# mIoU13 (no wall, fence, pole), the means the SYNTHIA->Cityscapes table reports.
_base_ = ['./cityscapes_val_1024x512.py']
data = dict(
    val=dict(eval_subsets='synthia'), test=dict(eval_subsets='synthia'))
