"""Real recordings: music nobody in the project made, to train on and to be measured on.

The course ships no recording but one excerpt (``SAMPLE``, CC-BY-SA-3.0, for notebook 10) and
downloads nothing at run time. The catalogue below names pieces inside Debian packages (game
soundtracks: orchestral, electronic, folk, rock), each with its package version, its path inside
the package, its licence, and an excerpt. ``tools/fetch_recordings.py`` (an install step, like
``pip install``) takes the packages from Debian's registry with ``apt-get download``, unpacks them
into a cache folder (``default_recordings_dir``) and checks every file's SHA-256.

Two roles, never mixed:

* ``"train"``: soundtracks of four games (Endgame: Singularity, Warzone 2100, Advanced Strategic
  Command, Planet Blupi) whose excerpts become training pairs (``m2p_course.real_music``);
* ``"eval"``: pieces of four *other* games (Nexuiz, HyperRogue, The Battle for Wesnoth, Extreme
  Tux Racer), held out: no recording, package or composer of the evaluation set is trained on.

    >>> [r.name for r in recordings("eval")][:3]
    ['subcities', 'sixtyfour', 'beast-of-insanity']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .storage import file_sha256

__all__ = ["Recording", "RECORDINGS", "SAMPLE", "recordings", "default_recordings_dir", "recording_path",
           "available_recordings", "load_recording", "sample_path"]

ROLES = ("train", "eval")
RECORDINGS_ENV = "M2P_RECORDINGS"


@dataclass(frozen=True)
class Recording:
    """One piece of real music inside a Debian package.

    name:     short unique name ("subcities")
    title:    the piece's title as its authors give it
    author:   who made it (from the package's copyright file)
    package:  Debian package and exact version ("nexuiz-music=2.5.2-12")
    path:     the file inside the package's tree; "a.pk3!member" for a member of a zip archive
    licence:  the licence the package states for the file
    kind:     what it is, measured (librosa's tempo, the percussive share of the energy) and by genre
    role:     "train" or "eval"
    sha256:   the SHA-256 of the file (of the member, for an archive member)
    offset, seconds: the excerpt used (seconds into the file, its length)
    """

    name: str
    title: str
    author: str
    package: str
    path: str
    licence: str
    kind: str
    role: str
    sha256: str
    offset: float = 0.0
    seconds: float = 60.0

    @property
    def package_name(self) -> str:
        return self.package.split("=", 1)[0]


_NEXUIZ = ("nexuiz-music=2.5.2-12", "GPL-2+", "Alientrap (Nexuiz soundtrack)")
_HYPER = "hyperrogue-music=12.0q-1"
_WESNOTH = ("wesnoth-1.16-music=1:1.16.9-1", "GPL-2+")
_ETR = ("extremetuxracer-data=0.8.2-1", "GPL-2+")
_SING = ("singularity-music=007-2", "CC-BY-SA (Creative Commons Attribution-ShareAlike)", "Max McCracken")
_WZ = ("warzone2100-music=4.3.3-3", "GPL-2+", "Warzone 2100 Project")
_NEX_PK3 = "usr/share/games/nexuiz/data/music.pk3!sound/cdtracks/"
_HR_DIR = "usr/share/hyperrogue/music/"
_WES_DIR = "usr/share/games/wesnoth/1.16/data/core/music/"
_SING_DIR = "usr/share/games/singularity/music/"
_WZ_DIR = "usr/share/games/warzone2100/music/albums/"


# SHA-256 of each file, as tools/fetch_recordings.py --print-sha printed them
_SHA256 = {
    "subcities": "c667028f324749367074e6ff9efc9349f4753e75b88384412158f76aa18e8056",
    "sixtyfour": "a909187697584d5bf4006b14a7a2d815755df72e93fd8fa3494703c3cc146d34",
    "beast-of-insanity": "9345129c36652ec70e30fa60ca8c03d99599566ddd7aab885ec5e81401234268",
    "laboratory": "ded6374382c9cf756215d867b4cd70b54a3489236f62b7670851da497f1dc1c5",
    "rlyeh": "88d3590f245d35d03d19fe5fd182a3680db9e74767032c507a3cd37b5086c93e",
    "desert": "2da1ca7ab6a5b37f2ccc32e9a22aa565c673f52fdfcdd65643ee0a36d367eeef",
    "caribbean": "42ea04db86f2d6396a4225e6ce6e597a58804553410e3a2dda07a9cdc6cae4f2",
    "love-theme": "d0045ec07380869c1924f48b95b255fd209eabee9b64933848ad7a05eebd6fe5",
    "knalgan-theme": "62344c629fb8c4c45b6d717ba02126ee1211780a13697721bb7fbedc151ba394",
    "spunky-race": "1b448ebcde1200b85544b7e6daa17808d49593aad7bcd14c728f146678370cf5",
    "singularity-00": "16e5d28350fc21e25f9a6620ab04ba4440fac3e758d7fece19b7b8a2e7e747c4",
    "singularity-01": "aa38cb20fa7164eb64b5d6b256524b2421561d619d2c54ae1f46900a7e066fb2",
    "singularity-02": "049514d4ab888307b3e5fd2d4faec067b1bb5ebc4805181a9d677214d8b87c0e",
    "singularity-03": "72efe1d6386ed801213d8d45ac41e827377c204f643afa8ed5f89dc607894b37",
    "singularity-04": "9c7dcf1aba5bce86266f37a81c9c3111b83bf634b58389703be884d15587a26e",
    "singularity-05": "5925a44f79ad86ab99dcdf9717b8716231f5d9d27acbc0fdb641e3024f50c4f0",
    "singularity-06": "770405545ce04f8b810685fa5726cf1f41e28db686f5a7d536a322c8a80ccd58",
    "singularity-07": "13bc5e376c188b68846c6c6d735436c7eaba490a51eb08652ca7e9ac60aebc0c",
    "singularity-08": "e135e7c0061915303d888c1628a49dee4372c26c306dfdc3ef2491cd45d5865b",
    "singularity-09": "623dc95bb6f38678c5adc5011d37c87ab9b92a2710c09f60b49c42eabbfbd3f4",
    "singularity-10": "b1afc8fe6a1025ffce4fd308b99e6c8cfa834fcfb74a72679afdda150959edfb",
    "singularity-11": "0d5280307ff73d1dbb7eebbc1cf1c8cd7ccfb0659786cd5aa3428b9ff08c9b50",
    "singularity-12": "f36af41a77f2dc780ae78b94d7b15491854b3deb38aadf392fff4c445d96b3d7",
    "warzone-track1": "8d5ad61a36a7cc2fde1815fb8b4b589e067df7ce8a1a100876c1286ff12718ca",
    "warzone-track2": "512ac3c83ed53a66e82ed69e4856cde203be35ae9daf0bdc08b21e9dd2a6850d",
    "warzone-track4": "0ad2dbd5c0bfbff001f15fc1d614d7d42b92e1370788aa5c516d6513561ba35c",
    "warzone-track6": "cff41a827be0b00d16466811b1252c4cee464a8b07ad77fae44dea788d86495b",
    "warzone-track8": "2faff0ef1f4c937b3cec42e843eeafc1188c7a19dae9bc16facbb356e95a48e7",
    "warzone-track10": "0bc55937502b6d8933985de8883649833ad8a83350f126b9d7dc782c8895e807",
    "warzone-track12": "776d3c0ee0bb0f4ff648aec099a7571aad359574971f4a8568155f024873ea4e",
    "warzone-track14": "61ffe9d2e1ff8bc06406dcabff1679d033d16cf30c5cef9676612efabd8c959d",
    "warzone-track17": "878f44ac1bcce05862b53f597fd9da7e45ff15daf8664affefcc99a56d023166",
    "warzone-track19": "cf7e609fc7d21cc12f7f8f4d8851c059b079f4ab068b687cd1e5989c2278dbde",
    "warzone-track21": "30c7066e4031a594ec2ed726442c15dded46fc605d4e07eaac0e363918541762",
    "warzone-track23": "3275e1a81b01e968f84992ed00d637ec6b98e21a6f6aa7c662fde5c0e00100a2",
    "warzone-track25": "c451881f63c1ef57f3d7961894b5ab44089a8d3d41c298923454f30fc4b4d6f9",
    "warzone-track27": "27dcc84dd541d1c64c6322e26ea6d6a39c715cd307da1d8a59bebd6b61f78b8a",
    "asc-frontiers": "a0b1f65897eb122c1748ba08d5a376029750a1b035bf0202ebbeb9fd0176fd28",
    "asc-machine_wars": "e7b0337656a1dd9c4809bb9a620a015c1bc3898d7dde6ba2e2a0e7c0ce12313b",
    "asc-time_to_strike": "a330211d1a8ce1ab6ea19cc4a02e207a8cd4cede4f3946f9a0012c7d0523de54",
    "blupi-0": "a37693e414aaeee79cf728712d659aa6d454e0399b14b0390c5c5dcc0caca98f",
    "blupi-1": "a23bea7425b76d25877cc8a5ef1c4da67a269e7018bec8638a119c639e34e45d",
    "blupi-2": "bd826a1c3b409d7921f58ef78d2367f6f277c1b8335051df139155a857abb9c1",
    "blupi-3": "01b56259a92659b76c6e7a2c4c264fd7e579df501072b72b120665f088559ca8",
    "blupi-4": "f76cb2e446a11610842b9464a0d71d71cbbe7b7245c9fa1ea6613e3ddbccb349",
    "blupi-5": "cadef44edc3a5df7b110b025bcadd0bee3f58a75b8f4a9613a9e4f0765786883",
    "blupi-6": "fd6b653e54a818723e9e98d5d8bf3eb9fb2fe8898c85e3a42f1abceb5fcdd8b0",
    "blupi-7": "aff561297b33d765b5b01cd9a40c11be57c2d784aa41de10b7082a1b80d80230",
    "blupi-8": "ab68bc142d314ae060c9b9f2766693b6411bc1c1a681f74e5222ebf565893966",
    "blupi-9": "75fd824f0cead39ef96ee7bab5a551774315cf0f93c02b5233a40b8e8fd98d0b",
}


def _eval(name, title, author, package, path, licence, kind, offset=20.0, seconds=60.0):
    return Recording(name, title, author, package, path, licence, kind, "eval", _SHA256[name], offset, seconds)


def _train(name, title, author, package, path, licence, kind, offset=30.0, seconds=90.0):
    return Recording(name, title, author, package, path, licence, kind, "train", _SHA256[name], offset, seconds)


RECORDINGS: tuple[Recording, ...] = (
    # --- held out: evaluation only ----------------------------------------------------------------
    _eval("subcities", "Subcities", _NEXUIZ[2], _NEXUIZ[0], _NEX_PK3 + "subcities.ogg", _NEXUIZ[1],
          "drums: breakbeat, 81% of the energy percussive, 135 BPM"),
    _eval("sixtyfour", "Sixtyfour", _NEXUIZ[2], _NEXUIZ[0], _NEX_PK3 + "sixtyfour_.ogg", _NEXUIZ[1],
          "electronic: steady four-on-the-floor, 127 BPM"),
    _eval("beast-of-insanity", "Beast of Insanity", _NEXUIZ[2], _NEXUIZ[0], _NEX_PK3 + "beast-of-insanity.ogg",
          _NEXUIZ[1], "electronic/metal: distorted guitars and drums, 140 BPM"),
    _eval("laboratory", "Laboratory", "Shawn Parrotte", _HYPER, _HR_DIR + "hr3-laboratory.ogg", "CC-BY-SA-3.0",
          "fast: synth arpeggios, 166 BPM"),
    _eval("rlyeh", "R'Lyeh", "Shawn Parrotte", _HYPER, _HR_DIR + "hr3-rlyeh.ogg", "CC-BY-SA-3.0",
          "slow: dark ambient pulse, 75 BPM"),
    _eval("desert", "Desert", "Shawn Parrotte", _HYPER, _HR_DIR + "hr3-desert.ogg", "CC-BY-SA-3.0",
          "drums and strings: hand percussion, 124 BPM (notebook 10's excerpt)", offset=10.0),
    _eval("caribbean", "Caribbean", "Will Savino", _HYPER, _HR_DIR + "hr-savino-caribbean.ogg", "CC-BY-SA-3.0",
          "acoustic: steel drums and guitar, 138 BPM", offset=0.0),
    _eval("love-theme", "Love Theme", "Wesnoth composers", _WESNOTH[0], _WES_DIR + "love_theme.ogg", _WESNOTH[1],
          "acoustic and slow: solo instruments, no percussion, rubato", offset=10.0),
    _eval("knalgan-theme", "Knalgan Theme", "Wesnoth composers", _WESNOTH[0], _WES_DIR + "knalgan_theme.ogg",
          _WESNOTH[1], "orchestral, with a tempo change: 60 BPM rising to 126 BPM", offset=0.0),
    _eval("spunky-race", "Spunky Race", "Extreme Tux Racer team (ks)", _ETR[0],
          "usr/share/games/etr/music/spunkyrace-ks.ogg", _ETR[1], "fast: rock band, 155 BPM"),
    # --- training pairs ----------------------------------------------------------------------------
    *(_train(f"singularity-{i:02d}", title, _SING[2], _SING[0], f"{_SING_DIR}{title}.ogg", _SING[1],
             "electronic / ambient (Endgame: Singularity)")
      for i, title in enumerate(("A New Journey", "Aberrations", "Advanced Simulacra", "Awakening", "By-Product",
                                 "Coherence", "Deprecation", "Enemy Unknown", "Inevitable", "Media Threat",
                                 "Nebula", "Orbital Elevator", "Through Space"))),
    *(_train(f"warzone-{track}", track, _WZ[2], _WZ[0], f"{_WZ_DIR}{album}/{track}.opus", _WZ[1],
             "electronic / orchestral (Warzone 2100)")
      for album, track in (("original_soundtrack", "track1"), ("original_soundtrack", "track2"),
                           ("legacy_soundtrack", "track4"), ("legacy_soundtrack", "track6"),
                           ("legacy_soundtrack", "track8"), ("legacy_soundtrack", "track10"),
                           ("legacy_soundtrack", "track12"), ("legacy_soundtrack", "track14"),
                           ("aftermath_soundtrack", "track17"), ("aftermath_soundtrack", "track19"),
                           ("aftermath_soundtrack", "track21"), ("aftermath_soundtrack", "track23"),
                           ("aftermath_soundtrack", "track25"), ("aftermath_soundtrack", "track27"))),
    *(_train(f"asc-{stem}", stem.replace("_", " ").title(), "ASC team", "asc-music=1.3-6",
             f"usr/share/games/asc/music/{stem}.mp3", "GPL-2+", "rock / electronic (Advanced Strategic Command)")
      for stem in ("frontiers", "machine_wars", "time_to_strike")),
    *(_train(f"blupi-{i}", f"music00{i}", "Planet Blupi team", "planetblupi-music-ogg=1.14.2-3",
             f"usr/share/planetblupi/music/music00{i}.ogg", "GPL-3+", "light orchestral / pop (Planet Blupi)")
      for i in range(10)),
)

SAMPLE_NAME = "desert"
SAMPLE_FILE = "hr3-desert-excerpt.ogg"


def recordings(role: str | None = None) -> tuple[Recording, ...]:
    """The catalogue's recordings, all of them or those of one role ("train" or "eval")."""
    if role is None:
        return RECORDINGS
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES} or None, got {role!r}")
    return tuple(r for r in RECORDINGS if r.role == role)


def default_recordings_dir() -> Path:
    """Where tools/fetch_recordings.py unpacks the packages: $M2P_RECORDINGS, else ~/.cache/m2p_course/recordings."""
    return Path(os.environ.get(RECORDINGS_ENV) or Path.home() / ".cache" / "m2p_course" / "recordings")


def recording_path(recording: Recording, root=None) -> Path:
    """The file of `recording` under `root` (default: default_recordings_dir()): root/<package>/<path>.

    An archive member ("music.pk3!sound/x.ogg") is unpacked by the fetch tool beside its archive,
    as "music.pk3.d/sound/x.ogg".
    """
    if not isinstance(recording, Recording):
        raise TypeError(f"recording must be a Recording, got {type(recording).__name__}")
    base = Path(root) if root is not None else default_recordings_dir()
    archive, sep, member = recording.path.partition("!")
    rel = f"{archive}.d/{member}" if sep else archive
    return base / recording.package_name / rel


def available_recordings(role: str | None = None, root=None, *, verify: bool = True) -> list[Recording]:
    """The recordings of `role` present under `root`; with `verify`, a file whose SHA-256 differs
    from the catalogue's is a ValueError (never a silently different piece of music)."""
    found = []
    for rec in recordings(role):
        path = recording_path(rec, root)
        if not path.is_file():
            continue
        if verify and file_sha256(path) != rec.sha256:
            raise ValueError(f"{path} is not the catalogue's {rec.name!r}: its SHA-256 differs "
                             f"(expected {rec.sha256}); fetch it again with tools/fetch_recordings.py")
        found.append(rec)
    return found


def load_recording(recording: Recording, root=None, sr: int | None = None):
    """(audio [n] float32 mono, sample rate) of the recording's excerpt (``offset``, ``seconds``)."""
    import librosa

    path = recording_path(recording, root)
    if not path.is_file():
        raise FileNotFoundError(f"recording {recording.name!r} is not at {path}: run "
                                f"`python tools/fetch_recordings.py` (it takes {recording.package} from Debian)")
    y, rate = librosa.load(path, sr=sr, mono=True, offset=recording.offset, duration=recording.seconds)
    return y, rate


def sample_path() -> Path:
    """The one recording the package ships: 30 s of "Desert" by Shawn Parrotte (HyperRogue's
    soundtrack, CC-BY-SA-3.0), an evaluation recording, never trained on."""
    return Path(__file__).resolve().parent / "data" / SAMPLE_FILE


SAMPLE = next(r for r in RECORDINGS if r.name == SAMPLE_NAME)
