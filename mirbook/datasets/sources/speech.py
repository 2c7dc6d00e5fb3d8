"""Synthetic speech in many languages and voices, from espeak-ng and flite (Debian packages).

The sentences are made, deterministically, from small phrase lists written for this module: for
each language six subjects, six predicates and six adverbials (216 sentences per language, in the
language's own word order), all in the present tense so that nothing has to agree with the subject.
They are plain and grammatical rather than interesting: the speech/music chapter
(``notebooks/07_speech_music.ipynb``) needs many languages and voices, not meaning.

Engines:

- ``espeak-ng`` (formant synthesis, ``apt-get install espeak-ng``): every language of
  :data:`LANGUAGES`, with voice variants (:data:`ESPEAK_VARIANTS`), pitch and speed varied.
- ``flite`` (diphone/cluster-unit synthesis of English, ``apt-get install flite``): the voices of
  :data:`FLITE_VOICES`, with the duration stretched.
- ``festival`` (``apt-get install festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  festvox-italp16k festvox-suopuhe-lj``): diphone voices in English, Italian and Finnish and one
  statistical-parametric (HTS) English voice (:data:`FESTIVAL_VOICES`), duration stretched and, for
  the diphone voices, the pitch moved.

:func:`speak` joins sentences with gaps of random length (connected speech, not one sentence
per clip) and :func:`vary_sentences` mixes short clauses with long compound sentences.

Examples
--------
>>> sentences("fr", n=2, random_state=0)                                # doctest: +SKIP
['Notre nouveau voisin écrit une longue lettre avec beaucoup de patience.', ...]
>>> y = synthesize("Hello world.", engine="espeak-ng", language="en", sr=22050)  # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

#: language code -> (espeak-ng voice, word order, subjects, predicates, adverbials).
#: Word order "SPA" reads subject + predicate + adverbial, "SAP" subject + adverbial + predicate.
LANGUAGES = {
    "en": ("en", "SPA",
           ["The old fisherman", "My younger sister", "A tired teacher", "Our new neighbour",
            "The little boy", "Every student", "The young doctor", "An old farmer"],
           ["reads the morning paper", "walks to the station", "cooks a simple dinner",
            "paints the garden fence", "writes a long letter", "plays with the black dog"],
           ["before the sun comes up", "on quiet Sunday afternoons", "when the rain stops",
            "after a long day at work", "near the river bank", "with great patience"]),
    "fr": ("fr", "SPA",
           ["Le vieux pêcheur", "Ma petite sœur", "Un professeur fatigué", "Notre nouveau voisin",
            "Le petit garçon", "Chaque étudiant"],
           ["lit le journal du matin", "marche jusqu'à la gare", "prépare un dîner simple",
            "peint la clôture du jardin", "écrit une longue lettre", "joue avec le chien noir"],
           ["avant le lever du soleil", "le dimanche après-midi", "quand la pluie s'arrête",
            "après une longue journée de travail", "près de la rivière",
            "avec beaucoup de patience"]),
    "de": ("de", "SPA",
           ["Der alte Fischer", "Meine kleine Schwester", "Ein müder Lehrer", "Unser neuer Nachbar",
            "Der kleine Junge", "Jeder Student"],
           ["liest die Morgenzeitung", "geht zum Bahnhof", "kocht ein einfaches Abendessen",
            "streicht den Gartenzaun", "schreibt einen langen Brief",
            "spielt mit dem schwarzen Hund"],
           ["vor Sonnenaufgang", "an ruhigen Sonntagnachmittagen", "jeden Abend",
            "nach einem langen Arbeitstag", "am Ufer des Flusses", "mit großer Geduld"]),
    "es": ("es", "SPA",
           ["El viejo pescador", "Mi hermana pequeña", "Un profesor cansado", "Nuestro nuevo vecino",
            "El niño pequeño", "Cada estudiante"],
           ["lee el periódico de la mañana", "camina hasta la estación", "prepara una cena sencilla",
            "pinta la valla del jardín", "escribe una carta larga", "juega con el perro negro"],
           ["antes de que salga el sol", "los domingos por la tarde", "cuando para la lluvia",
            "después de un largo día de trabajo", "cerca del río", "con mucha paciencia"]),
    "it": ("it", "SPA",
           ["Il vecchio pescatore", "Mia sorella minore", "Un insegnante stanco",
            "Il nostro nuovo vicino", "Il bambino piccolo", "Ogni studente"],
           ["legge il giornale del mattino", "cammina fino alla stazione",
            "prepara una cena semplice", "dipinge il recinto del giardino",
            "scrive una lunga lettera", "gioca con il cane nero"],
           ["prima dell'alba", "la domenica pomeriggio", "quando smette di piovere",
            "dopo una lunga giornata di lavoro", "vicino al fiume", "con molta pazienza"]),
    "pt": ("pt", "SPA",
           ["O velho pescador", "A minha irmã mais nova", "Um professor cansado",
            "O nosso novo vizinho", "O menino pequeno", "Cada estudante"],
           ["lê o jornal da manhã", "caminha até à estação", "prepara um jantar simples",
            "pinta a cerca do jardim", "escreve uma carta longa", "brinca com o cão preto"],
           ["antes do nascer do sol", "aos domingos à tarde", "quando a chuva para",
            "depois de um longo dia de trabalho", "perto do rio", "com muita paciência"]),
    "nl": ("nl", "SPA",
           ["De oude visser", "Mijn jongere zus", "Een vermoeide leraar", "Onze nieuwe buurman",
            "De kleine jongen", "Elke student"],
           ["leest de ochtendkrant", "loopt naar het station", "kookt een eenvoudig diner",
            "schildert het tuinhek", "schrijft een lange brief", "speelt met de zwarte hond"],
           ["voor zonsopgang", "op rustige zondagmiddagen", "als de regen stopt",
            "na een lange werkdag", "bij de rivier", "met veel geduld"]),
    "sv": ("sv", "SPA",
           ["Den gamle fiskaren", "Min lillasyster", "En trött lärare", "Vår nya granne",
            "Den lilla pojken", "Varje student"],
           ["läser morgontidningen", "går till stationen", "lagar en enkel middag",
            "målar trädgårdsstaketet", "skriver ett långt brev", "leker med den svarta hunden"],
           ["före soluppgången", "på lugna söndagseftermiddagar", "när regnet slutar",
            "efter en lång arbetsdag", "vid älven", "med stort tålamod"]),
    "pl": ("pl", "SPA",
           ["Stary rybak", "Moja młodsza siostra", "Zmęczony nauczyciel", "Nasz nowy sąsiad",
            "Mały chłopiec", "Każdy student"],
           ["czyta poranną gazetę", "idzie na dworzec", "gotuje prosty obiad",
            "maluje płot w ogrodzie", "pisze długi list", "bawi się z czarnym psem"],
           ["przed wschodem słońca", "w spokojne niedzielne popołudnia", "kiedy przestaje padać",
            "po długim dniu pracy", "nad rzeką", "z wielką cierpliwością"]),
    "ru": ("ru", "SPA",
           ["Старый рыбак", "Моя младшая сестра", "Усталый учитель", "Наш новый сосед",
            "Маленький мальчик", "Каждый студент"],
           ["читает утреннюю газету", "идёт на вокзал", "готовит простой ужин",
            "красит забор в саду", "пишет длинное письмо", "играет с чёрной собакой"],
           ["до восхода солнца", "по тихим воскресеньям", "когда кончается дождь",
            "после долгого рабочего дня", "у реки", "с большим терпением"]),
    "el": ("el", "SPA",
           ["Ο γέρος ψαράς", "Η μικρή μου αδελφή", "Ένας κουρασμένος δάσκαλος",
            "Ο νέος μας γείτονας", "Το μικρό αγόρι", "Κάθε φοιτητής"],
           ["διαβάζει την πρωινή εφημερίδα", "περπατάει ως τον σταθμό",
            "μαγειρεύει ένα απλό δείπνο", "βάφει τον φράχτη του κήπου",
            "γράφει ένα μεγάλο γράμμα", "παίζει με τον μαύρο σκύλο"],
           ["πριν βγει ο ήλιος", "τα ήσυχα απογεύματα της Κυριακής", "όταν σταματά η βροχή",
            "μετά από μια μεγάλη μέρα δουλειάς", "κοντά στο ποτάμι", "με μεγάλη υπομονή"]),
    "fi": ("fi", "SPA",
           ["Vanha kalastaja", "Pikkusiskoni", "Väsynyt opettaja", "Uusi naapurimme",
            "Pieni poika", "Jokainen opiskelija"],
           ["lukee aamun lehteä", "kävelee asemalle", "valmistaa yksinkertaisen illallisen",
            "maalaa puutarhan aitaa", "kirjoittaa pitkän kirjeen",
            "leikkii mustan koiran kanssa"],
           ["ennen auringonnousua", "rauhallisina sunnuntai-iltapäivinä", "kun sade lakkaa",
            "pitkän työpäivän jälkeen", "joen rannalla", "suurella kärsivällisyydellä"]),
    "tr": ("tr", "SAP",
           ["Yaşlı balıkçı", "Küçük kız kardeşim", "Yorgun bir öğretmen", "Yeni komşumuz",
            "Küçük çocuk", "Her öğrenci"],
           ["sabah gazetesini okuyor", "istasyona yürüyor", "basit bir akşam yemeği hazırlıyor",
            "bahçe çitini boyuyor", "uzun bir mektup yazıyor", "siyah köpekle oynuyor"],
           ["güneş doğmadan önce", "sakin pazar öğleden sonraları", "yağmur dinince",
            "uzun bir iş gününden sonra", "nehir kenarında", "büyük bir sabırla"]),
    "hi": ("hi", "SAP",
           ["बूढ़ा मछुआरा", "मेरा छोटा भाई", "एक थका हुआ अध्यापक", "हमारा नया पड़ोसी",
            "छोटा लड़का", "हर छात्र"],
           ["सुबह का अख़बार पढ़ता है", "स्टेशन तक पैदल जाता है", "सादा खाना बनाता है",
            "बगीचे की बाड़ रंगता है", "एक लंबी चिट्ठी लिखता है", "काले कुत्ते के साथ खेलता है"],
           ["सूरज निकलने से पहले", "रविवार की शाम को", "बारिश रुकने के बाद",
            "लंबे दिन के काम के बाद", "नदी के किनारे", "बड़े धैर्य से"]),
}

#: espeak-ng voice variants used (male m1-m7, female f1-f5, and two Klatt-synthesiser voices).
ESPEAK_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4", "f5", "klatt2",
                   "klatt4"]

#: flite's built-in English voices.
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]

#: festival voices -> (language of :data:`LANGUAGES`, Debian package, text encoding).
FESTIVAL_VOICES = {
    "kal_diphone": ("en", "festvox-kallpc16k", "latin-1"),
    "ked_diphone": ("en", "festvox-kdlpc16k", "latin-1"),
    "cmu_us_slt_arctic_hts": ("en", "festvox-us-slt-hts", "latin-1"),
    "lp_diphone": ("it", "festvox-italp16k", "latin-1"),
    "suo_fi_lj_diphone": ("fi", "festvox-suopuhe-lj", "latin-1"),
}

#: Words that join two sentences into one (connected speech), per language.
_CONJUNCTIONS = {"en": "and", "fr": "et", "de": "und", "es": "y", "it": "e", "pt": "e", "nl": "en",
                 "sv": "och", "pl": "i", "ru": "и", "el": "και", "fi": "ja", "tr": "ve",
                 "hi": "और"}

_FULL_STOP = {"hi": "।"}


def all_sentences(name: str) -> list[str]:
    """Every sentence the phrase lists of language ``name`` make (216; English 288), in a fixed order.

    Examples
    --------
    >>> len(all_sentences("fi"))
    216
    """
    language = name
    if language not in LANGUAGES:
        raise ParameterError(f"unknown language {language!r}: choose from {sorted(LANGUAGES)}")
    _, order, subj, pred, adv = LANGUAGES[language]
    stop = _FULL_STOP.get(language, ".")
    out = []
    for s in subj:
        for p in pred:
            for a in adv:
                words = (s, p, a) if order == "SPA" else (s, a, p)
                out.append(" ".join(words) + stop)
    return out


def sentences(name: str, *, n: int, random_state=0) -> list[str]:
    """``n`` distinct sentences of language ``name``, drawn without replacement.

    Examples
    --------
    >>> sentences("de", n=2, random_state=3) == sentences("de", n=2, random_state=3)
    True
    """
    language = name
    pool = all_sentences(language)
    if n > len(pool):
        raise ParameterError(f"{language}: asked for n={n} distinct sentences, the lists make "
                             f"{len(pool)}")
    order = _validate.random_state(random_state).permutation(len(pool))[:n]
    return [pool[i] for i in order]


def check_engine(name: str, *, corpus: str | None = None):
    """Raise :class:`mirbook.errors.MissingToolError` (with the apt-get command) if absent."""
    from mirbook._tools import require_tool

    engine = name
    if engine not in ("espeak-ng", "flite", "festival"):
        raise ParameterError(f"unknown speech engine {engine!r}: use 'espeak-ng', 'flite' or "
                             "'festival'")
    if engine == "festival":
        require_tool("festival", apt="festival", executable="text2wave", corpus=corpus)
        return
    require_tool(engine, apt=engine, executable=engine, corpus=corpus)


def check_festival_voice(name: str, *, corpus: str | None = None):
    """Raise :class:`mirbook.errors.MissingToolError` if festival voice ``name`` is not installed.

    Examples
    --------
    >>> check_festival_voice("kal_diphone")        # doctest: +SKIP
    """
    import glob

    from mirbook.errors import MissingToolError

    voice = name

    if voice not in FESTIVAL_VOICES:
        raise ParameterError(f"unknown festival voice {voice!r}: choose from "
                             f"{sorted(FESTIVAL_VOICES)}")
    check_engine("festival", corpus=corpus)
    if not glob.glob(f"/usr/share/festival/voices/*/{voice}"):
        pkg = FESTIVAL_VOICES[voice][1]
        raise MissingToolError(f"festival voice {voice} is not installed"
                               f"{f' (corpus {corpus})' if corpus else ''}: "
                               f"sudo apt-get install {pkg}")


def vary_sentences(texts, *, language, random_state=0):
    """Mix sentence lengths: some sentences cut to subject and verb, some joined in pairs.

    Examples
    --------
    >>> out = vary_sentences(["A b c.", "D e f.", "G h i."], language="en", random_state=0)
    >>> all(isinstance(t, str) and t for t in out)
    True
    """
    rng = _validate.random_state(random_state)
    stop = _FULL_STOP.get(language, ".")
    out, i = [], 0
    texts = list(texts)
    while i < len(texts):
        r = rng.uniform()
        t = texts[i].rstrip(stop).rstrip()
        if r < 0.35 and i + 1 < len(texts):            # compound sentence
            nxt = texts[i + 1].rstrip(stop).rstrip()
            nxt = nxt[:1].lower() + nxt[1:] if language not in ("de",) else nxt
            out.append(f"{t}, {_CONJUNCTIONS.get(language, 'and')} {nxt}{stop}")
            i += 2
            continue
        if r < 0.55:                                   # short clause: drop the last words
            words = t.split()
            keep = max(2, int(len(words) * rng.uniform(0.4, 0.7)))
            out.append(" ".join(words[:keep]) + stop)
        else:
            out.append(t + stop)
        i += 1
    return out


def _read_wav_bytes(data: bytes, what: str):
    import soundfile as sf

    if not data:
        raise RuntimeError(f"{what}: the synthesiser wrote no audio")
    y, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return y.mean(axis=1), sr


def synthesize(text: str, *, engine: str = "espeak-ng", language: str = "en", voice: str | None = None,
               sr: int = 22050, pitch: int = 50, speed: int = 165, stretch: float = 1.0,
               word_gap: int = 0, f0: float | None = None):
    """Speak ``text`` and return the signal (float32 mono at ``sr``).

    Parameters
    ----------
    text : str
    engine : {"espeak-ng", "flite", "festival"}
    language : str
        A key of :data:`LANGUAGES` (espeak-ng); flite speaks English only; festival the language
        of its voice (:data:`FESTIVAL_VOICES`).
    voice : str, optional
        espeak-ng: a variant of :data:`ESPEAK_VARIANTS` (default none); flite: one of
        :data:`FLITE_VOICES` (default ``"kal"``).
    sr : int
        Output sample rate (the engines' own rates, 22050 / 16000 / 8000 Hz, are resampled).
    pitch : int
        espeak-ng base pitch, 0-99.
    speed : int
        espeak-ng words per minute.
    stretch : float
        flite and festival duration stretch (> 1 is slower).
    word_gap : int
        espeak-ng extra pause between words, in units of 10 ms.
    f0 : float, optional
        festival diphone voices: mean pitch (Hz) of the intonation model.

    Returns
    -------
    y : np.ndarray, shape (n,), float32
    """
    from mirbook.io import resample

    check_engine(engine)
    if engine == "espeak-ng":
        name = LANGUAGES[language][0] if language in LANGUAGES else language
        if voice:
            name = f"{name}+{voice}"
        cmd = ["espeak-ng", "-v", name, "-p", str(int(pitch)), "-s", str(int(speed)),
               "-g", str(int(word_gap)), "--stdout", text]
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError(f"espeak-ng -v {name} failed: {proc.stderr.decode(errors='replace')}")
        y, file_sr = _read_wav_bytes(proc.stdout, f"espeak-ng -v {name}")
    elif engine == "festival":
        y, file_sr = _festival(text, voice=voice or "kal_diphone", stretch=stretch, f0=f0)
    else:
        if language != "en":
            raise ParameterError(f"flite speaks English only, not language={language!r}")
        voice = voice or "kal"
        fd, tmp = tempfile.mkstemp(suffix=".wav")
        os.close(fd)
        try:
            cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}", "-t", text,
                   "-o", tmp]
            proc = subprocess.run(cmd, capture_output=True)
            if proc.returncode != 0:
                raise RuntimeError(f"flite -voice {voice} failed: "
                                   f"{proc.stderr.decode(errors='replace')}")
            with open(tmp, "rb") as f:
                y, file_sr = _read_wav_bytes(f.read(), f"flite -voice {voice}")
        finally:
            os.unlink(tmp)
    y = resample(y, orig_sr=file_sr, target_sr=sr) if file_sr != sr else y.astype(np.float32)
    return np.asarray(y, dtype=np.float32)


def _festival(text, *, voice, stretch, f0):
    check_festival_voice(voice)
    enc = FESTIVAL_VOICES[voice][2]
    evals = [f"(voice_{voice})", f"(Parameter.set 'Duration_Stretch {float(stretch):.3f})"]
    if f0 is not None and voice.endswith("_diphone"):
        evals.append(f"(set! int_lr_params (list (list 'target_f0_mean {float(f0):.1f}) "
                     f"(list 'target_f0_std {0.16 * float(f0):.1f}) "
                     "(list 'model_f0_mean 170) (list 'model_f0_std 34)))")
    fd, txt = tempfile.mkstemp(suffix=".txt")
    os.close(fd)
    fd, wav = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        with open(txt, "wb") as f:
            f.write(text.encode(enc, errors="replace"))
        cmd = ["text2wave"] + [a for e in evals for a in ("-eval", e)] + [txt, "-o", wav]
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError(f"festival voice {voice} failed: "
                               f"{proc.stderr.decode(errors='replace')}")
        with open(wav, "rb") as f:
            return _read_wav_bytes(f.read(), f"festival voice {voice}")
    finally:
        os.unlink(txt)
        os.unlink(wav)


def trim_silence(y, *, threshold_db: float = -50.0, frame: int = 256):
    """Drop leading and trailing frames quieter than ``threshold_db`` relative to the peak."""
    y = np.asarray(y, dtype=np.float32)
    if y.size == 0 or not np.any(y):
        return y
    n = len(y) // frame
    if n == 0:
        return y
    rms = np.sqrt(np.mean(y[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-20)
    loud = np.flatnonzero(20 * np.log10(rms / (np.abs(y).max() + 1e-20)) > threshold_db)
    if loud.size == 0:
        return y
    return y[loud[0] * frame: (loud[-1] + 1) * frame]


def speak(texts, *, duration: float, sr: int = 22050, gap: float = 0.35, gaps=None, lead=0.0,
          **kwargs):
    """Speak ``texts`` one after the other (``gap`` s apart) and return exactly ``duration`` s.

    ``gaps`` (a list, one per sentence) overrides ``gap`` (natural pauses vary); ``lead`` is
    the silence (s) before the first sentence.

    The sentences are spoken until the clip is full; if they run out the clip is zero-padded.
    Leading silence is trimmed so that speech starts at once.

    Returns
    -------
    y : np.ndarray, shape (round(duration * sr),), float32
    used : list of str
        The sentences (at least partly) heard in the clip.
    """
    n = int(round(duration * sr))
    pieces, used, total = [], [], 0
    if lead > 0:
        pieces.append(np.zeros(int(round(lead * sr)), dtype=np.float32))
        total += len(pieces[0])
    for i, text in enumerate(texts):
        g = gap if gaps is None else gaps[i % len(gaps)]
        silence = np.zeros(int(round(g * sr)), dtype=np.float32)
        y = trim_silence(synthesize(text, sr=sr, **kwargs))
        pieces += [y, silence]
        used.append(text)
        total += len(y) + len(silence)
        if total >= n:
            break
    y = np.concatenate(pieces)[:n] if pieces else np.zeros(n, dtype=np.float32)
    if len(y) < n:
        y = np.pad(y, (0, n - len(y)))
    return y.astype(np.float32), used
