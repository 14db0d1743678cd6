#!/usr/bin/env python3
"""Write the adoption dates of scenarios/staggered-adoption-prefecture.toml
(scenarios/data/prefecture-calendar.csv, rows `unit, step, year`): an ILLUSTRATIVE
calendar of prefecture-level fault-tolerance rules on the 342 prefecture-level units of
china-2023.csv. Only one figure is sourced: 66% of prefecture-level governments had issued
tolerance rules by mid-2020 (雷玉琼 & 刘展余 2021). The cumulative shares of the earlier
years (13% by 2016, 30% by 2017, 48% by 2018, 60% by 2019) are assumptions that spread the
adoptions over the years in which the provinces issued theirs. Each unit's year comes from
the SHA-256 of its code (u = first 8 bytes / 2^64): the first cumulative share above u
gives its year, and units with u >= 0.66 never adopt. Re-running this script reproduces the
schedule exactly.

Usage: python3 scenarios/data/make-prefecture-calendar.py > scenarios/data/prefecture-calendar.csv
"""
import csv
import hashlib
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
CUMULATIVE = [(2016, 0.13), (2017, 0.30), (2018, 0.48), (2019, 0.60), (2020, 0.66)]
STEP_OF_2016 = 100  # the scenario's step 0 is 1916


def year_of(code):
    u = int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "big") / 2**64
    for year, share in CUMULATIVE:
        if u < share:
            return year
    return None


def main():
    with open(HERE / "china-2023.csv", encoding="utf-8") as f:
        codes = [row["code"] for row in csv.DictReader(f) if row["level"] == "prefecture"]
    by_year = {}
    for code in codes:
        year = year_of(code)
        if year is not None:
            by_year.setdefault(year, []).append(code)
    print("unit,step,year")
    for year, _ in CUMULATIVE:
        for code in by_year.get(year, []):
            print(f"{code},{STEP_OF_2016 + year - 2016},{year}")

if __name__ == "__main__":
    main()
