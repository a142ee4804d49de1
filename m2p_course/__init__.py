"""m2p_course: the helper package of the Music-to-Pose (M2P) encoder course.

Every public name is importable from here (``from m2p_course import M2PEncoder``); the
modules load on first use (``lazy_loader``, names listed in ``__init__.pyi``), so
``import m2p_course`` stays fast and does not pull in librosa or matplotlib until needed.

The encoder's stages, in the order the music flows through them::

    features, audio         music in: audio files -> the 4800-dim recipe  [T, 4800]
    projection              MusicProjection            [B, T, 4800] -> [B, T, 1024]
    positional              positional encoding        [T, 1024]
    attention               attention by hand, for teaching (notebook 04)
    transformer             nn.TransformerEncoder      [B, T, 1024]
    heads                   PoseHead, FaceHead         [B, T, 134], [B, 512]
    soft_argmax             heatmaps -> coordinates    [..., H, W] -> [..., 2]
    arcface                 ArcFaceLoss                the face identity loss
    model                   M2PEncoder                 all of the above
    shapes                  trace_shapes               every stage's shape, on the meta device
    train                   TrainConfig, train         a spatial-head encoder learns the synthetic dances
    checkpoint              save/from_pretrained       safetensors + JSON; pretrained(): the shipped model
    storage                 the two files              config.json + model.safetensors, shapes checked first
    inference               predict_dance              a whole song in cross-faded windows -> [T, 134, 2]
    performance             stage_flops, predict_memory FLOPs by stage; memory known before a pass runs
    recordings, real_music  real music: the catalogue of recordings (fetched, never downloaded at run time),
                            any recording as a training pair, a model's dance to one measured

Shared helpers::

    keypoints, viz          the pose head's 134 channels as a skeleton, drawn and animated
    checks, errors          input checks with clear messages; expect_error for the notebooks
    env, cli                setup() for a notebook's first cell; the m2p-course command
    widgets, exercises      what the notebooks use

``synthetic/``: the world the course trains on, since no dance data can be downloaded: its
own music (``synth_music``), dances locked to it (``generate_dance``), the
``SyntheticDanceDataset`` and the ``beat_alignment_score``.
"""

import lazy_loader

__version__ = "0.1.0"

# the exported names are listed in __init__.pyi
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
