"""The TensorFlow rates a job's time is projected from: ``tcgatl-project --json`` files.

The shipped files (``rates/*.json``) were timed on the machine named in coefficients.yaml, at
two image sizes; ``resources.rates`` in the config replaces them with files timed on one's own
machine (docs/demo.md, "How long it takes"). A backbone timed at two or more sizes gets, for an image
size in between or beyond, seconds per image linear in the pixel count (a fixed cost per batch
plus a cost per pixel); timed at one size only, seconds per image scale with the pixels (above
it) or stay as timed (below it: small images do not get proportionally cheaper).

Standard library only.
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from pathlib import Path

from ..pancancer.costs import Rates

SHIPPED = tuple(sorted((Path(__file__).parent / "rates").glob("*.json")))
# Rates fields that are images (or gradient evaluations) per second: interpolated as seconds per
# image. The one-off seconds are interpolated as they are.
PER_SECOND = ("frozen_ips", "tail_ips", "head_train_ips", "head_val_ips", "finetune_train_ips", "finetune_val_ips")
PER_SECOND += ("forward_ips", "ig_eps")
ONE_OFF = ("build_s", "save_s", "load_s")


@dataclasses.dataclass(frozen=True)
class Timed:
    """Every timed backbone and size, and one job's start-up and bootstrap seconds."""

    rates: tuple[Rates, ...]
    startup_s: float
    bootstrap_s: float
    files: tuple[str, ...]

    def at(self, backbone: str, image_size: int) -> Rates:
        """Rates of ``backbone`` at ``image_size``, from the sizes it was timed at."""
        timed = sorted((r for r in self.rates if r.backbone == backbone), key=lambda r: r.image_size)
        if not timed:
            raise KeyError(f"no timing of {backbone} in {', '.join(self.files)}; time it with tcgatl-project")
        for r in timed:
            if r.image_size == image_size:
                return r
        px = image_size**2
        if len(timed) == 1:
            (a,) = timed
            ratio = max(1.0, px / a.image_size**2)
            return _scaled(a, image_size, lambda f: f(a) * ratio)
        # The two timed sizes nearest to image_size (the outer pair beyond the range).
        lo, hi = (timed[0], timed[1]) if px <= timed[0].image_size ** 2 else (timed[-2], timed[-1])
        for a, b in zip(timed, timed[1:]):
            if a.image_size**2 <= px <= b.image_size**2:
                lo, hi = a, b
        t = (px - lo.image_size**2) / (hi.image_size**2 - lo.image_size**2)
        smallest = timed[0]

        def value(f):
            v = f(lo) + t * (f(hi) - f(lo))
            return max(v, f(smallest)) if px < smallest.image_size**2 else v

        return _scaled(lo, image_size, value)


def _scaled(like: Rates, image_size: int, value) -> Rates:
    """``like`` with every rate and one-off time replaced by value(getter) in seconds, and the
    activation cache scaled with the pixels."""
    changes = {k: 1.0 / value(lambda r, k=k: 1.0 / getattr(r, k)) for k in PER_SECOND}
    changes |= {k: value(lambda r, k=k: getattr(r, k)) for k in ONE_OFF}
    scale = image_size / like.image_size
    shape = like.activation_shape
    if len(shape) == 3:  # (h, w, channels): the spatial sides scale with the image
        shape = (max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale)), shape[2])
    return dataclasses.replace(like, image_size=image_size, activation_shape=tuple(shape), trace_s={}, **changes)


@lru_cache(maxsize=8)
def load(files: tuple[str, ...] | None = None) -> Timed:
    """Every Rates in the tcgatl-project JSON ``files`` (none given: the shipped ones)."""
    files = tuple(str(f) for f in (files or SHIPPED))
    rates, startup, bootstrap = [], [], []
    fields = {f.name for f in dataclasses.fields(Rates)}
    for f in files:
        try:
            doc = json.loads(Path(f).read_text())
            for r in doc["rates"]:
                kept = {k: v for k, v in r.items() if k in fields}
                kept["grid"] = tuple(kept["grid"])
                kept["activation_shape"] = tuple(kept["activation_shape"])
                rates.append(Rates(**kept))
            startup.append(float(doc["startup_s"]))
            bootstrap.append(float(doc["bootstrap_s_per_resample"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{f} is not a tcgatl-project --json file: {exc!r}") from None
    if not rates:
        raise ValueError("no TensorFlow rates given (tcgatl-project --json files)")
    return Timed(tuple(rates), max(startup), max(bootstrap), files)
