"""The synthetic data generator: deterministic, realistic enough, valid for the importer."""

from __future__ import annotations

from collections import defaultdict

from integrations.imports import generator, parsing
from residents import normalize


def test_same_seed_same_data_and_another_seed_other_data() -> None:
    first = list(generator.generate(300, seed=7))
    assert first == list(generator.generate(300, seed=7))
    assert first != list(generator.generate(300, seed=8))


def test_rows_are_valid_canonical_rows() -> None:
    rows = list(generator.generate(2000, seed=1))
    parsed = parsing.parse(generator.csv_bytes(rows), mode="full")
    assert parsed.errors == [] and len(parsed.rows) == 2000


def test_households_names_addresses_and_the_variety_asked_for() -> None:
    rows = list(generator.generate(3000, seed=3))
    households = defaultdict(list)
    for row in rows:
        households[row["setai_no"]].append(row)
    assert 2.0 < len(rows) / len(households) < 2.8
    postal = {code for code, _ in generator.districts()}
    for members in households.values():
        head = members[0]
        assert head["relation"] == "世帯主"
        assert head["postal_code"] in postal and head["address"].startswith("山口県山口市")
        assert len({m["address"] for m in members}) == 1
        for child in (m for m in members if m["relation"] == "子"):
            assert normalize.parse_date(child["birth_date"])[0] > normalize.parse_date(head["birth_date"])[0]
    japanese = [r for r in rows if r["resident_type"] == "1"]
    assert all(r["name_kana"] and "　" in r["name"] for r in japanese)
    assert any(r["resident_type"] == "2" and r["nationality"] for r in rows)
    names = "".join(r["name"] for r in rows)
    assert all(ch in names for ch in "髙﨑𠮷")
    assert any(r["support_measure"] for r in rows)


def test_cp932_output_leaves_out_characters_cp932_lacks(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "r.csv"
    generator.write_file(out, 500, seed=2, encoding="cp932")
    text = out.read_bytes().decode("cp932")
    assert "𠮷" not in text and text.startswith("jumin_code,")
