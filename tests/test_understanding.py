"""The reader against the labelled messages: per-field accuracy bars (issue 3).

Ten labelled sets, each written blind to the reader by someone who saw
neither its code nor the other sets: tests/data/messages (180 messages, used
to build the reader), tests/data/holdout (90), tests/data/holdout2 (120),
tests/data/holdout3 (120), tests/data/holdout4 (120), tests/data/holdout5
(100), tests/data/holdout6 (100), tests/data/holdout7 (100, the borderline
between intents), tests/data/holdout8 (100, in the spirit of issue 3) and
tests/data/holdout9 (80, international colleagues and groups),
written later to check that it generalises. Each
was first read as it came (the figures are in the commits that added them),
then the general rules its misses showed were added. All must meet the bars. The report (with a confusion table)
is printed, so a regression shows where it is; run
``python tests/understanding_eval.py [tests/data/holdout]`` for every miss.
"""

from __future__ import annotations

import pytest
from understanding_eval import DATA, evaluate

HOLDOUT = DATA.parent / "holdout"
HOLDOUT2 = DATA.parent / "holdout2"
HOLDOUT3 = DATA.parent / "holdout3"
HOLDOUT4 = DATA.parent / "holdout4"
HOLDOUT5 = DATA.parent / "holdout5"
HOLDOUT6 = DATA.parent / "holdout6"
HOLDOUT7 = DATA.parent / "holdout7"
HOLDOUT8 = DATA.parent / "holdout8"
HOLDOUT9 = DATA.parent / "holdout9"

BARS = {"intent": 0.97, "name": 0.95, "organisation": 0.90, "seats": 0.95, "diet": 0.95}


@pytest.fixture(
    scope="module",
    params=[DATA, HOLDOUT, HOLDOUT2, HOLDOUT3, HOLDOUT4, HOLDOUT5, HOLDOUT6, HOLDOUT7, HOLDOUT8, HOLDOUT9],
    ids=[
        path.name
        for path in (DATA, HOLDOUT, HOLDOUT2, HOLDOUT3, HOLDOUT4, HOLDOUT5, HOLDOUT6, HOLDOUT7, HOLDOUT8, HOLDOUT9)
    ],
)
def report(request):
    result = evaluate(request.param)
    print(f"\n{request.param.name}:\n" + result.table())
    return result


def test_the_labelled_set_is_large_and_varied() -> None:
    import json

    labels = json.loads((DATA / "labels.json").read_text("utf-8"))
    assert len(labels) >= 150
    assert len(json.loads((HOLDOUT / "labels.json").read_text("utf-8"))) >= 80
    assert len(json.loads((HOLDOUT2 / "labels.json").read_text("utf-8"))) >= 100
    assert len(json.loads((HOLDOUT3 / "labels.json").read_text("utf-8"))) >= 100
    assert len(json.loads((HOLDOUT4 / "labels.json").read_text("utf-8"))) >= 100
    assert len(json.loads((HOLDOUT5 / "labels.json").read_text("utf-8"))) >= 100
    assert len(json.loads((HOLDOUT6 / "labels.json").read_text("utf-8"))) >= 100
    assert len(json.loads((HOLDOUT7 / "labels.json").read_text("utf-8"))) >= 100
    assert len(json.loads((HOLDOUT8 / "labels.json").read_text("utf-8"))) >= 100
    assert len(json.loads((HOLDOUT9 / "labels.json").read_text("utf-8"))) >= 80
    languages = {label["language"] for label in labels.values()}
    clients = {label["client"] for label in labels.values()}
    assert languages == {"sv", "en"}
    assert {"outlook", "gmail", "apple_mail", "iphone", "android"} <= clients


@pytest.mark.parametrize("field", sorted(BARS))
def test_field_accuracy_meets_its_bar(report, field: str) -> None:
    score = report.fields[field]
    assert score.total > 0
    assert score.rate >= BARS[field], f"{field}: {score.rate:.1%} < {BARS[field]:.0%}\n" + "\n".join(score.misses)


def test_no_non_sign_up_is_ever_registered(report) -> None:
    assert report.wrongly_registered == []


def test_signing_only_someone_else_up_is_recognised(report) -> None:
    score = report.fields["writer_coming"]
    if score.total:  # labelled in holdout3 to holdout9
        assert score.rate >= 0.95, "\n".join(score.misses)
