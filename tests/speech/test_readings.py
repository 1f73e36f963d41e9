"""The news-reading corpus (tests/data/readings_*.tsv): every sentence is read as a newsreader reads it."""

from pathlib import Path

import pytest

from anchor.speech.normalize import normalize

DATA = Path(__file__).resolve().parent.parent / "data"


def load(path: Path) -> list[tuple[int, str, str]]:
    """(line number, written, spoken) for every sentence of a corpus file; ``#`` lines are comments."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        written, sep, spoken = line.partition("\t")
        assert sep and spoken.strip(), f"{path.name}:{number}: expected written<TAB>spoken, got {line!r}"
        rows.append((number, written, spoken))
    return rows


def failures(rows: list[tuple[int, str, str]], language: str) -> list[str]:
    """Every sentence whose reading differs from the corpus, with what is said and what was expected."""
    out = []
    for number, written, spoken in rows:
        said = normalize(written, language)
        if said != spoken:
            out.append(f"line {number}: {written}\n    said:     {said}\n    expected: {spoken}")
    return out


@pytest.mark.parametrize("name, language, at_least", [("readings_zh.tsv", "zh", 300), ("readings_en.tsv", "en", 60)])
def test_corpus(name, language, at_least):
    rows = load(DATA / name)
    assert len(rows) >= at_least
    wrong = failures(rows, language)
    assert not wrong, f"{len(wrong)} of {len(rows)} sentences in {name} read wrong:\n" + "\n".join(wrong)


def test_a_wrong_reading_is_reported(tmp_path):
    corpus = tmp_path / "bad.tsv"
    corpus.write_text("# a deliberately wrong line\n占比约1/3\t占比三分之约一\n90后\t九零后\n", encoding="utf-8")
    wrong = failures(load(corpus), "zh")
    assert len(wrong) == 1 and "said:     占比约三分之一" in wrong[0] and "expected: 占比三分之约一" in wrong[0]
