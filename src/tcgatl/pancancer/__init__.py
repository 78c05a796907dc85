"""Pan-cancer tumour-type classification: split, gene layouts and images, backbones, two-phase
training, checkpoints, evaluation, the baseline and Integrated Gradients."""
