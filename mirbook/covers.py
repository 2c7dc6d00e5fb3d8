"""Cover (version) identification: chroma baselines against a learned embedding.

The code behind chapter 17 (``notebooks/17_frontiers.ipynb``), where the seed's list of tasks
"not so much impacted" by deep learning (lyrics transcription, structure analysis, cover and
version identification) gets one measured experiment. A *version* of a piece keeps its melody
and harmony and changes what a timbre model listens to: instrument, tempo, key. The classical
answer works on **chroma** (pitch classes: timbre mostly gone) and removes the rest by hand:

- the key, by the **optimal transposition index** (:func:`oti`, Serrà et al. 2008): roll one
  chromagram by the shift that best matches the two global pitch-class profiles;
- the tempo, by **dynamic time warping** of the two chroma sequences (:func:`dtw_distance`,
  :func:`mirbook.sequence.dtw`): the normalised cost of the cheapest monotone alignment;
- or both at once, cheaply, by the **2-D Fourier transform magnitude** of chroma patches
  (:func:`ftm2d`, Bertin-Mahieux and Ellis 2012): the magnitude is invariant to circular
  shifts along pitch (key) and, roughly, along time (position).

The learned alternative (:func:`train_embedding`) is a :class:`mirbook.models.MelCNN` trained
on log-CQT crops to tell training *pieces* apart across their versions (random transpositions as
augmentation); its embedding (:func:`embed`) is compared by cosine distance.

Evaluation (:func:`evaluate`, after :func:`validate`): every recording is a query against all
the others; the relevant ones are the other versions of the same piece. Reported: mean average
precision (mAP), mean rank of the first correct answer (MR1) and top-1 accuracy, as in the
MIREX and Da-TACOS evaluations. :func:`render_version` makes a version of a note list (another
General MIDI instrument, tempo, transposition) with :func:`mirbook.synth.render_tracks`.
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["DEFAULTS", "PROGRAMS", "render_version", "read_notes", "chorale_versions", "log_cqt", "chroma", "oti", "transpose",
           "dtw_distance", "ftm2d", "profile_distance", "distance_matrix", "validate",
           "evaluate", "train_embedding", "embed"]

#: Analysis settings: 11025 Hz audio, hop 2048 (186 ms), 60 CQT bins from C2 (5 octaves).
DEFAULTS = dict(sr=11025, hop_length=2048, fmin=65.40639132514966, n_bins=60)


#: General MIDI programs a version is played by (one instrument for all voices).
PROGRAMS = {0: "piano", 6: "harpsichord", 11: "vibraphone", 19: "organ", 24: "guitar",
            40: "violin", 48: "string ensemble", 52: "choir", 56: "trumpet", 68: "oboe",
            71: "clarinet", 73: "flute"}


def read_notes(path):
    """A mir_eval note file (``onset offset frequency_hz``) as ``(onset, offset, midi)`` rows.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 3)

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "n.txt")
    >>> _ = open(f, "w").write("0.0 0.5 440.0\\n")
    >>> read_notes(f).tolist()
    [[0.0, 0.5, 69.0]]
    """
    import mir_eval

    intervals, freqs = mir_eval.io.load_valued_intervals(str(path))
    return np.column_stack([intervals, np.round(69 + 12 * np.log2(freqs / 440.0))])


def chorale_versions(records, *, n_versions=3, tempo=(0.75, 1.3), transpose=(-5, 6),
                     sr=None, random_state=0):
    """Every record's own audio plus ``n_versions`` re-renderings of its notes.

    A version: one instrument drawn from :data:`PROGRAMS`, a tempo factor drawn uniformly in
    ``tempo``, a transposition drawn uniformly in ``transpose`` (semitones, both ends included).

    Parameters
    ----------
    records : sequence of dict
        Corpus records with ``path``, ``files["notes"]`` and ``labels`` (the ``chorales``
        corpus of :mod:`mirbook.datasets`).
    n_versions : int
    tempo : (float, float)
    transpose : (int, int)
    sr : int, optional
        Default :data:`DEFAULTS` ``["sr"]``.
    random_state : None, int or np.random.Generator

    Returns
    -------
    versions : list of dict
        ``record`` (its index), ``version`` (a description: ``"corpus"`` or e.g.
        ``"violin, x1.12, -3 st"``), ``program``, ``tempo``, ``transpose``, ``y`` (audio).

    Used in the chapter 17 notebook (``notebooks/17_frontiers.ipynb``).
    """
    from mirbook.io import load_audio

    n_versions = _validate.nonneg_int(n_versions, "n_versions")
    rng = _validate.random_state(random_state)
    sr = DEFAULTS["sr"] if sr is None else sr
    programs = sorted(PROGRAMS)
    out = []
    for i, rec in enumerate(records):
        y, _ = load_audio(rec["path"], sr=sr)
        out.append({"record": i, "version": "corpus", "program": None, "tempo": 1.0,
                    "transpose": 0, "y": y})
        notes = read_notes(rec["files"]["notes"])
        for _ in range(n_versions):
            prog = int(rng.choice(programs))
            tf = float(rng.uniform(*tempo))
            tr = int(rng.integers(transpose[0], transpose[1] + 1))
            out.append({"record": i, "version": f"{PROGRAMS[prog]}, x{tf:.2f}, {tr:+d} st",
                        "program": prog, "tempo": tf, "transpose": tr,
                        "y": render_version(notes, program=prog, tempo=tf, transpose=tr,
                                            sr=sr)})
    return out


def render_version(notes, *, program=0, tempo=1.0, transpose=0, velocity=80, sr=None,
                   duration=None):
    """Render a note list as a *version*: one instrument, another tempo, another key.

    Parameters
    ----------
    notes : array_like, shape (n_notes, 3)
        ``(onset_s, offset_s, midi_pitch)`` rows (e.g. a chorale's ``notes`` label file with the
        frequency converted to MIDI).
    program : int
        General MIDI program (0 piano, 19 organ, 40 violin, 52 choir, 73 flute...).
    tempo : float
        Speed factor (> 1: faster; times are divided by it).
    transpose : int
        Semitones.
    velocity : int
    sr : int, optional
        Default :data:`DEFAULTS` ``["sr"]``.
    duration : float, optional
        Cut to this many seconds (default: the last offset plus 0.5 s).

    Returns
    -------
    y : np.ndarray, shape (n,), float32
        Peak 0.89.

    Examples
    --------
    >>> y = render_version([[0.0, 0.5, 60]], program=40, tempo=2.0)   # doctest: +SKIP
    >>> y.shape                                                        # doctest: +SKIP
    (8269,)
    """
    from mirbook.synth import render_tracks

    notes = _validate.real_array(notes, "notes", ndim=2)
    if notes.shape[1] != 3 or len(notes) == 0:
        raise ParameterError(f"notes: expected (onset, offset, midi) rows, got {notes.shape}")
    tempo = _validate.finite_real(tempo, "tempo", low=0.0, low_open=True)
    sr = DEFAULTS["sr"] if sr is None else sr
    ev = [(a / tempo, b / tempo, int(round(m)) + int(transpose), int(velocity))
          for a, b, m in notes]
    end = max(b for _, b, _, _ in ev) + 0.5 if duration is None else duration
    return render_tracks([(int(program), ev)], sr=sr, duration=end, fade_out=0.2, peak=0.89)


def log_cqt(y, *, sr=None, hop_length=None, fmin=None, n_bins=None):
    """Log-magnitude CQT, ``log(1 + 100 |CQT| / max)`` (:func:`mirbook.transforms.cqt`).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr, hop_length, fmin, n_bins : optional
        Defaults from :data:`DEFAULTS`.

    Returns
    -------
    L : np.ndarray, shape (n_bins, n_frames), float32

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 220 * np.arange(11025) / 11025)
    >>> L = log_cqt(y)
    >>> L.shape, int(L.mean(axis=1).argmax())     # A3 is 21 semitones above C2
    ((60, 6), 21)
    """
    from mirbook.transforms import cqt

    p = {k: v for k, v in dict(sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins).items()
         if v is not None}
    p = {**DEFAULTS, **p}
    y = _validate.real_array(y, "y", ndim=1)
    C = np.abs(cqt(y, sr=p["sr"], hop_length=p["hop_length"], fmin=p["fmin"],
                   n_bins=p["n_bins"]))
    return np.log1p(100.0 * C / max(C.max(), 1e-12)).astype(np.float32)


def chroma(L, *, fmin=None):
    """Chromagram (12 pitch classes, each frame scaled to unit maximum) of a (log-)CQT.

    Parameters
    ----------
    L : np.ndarray, shape (n_bins, n_frames)
        From :func:`log_cqt` (12 bins per octave).
    fmin : float, optional
        Frequency of bin 0 (default :data:`DEFAULTS`).

    Returns
    -------
    chroma : np.ndarray, shape (12, n_frames)
        Row 0 is the pitch class of ``fmin`` (C for the default).

    Examples
    --------
    >>> L = np.zeros((24, 2)); L[21, :] = 1.0          # A3
    >>> int(chroma(L).argmax(axis=0)[0])
    9
    """
    from mirbook.transforms import chroma_from_cqt

    L = _validate.real_array(L, "L", ndim=2, nonneg=True)
    return chroma_from_cqt(L, fmin=DEFAULTS["fmin"] if fmin is None else fmin)


def _check_chroma(c, name):
    c = _validate.real_array(c, name, ndim=2)
    if c.shape[0] != 12:
        raise ParameterError(f"{name}: expected 12 pitch-class rows, got {c.shape[0]}")
    return c


def transpose(chroma, *, shift):
    """A chromagram shifted up by ``shift`` semitones (pitch class ``p`` -> ``p + shift``).

    Examples
    --------
    >>> c = np.eye(12)[:, :1]
    >>> int(transpose(c, shift=2).argmax())
    2
    """
    return np.roll(_check_chroma(chroma, "chroma"), int(shift), axis=0)


def oti(a, b):
    """Optimal transposition index: the shift ``k`` for which ``transpose(a, shift=k)`` best matches ``b``.

    The global profiles (time averages) are compared by their dot product for every one of the
    12 circular shifts (Serrà, Gómez and Herrera 2008).

    Parameters
    ----------
    a, b : np.ndarray, shape (12, n_frames)
        Chromagrams (any lengths).

    Returns
    -------
    k : int, 0..11

    Examples
    --------
    >>> rng = np.random.default_rng(0); a = rng.random((12, 30))
    >>> oti(a, transpose(a, shift=5))
    5
    """
    pa = _check_chroma(a, "a").mean(axis=1)
    pb = _check_chroma(b, "b").mean(axis=1)
    scores = [float(np.roll(pa, k) @ pb) for k in range(12)]
    return int(np.argmax(scores))


def profile_distance(a, b, *, key_invariant=True):
    """Cosine distance of the global pitch-class profiles (after the OTI when key-invariant).

    Examples
    --------
    >>> rng = np.random.default_rng(0); a = rng.random((12, 30))
    >>> round(profile_distance(a, transpose(a, shift=3)), 6)
    0.0
    """
    a = _check_chroma(a, "a")
    b = _check_chroma(b, "b")
    if key_invariant:
        a = transpose(a, shift=oti(a, b))
    pa, pb = a.mean(axis=1), b.mean(axis=1)
    return float(1.0 - pa @ pb / max(np.linalg.norm(pa) * np.linalg.norm(pb), 1e-12))


def dtw_distance(a, b, *, key_invariant=True):
    """Chroma DTW distance: OTI, cosine frame costs, the cheapest alignment's cost per step.

    Parameters
    ----------
    a, b : np.ndarray, shape (12, n_frames)
    key_invariant : bool
        Transpose ``a`` by :func:`oti` first.

    Returns
    -------
    distance : float
        ``D[-1, -1] / (N + M)`` with Müller's step weights ``(2, 1, 1)``
        (:func:`mirbook.sequence.dtw`); 0 for identical sequences.

    Examples
    --------
    >>> rng = np.random.default_rng(0); a = rng.random((12, 20))
    >>> slow = np.repeat(a, 2, axis=1)                       # half the tempo
    >>> dtw_distance(a, transpose(slow, shift=4)) < 0.01 < dtw_distance(a, rng.random((12, 40)))
    True
    """
    from mirbook.sequence import cost_matrix, dtw

    a = _check_chroma(a, "a")
    b = _check_chroma(b, "b")
    if key_invariant:
        a = transpose(a, shift=oti(a, b))
    C = cost_matrix(a, b, metric="cosine")
    D = dtw(C, weights=[2.0, 1.0, 1.0], backtrack=False)
    return float(D[-1, -1] / (C.shape[0] + C.shape[1]))


def ftm2d(chroma, *, patch_frames=32, hop_frames=8, power=2.0):
    """2-D Fourier transform magnitude of chroma patches, median over patches (a fixed vector).

    Each ``(12, patch_frames)`` patch (chroma raised to ``power`` to sharpen it) is 2-D Fourier
    transformed; the magnitude is invariant to a circular pitch shift (key) and to a circular
    time shift; the median over patches is the song's vector, log-compressed and scaled to unit
    length (Bertin-Mahieux and Ellis 2012). A clip shorter than one patch is zero-padded.

    Parameters
    ----------
    chroma : np.ndarray, shape (12, n_frames)
    patch_frames, hop_frames : int
    power : float

    Returns
    -------
    v : np.ndarray, shape (12 * (patch_frames // 2 + 1),)

    Examples
    --------
    >>> rng = np.random.default_rng(0); a = rng.random((12, 64))
    >>> bool(np.allclose(ftm2d(a), ftm2d(transpose(a, shift=7))))
    True
    """
    c = _check_chroma(chroma, "chroma") ** float(power)
    patch_frames = _validate.positive_int(patch_frames, "patch_frames")
    hop_frames = _validate.positive_int(hop_frames, "hop_frames")
    if c.shape[1] < patch_frames:
        c = np.pad(c, ((0, 0), (0, patch_frames - c.shape[1])))
    starts = range(0, c.shape[1] - patch_frames + 1, hop_frames)
    mags = [np.abs(np.fft.rfft2(c[:, s:s + patch_frames])) for s in starts]
    v = np.log1p(np.median(np.stack(mags), axis=0)).ravel()
    return v / max(np.linalg.norm(v), 1e-12)


def distance_matrix(items, *, method="dtw", key_invariant=True):
    """Pairwise distances between recordings (symmetric, zero diagonal).

    Parameters
    ----------
    items : sequence
        Chromagrams ``(12, n_frames)`` for ``"dtw"`` and ``"profile"``; vectors (a 2-d array
        ``(n, d)``) for ``"cosine"`` and ``"euclidean"``.
    method : {"dtw", "profile", "cosine", "euclidean"}
    key_invariant : bool
        For ``"dtw"`` and ``"profile"``.

    Returns
    -------
    D : np.ndarray, shape (n, n)
        For ``"dtw"`` and ``"profile"`` the two directions are averaged.

    Examples
    --------
    >>> D = distance_matrix(np.eye(3), method="cosine")
    >>> D.round(2).tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    """
    _validate.one_of(method, "method", ("dtw", "profile", "cosine", "euclidean"))
    if method in ("cosine", "euclidean"):
        X = _validate.real_array(np.asarray(items, dtype=float), "items", ndim=2)
        if method == "euclidean":
            sq = (X**2).sum(1)
            D = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0))
        else:
            U = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
            D = np.clip(1.0 - U @ U.T, 0.0, 2.0)
        np.fill_diagonal(D, 0.0)
        return D
    items = [_check_chroma(c, f"items[{i}]") for i, c in enumerate(items)]
    fn = dtw_distance if method == "dtw" else profile_distance
    n = len(items)
    D = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d = 0.5 * (fn(items[i], items[j], key_invariant=key_invariant)
                       + fn(items[j], items[i], key_invariant=key_invariant))
            D[i, j] = D[j, i] = d
    return D


def validate(D, labels):
    """Check a distance matrix and the piece labels of its rows before scoring.

    Raises
    ------
    mirbook.errors.ParameterError
        Naming ``D`` (not square, not finite) or ``labels`` (wrong length, a piece with a
        single version: it could never be found).

    Examples
    --------
    >>> validate(np.zeros((2, 2)), ["a", "a"])
    >>> validate(np.zeros((2, 2)), ["a", "b"])
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: labels: piece 'a' has one version only (nothing to find)
    """
    D = np.asarray(D)
    if D.ndim != 2 or D.shape[0] != D.shape[1] or D.shape[0] < 2:
        raise ParameterError(f"D: expected a square (n, n) matrix, n >= 2, got {D.shape}")
    if not np.all(np.isfinite(D)):
        raise ParameterError("D: contains NaN or infinity")
    labels = np.asarray(labels)
    if labels.shape != (D.shape[0],):
        raise ParameterError(f"labels: {labels.shape} for a {D.shape} matrix")
    names, counts = np.unique(labels, return_counts=True)
    if (counts < 2).any():
        raise ParameterError(f"labels: piece {str(names[counts < 2][0])!r} has one version only "
                             "(nothing to find)")


def evaluate(D, labels, *, return_info=False):
    """mAP, MR1 and top-1 accuracy of version retrieval, every recording a query.

    For query ``i`` the other recordings are ranked by ``D[i]`` (ascending, ties by index);
    relevant: the same label. Average precision as :func:`sklearn.metrics.average_precision_score`
    of that ranking.

    Parameters
    ----------
    D : np.ndarray, shape (n, n)
    labels : sequence, shape (n,)
        The piece of every recording.
    return_info : bool
        Also return ``{"ap": per-query AP, "first_rank": per-query rank of the first version}``.

    Returns
    -------
    dict
        ``mAP``, ``MR1`` (1 = always first), ``top-1``, ``n_queries``.

    Examples
    --------
    >>> r = evaluate(np.array([[0, 1, 4, 5], [1, 0, 4, 5], [4, 4, 0, 1], [5, 5, 1, 0.]]),
    ...              ["a", "a", "b", "b"])
    >>> r["mAP"], r["MR1"], r["top-1"]
    (1.0, 1.0, 1.0)

    Used in the chapter 17 notebook (``notebooks/17_frontiers.ipynb``).
    """
    validate(D, labels)
    D = np.asarray(D, dtype=float)
    labels = np.asarray(labels)
    n = len(labels)
    aps, firsts = np.zeros(n), np.zeros(n)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        order = others[np.argsort(D[i, others], kind="stable")]
        rel = labels[order] == labels[i]
        hits = np.cumsum(rel)
        aps[i] = float((hits[rel] / (np.flatnonzero(rel) + 1)).mean())
        firsts[i] = np.flatnonzero(rel)[0] + 1
    out = {"mAP": float(aps.mean()), "MR1": float(firsts.mean()),
           "top-1": float((firsts == 1).mean()), "n_queries": n}
    if return_info:
        return out, {"ap": aps, "first_rank": firsts}
    return out


def _crops(cqts, labels, crop_frames, n_crops, rng):
    X, y = [], []
    for L, lab in zip(cqts, labels):
        L = np.asarray(L, dtype=np.float32)
        if L.shape[1] < crop_frames:
            L = np.pad(L, ((0, 0), (0, crop_frames - L.shape[1])))
        for _ in range(n_crops):
            s = int(rng.integers(L.shape[1] - crop_frames + 1))
            X.append(L[None, :, s:s + crop_frames])
            y.append(lab)
    return np.stack(X), np.asarray(y)


def train_embedding(X, labels, *, crop_frames=32, n_crops=4, max_shift=4, circular=False,
                    epochs=15, channels=(8, 16, 32), embedding_dim=32, n_jobs=1,
                    random_state=0):
    """Train a :class:`mirbook.models.MelCNN` to tell pieces apart across their versions.

    Training examples: ``n_crops`` random crops of ``crop_frames`` frames of every input
    (log-CQT or chromagram); target: the piece. Augmentation: every batch is shifted along
    pitch by a random ``-max_shift..max_shift`` bins (zero-filled; rolled when ``circular``,
    as a chromagram is), so that the key is no cue.

    Parameters
    ----------
    X : sequence of np.ndarray, shape (n_bins, n_frames)
        Log-CQTs (:func:`log_cqt`) or chromagrams (:func:`chroma`, with ``circular=True``)
        of the training recordings.
    labels : sequence, shape (n_recordings,)
        Their pieces (any hashable).
    crop_frames, n_crops, max_shift, epochs, embedding_dim : int
    circular : bool
        Roll (chroma) rather than shift (CQT) in the pitch augmentation.
    channels : tuple of int
        Filters of the conv blocks (:class:`mirbook.models.MelCNN`).
    n_jobs : int
        Torch threads during the fit (1: fastest on a busy 2-core machine).
    random_state : int

    Returns
    -------
    model : mirbook.models.MelCNN
        Trained, in eval mode; :func:`embed` gives the embeddings.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cqts = [rng.random((60, 50)).astype("float32") for _ in range(4)]
    >>> model = train_embedding(cqts, [0, 0, 1, 1], epochs=1, n_crops=1)
    >>> embed(model, cqts).shape
    (4, 32)
    """
    import torch

    from mirbook.models import MelCNN
    from mirbook.train import fit

    if len(X) != len(labels) or len(X) == 0:
        raise ParameterError(f"labels: {len(labels)} labels for {len(X)} recordings")
    names, y = np.unique(np.asarray(labels).astype(str), return_inverse=True)
    crop_frames = _validate.positive_int(crop_frames, "crop_frames")
    n_crops = _validate.positive_int(n_crops, "n_crops")
    max_shift = _validate.nonneg_int(max_shift, "max_shift")
    rng = _validate.random_state(random_state)
    Xc, t = _crops(X, y, crop_frames, n_crops, rng)

    def shift(xb):
        k = int(torch.randint(-max_shift, max_shift + 1, (1,)))
        if k == 0:
            return xb
        if circular:
            return torch.roll(xb, k, dims=2)
        out = torch.zeros_like(xb)
        if k > 0:
            out[:, :, k:] = xb[:, :, :-k]
        else:
            out[:, :, :k] = xb[:, :, -k:]
        return out

    model = MelCNN(n_classes=len(names), channels=channels, first_kernel=(5, 3),
                   embedding_dim=embedding_dim, dropout=0.2,
                   random_state=int(rng.integers(2**31)))
    fit(model, (Xc, t), epochs=epochs, batch_size=32, lr=2e-3, augment=shift,
        random_state=int(rng.integers(2**31)), device="cpu", n_jobs=n_jobs, show_progress=False)
    model.eval()
    return model


def embed(model, X):
    """Embeddings of whole recordings (any lengths) by a trained :func:`train_embedding` model.

    Parameters
    ----------
    model : mirbook.models.MelCNN
    X : sequence of np.ndarray, shape (n_bins, n_frames)
        Log-CQTs (:func:`log_cqt`).

    Returns
    -------
    E : np.ndarray, shape (n_recordings, embedding_dim)
        Unit rows.
    """
    import torch

    with torch.no_grad():
        E = np.concatenate([model.embed(torch.tensor(np.asarray(L, dtype=np.float32))
                                        [None, None]).numpy() for L in X])
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
