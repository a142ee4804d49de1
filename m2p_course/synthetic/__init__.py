"""The synthetic world the course trains on: its own music, its own dancers, their dataset.

No dance data can be downloaded here, on Colab or in CI (the design notes, section 3.5), so
the course makes its own, deterministically from a seed, with the ground truth a model needs:

    music         ``synth_music``: drums, bass, chords, melody; known tempo, beats, bars, chords
    choreography  ``generate_dance``, ``dance_for_song``: moves locked to those beats and bars, on
                  the 134 keypoints, by four dancer styles (the identities the face head learns)
    dataset       ``SyntheticDanceDataset`` and ``pad_collate``: (music features, poses, dancer)
                  clips for training, cached on disk
    metrics       ``beat_alignment_score``: does a dance stop on the music's beats?

Training on it (notebook 10) learns something measurable in minutes on a CPU. Every public
name is also importable from the top level (``from m2p_course import synth_music``).
"""
