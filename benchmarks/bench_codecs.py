"""Benchmark: encode and decode speed of every codec of ``mirbook.codecs``, in x real time.

    python benchmarks/bench_codecs.py              # 60 s of CD audio (44.1 kHz stereo), 3 repeats
    python benchmarks/bench_codecs.py --mono --sr 22050 --duration 30

The signal is music-like (harmonic notes + a broadband floor, seeded). For each codec the best of
``--repeats`` runs is kept (the machine may be shared), and the speed is reported as seconds of
audio per second of computation ("x real time"), with the achieved bit rate and the size.
AAC runs through the ffmpeg binary of imageio-ffmpeg (process start-up included); Opus includes
the resampling to 48 kHz. Writes ``benchmarks/results/codecs.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np
from timing import best_time  # benchmarks/timing.py

SETTINGS = [("flac", {}), ("vorbis", {"quality": 0.5}), ("opus", {"bitrate": 96}),
            ("mp3", {"bitrate": 128}), ("aac", {"bitrate": 128})]


def music_like(duration, sr, channels, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * sr)) / sr
    y = np.zeros(len(t))
    for start in np.arange(0, duration, 0.5):
        f0 = rng.choice([196, 220, 262, 294, 330, 392, 440])
        seg = slice(int(start * sr), min(len(t), int((start + 2.0) * sr)))
        tt = t[seg] - start
        y[seg] += np.exp(-2 * tt) * sum(np.sin(2 * np.pi * f0 * k * tt) / k
                                        for k in range(1, 10) if f0 * k < sr / 2)
    y = 0.3 * y / np.abs(y).max()
    out = np.stack([y + 0.003 * rng.standard_normal(len(y)) for _ in range(channels)])
    return (out[0] if channels == 1 else out).astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--sr", type=int, default=44100)
    ap.add_argument("--mono", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "codecs.json"))
    args = ap.parse_args(argv)

    from mirbook import codecs

    channels = 1 if args.mono else 2
    y = music_like(args.duration, args.sr, channels)
    available = codecs.available_codecs()
    rows = []
    for codec, kw in SETTINGS:
        if available.get(codec) is None:
            print(f"{codec}: not available here, skipped")
            continue
        t_enc, data = best_time(lambda: codecs.encode(y, sr=args.sr, codec=codec, **kw),
                                args.repeats)
        t_dec, (z, z_sr) = best_time(lambda: codecs.decode(data, codec=codec), args.repeats)
        rows.append({
            "codec": codec, "setting": kw, "backend": available[codec],
            "kbps": round(codecs.achieved_kbps(data, duration=args.duration), 1),
            "megabytes": round(len(data) / 1e6, 3),
            "encode_s": round(t_enc, 4), "decode_s": round(t_dec, 4),
            "encode_x_realtime": round(args.duration / t_enc, 1),
            "decode_x_realtime": round(args.duration / t_dec, 1),
        })
    pcm_mb = y.size * 2 / 1e6
    print(f"{args.duration:.0f} s, {args.sr} Hz, {channels} channel(s): {pcm_mb:.2f} MB as 16-bit PCM; "
          f"best of {args.repeats}")
    print(f"{'codec':7s} {'setting':16s} {'kbit/s':>7s} {'MB':>7s} {'encode x RT':>12s} {'decode x RT':>12s}")
    for r in rows:
        setting = ", ".join(f"{k}={v}" for k, v in r["setting"].items()) or "level 5"
        print(f"{r['codec']:7s} {setting:16s} {r['kbps']:7.1f} {r['megabytes']:7.3f} "
              f"{r['encode_x_realtime']:12.1f} {r['decode_x_realtime']:12.1f}")
    result = {
        "benchmark": "codecs", "duration_s": args.duration, "sr": args.sr, "channels": channels,
        "repeats": args.repeats, "rows": rows,
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": os.cpu_count(), "load_average": list(os.getloadavg())},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written: {out}")
    return result


if __name__ == "__main__":
    main()
