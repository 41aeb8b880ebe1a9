"""Small general helpers that every layer may use: mmcv/torch compatibility fixes,
stack check, config checks, distributed set-up, seeded RNG, parameter report, CLI
error handling, the checkout's git version. Nothing here imports a higher layer."""
