"""Build ``lexicons/city_coordinates.csv`` from the adcode table shipped in the cpca wheel (MIT).

The output is committed; this script documents how it was made. It reads
``cpca/resources/adcodes.csv`` (columns adcode, name, longitude, latitude; 12-digit codes)
from an unpacked ``cpca-0.5.5-py3-none-any.whl`` (``pip download --no-deps cpca==0.5.5``)
and keeps one row per prefecture-level division: codes ``PPCC00000000`` with ``CC != 00``,
except the ``市辖区`` / ``县`` placeholder rows of the four municipalities, which are kept as
their province-level rows (北京, 天津, 上海, 重庆). The ``省直辖县级行政区划`` groupings (no
coordinates, not a city) are left out.

Usage::

    python lexicons/_build/build_city_coordinates.py PATH/TO/cpca/resources/adcodes.csv
"""
import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "city_coordinates.csv"
MUNICIPALITIES = ("11", "12", "31", "50")


def short(name: str) -> str:
    """The name as firms and pilot lists write it: 杭州市 -> 杭州; other divisions keep their full name."""
    return name[:-1] if name.endswith("市") and len(name) > 2 else name


def main(src: str) -> None:
    with open(src, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    provinces = {r["adcode"][:2]: r["name"] for r in rows if r["adcode"].endswith("0000000000")}
    out = []
    for r in rows:
        code = r["adcode"]
        pp = code[:2]
        if pp in MUNICIPALITIES:
            keep = code.endswith("0000000000")
        else:
            keep = code.endswith("00000000") and not code.endswith("0000000000")
        if keep and r["longitude"]:
            out.append({"adcode": code[:6], "city": r["name"], "short_name": short(r["name"]),
                        "province": provinces[pp], "longitude": float(r["longitude"]),
                        "latitude": float(r["latitude"])})
    out.sort(key=lambda r: r["adcode"])
    with open(OUT, "w", encoding="utf-8", newline="") as handle:
        w = csv.DictWriter(handle, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    print(f"{len(out)} rows -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
