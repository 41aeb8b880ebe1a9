# Toy setting before the release-parity round: the prediction consistency's masked
# KL averaged over the confident pixels only, not over all pixels of the batch.
# One of the settings compared in docs/toy_results.md (tools/ablation.py
# --extra-configs); the paper configs keep the release's 'all'.
_base_ = ['../uvpt_mit-tiny.py']
variant = dict(
    name='consistency-confident',
    description='prediction consistency averaged over the confident pixels only')
model = dict(loss_pred_consistency=dict(average_over='confident'))
