"""Systemic problems (seed 7.1): appeals from different applicants that raise the same problem in
the same district, found in the appeals' own words.

Each appeal's summary becomes a vector of character 3-5-gram TF-IDF weights (scikit-learn's
`char_wb` analyser): n-grams inside words match across Russian and Kazakh inflections ("воды",
"водой"; "суы", "суды") without a stemmer, and no maintained Kazakh stemmer exists. Two appeals
whose vectors' cosine similarity reaches `systemic.similarity` (policies/analysis.yaml) raise the
same problem; groups are the connected components of that relation within a district. A group
with at least `min_appeals` appeals from at least `min_applicants` applicants is a candidate
systemic problem, and says so: the flag names the rule and its numbers.

Only the texts of the period (and the one before, for the trend) are read into memory: the one
step that needs the words themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select
from sqlalchemy.engine import Connection

from analysis.figures import CASES, RETURNED, in_scope
from analysis.masking import mask
from analysis.scope import Scope
from policies.loading import load_policy


@dataclass(frozen=True)
class SystemicRules:
    similarity: float
    cohesion: float
    boilerplate_share: float
    boilerplate_corpus: int
    min_appeals: int
    min_applicants: int
    excerpt_chars: int
    examples: int

    def describe(self) -> str:
        return (
            f"≥ {self.min_appeals} appeals, ≥ {self.min_applicants} applicants, "
            f"text similarity ≥ {self.similarity:.2f} (policies/analysis.yaml, systemic)"
        )


def systemic_rules() -> SystemicRules:
    data = load_policy("analysis")["systemic"]
    return SystemicRules(
        similarity=float(data["similarity"]),
        cohesion=float(data["cohesion"]),
        boilerplate_share=float(data["boilerplate_share"]),
        boilerplate_corpus=int(data["boilerplate_corpus"]),
        min_appeals=int(data["min_appeals"]),
        min_applicants=int(data["min_applicants"]),
        excerpt_chars=int(data["excerpt_chars"]),
        examples=int(data["examples"]),
    )


@dataclass
class ProblemGroup:
    district: str
    numbers: list[str]
    applicants: int
    categories: dict[str, int]
    executors: dict[str, int]
    outcomes: dict[str, int]  # closure reason, or "open"
    late: int  # answered late or open past the term
    returned: int
    previous: int  # like appeals in the period before (the trend)
    examples: list[tuple[str, str]]  # (number, anonymised excerpt)
    terms: list[str]  # the words the group shares most
    rule: str = ""
    flagged: bool = field(default=False)
    districts: dict[str, int] = field(default_factory=dict)  # a city-wide group's districts (issue 26.2)
    # The certificate (issue 26.3): since when, the body the routing policy makes responsible, and
    # each executor's record on the group's appeals (answered in time, of those whose term has come).
    first_day: str = ""
    last_day: str = ""
    responsible: str = ""
    on_time: dict[str, str] = field(default_factory=dict)  # executor -> "in time / due"

    @property
    def size(self) -> int:
        return len(self.numbers)

    @property
    def trend(self) -> str:
        if self.previous == 0:
            return "new"
        change = (self.size - self.previous) / self.previous
        return "up" if change > 0.2 else "down" if change < -0.2 else "steady"


_NOT_LETTERS = re.compile(r"[^\w]+|\d+|_")


def normalise(text: str) -> str:
    """Lower case, `ё` as `е` (Russian spelling varies), digits and punctuation as spaces: house
    numbers and dates differ between appeals about the same problem."""
    return _NOT_LETTERS.sub(" ", text.lower().replace("ё", "е")).strip()


def anonymise(text: str, names: str, limit: int) -> str:
    """An excerpt with no personal data (analysis/masking.py: anyone's names in any case form,
    addresses, document, card and account numbers, IIN/BIN, phones, e-mails; issue 26.4)."""
    masked = " ".join(mask(text, names).split())
    return masked if len(masked) <= limit else masked[: limit - 1].rsplit(" ", 1)[0] + "…"


def _rows(conn: Connection, scope: Scope) -> list[Any]:
    query = select(
        CASES.c.reg_number,
        CASES.c.district,
        CASES.c.category,
        CASES.c.executor,
        CASES.c.applicant_identity,
        CASES.c.applicant_name,
        CASES.c.summary,
        CASES.c.received_on,
        CASES.c.state,
        CASES.c.closure_reason,
        CASES.c.answered_late,
        CASES.c.overdue,
        RETURNED.label("returned"),
    ).where(in_scope(scope), CASES.c.summary != "")
    return list(conn.execute(query.order_by(CASES.c.district, CASES.c.reg_number)))


def find_groups(conn: Connection, scope: Scope, rules: SystemicRules | None = None) -> list[ProblemGroup]:
    """The period's groups of like appeals per district, largest first; `flagged` marks the
    candidate systemic problems."""
    rules = rules or systemic_rules()
    current = _rows(conn, scope)
    before = _rows(conn, scope.previous())
    groups: list[ProblemGroup] = []
    for district in sorted({r.district for r in current}):
        rows = [r for r in current if r.district == district]
        earlier = [r for r in before if r.district == district]
        groups.extend(_district_groups(district, rows, earlier, rules))
    # By size, then growth over the period before (issue 26.3).
    groups.sort(key=lambda g: (not g.flagged, -g.size, -(g.size - g.previous), g.district, g.numbers[0]))
    return groups


def find_city_wide(conn: Connection, scope: Scope, rules: SystemicRules | None = None) -> list[ProblemGroup]:
    """Problems that cross district lines (issue 26.2: the same bus route complained about in four
    districts, the same land-plot request in five, showed as unconnected pieces): the period's
    appeals grouped city-wide, the candidate groups whose appeals come from two districts or more,
    each with its districts, largest first."""
    rules = rules or systemic_rules()
    groups = _district_groups("", _rows(conn, scope), _rows(conn, scope.previous()), rules)
    rows = {r.reg_number: r.district for r in _rows(conn, scope)}
    city: list[ProblemGroup] = []
    for group in groups:
        spread = Counter(rows[n] for n in group.numbers)
        if group.flagged and len(spread) >= 2:
            group.districts = dict(spread.most_common())
            city.append(group)
    city.sort(key=lambda g: (-len(g.districts), -g.size, g.numbers[0]))
    return city


def _district_groups(district: str, rows: list[Any], earlier: list[Any], rules: SystemicRules) -> list[ProblemGroup]:
    if len(rows) < 2:
        return []
    common = rules.boilerplate_share if len(rows) >= rules.boilerplate_corpus else 1.0
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, preprocessor=normalise, max_df=common
    )
    matrix = vectorizer.fit_transform([r.summary for r in rows])
    clusters = cohesive_clusters(matrix, np.arange(len(rows)), rules.similarity, rules.cohesion)
    before = vectorizer.transform([r.summary for r in earlier]) if earlier else None
    words = TfidfVectorizer(analyzer="word", preprocessor=normalise, token_pattern=r"(?u)\b\w{4,}\b")
    found: list[ProblemGroup] = []
    for members in clusters:
        if len(members) < 2:
            continue
        group = [rows[i] for i in members]
        applicants = len({r.applicant_identity or f"anonymous {r.reg_number}" for r in group})
        previous = 0
        if before is not None:
            centroid = np.asarray(matrix[members].mean(axis=0))
            norm = np.linalg.norm(centroid)
            if norm:
                previous = int(((before @ (centroid / norm).T) >= rules.similarity).sum())
        flagged = len(group) >= rules.min_appeals and applicants >= rules.min_applicants
        found.append(
            ProblemGroup(
                district=district,
                numbers=[r.reg_number for r in group],
                applicants=applicants,
                categories=dict(Counter(r.category for r in group).most_common()),
                executors=dict(Counter(r.executor or "—" for r in group).most_common()),
                outcomes=dict(Counter(r.closure_reason or "open" for r in group).most_common()),
                late=sum(bool(r.answered_late) or (r.state != "closed" and bool(r.overdue)) for r in group),
                returned=sum(bool(r.returned) for r in group),
                previous=previous,
                examples=[
                    (r.reg_number, anonymise(r.summary, r.applicant_name, rules.excerpt_chars))
                    for r in group[: rules.examples]
                ],
                terms=_shared_terms(words, [r.summary for r in group]),
                rule=rules.describe(),
                flagged=flagged,
                first_day=min((r.received_on for r in group if r.received_on), default=""),
                last_day=max((r.received_on for r in group if r.received_on), default=""),
                responsible=_responsible(group, district),
                on_time=_on_time(group),
            )
        )
    return found


def _responsible(group: list[Any], district: str) -> str:
    """The body the routing policy gives the group's main category in its district."""
    from policies.routing import executor_for

    category = Counter(r.category for r in group).most_common(1)[0][0]
    where = district or Counter(r.district for r in group).most_common(1)[0][0]
    return executor_for(category, where)


def _on_time(group: list[Any]) -> dict[str, str]:
    """Each executor's appeals of the group answered in time, of those whose term has come."""
    record: dict[str, list[int]] = {}
    for r in group:
        done, due = record.setdefault(r.executor or "—", [0, 0])
        answered = r.closure_reason == "answered"
        late = bool(r.answered_late) or (r.state != "closed" and bool(r.overdue))
        record[r.executor or "—"] = [done + (answered and not late), due + (answered or late)]
    return {executor: f"{done}/{due}" for executor, (done, due) in record.items()}


BLOCK = 1000  # rows of the similarity matrix computed at a time
STEP, CEILING = 0.05, 0.95  # how a chained group is split: the similarity asked for rises by STEP


def cohesive_clusters(matrix: Any, rows: Any, threshold: float, cohesion: float) -> list[Any]:
    """Groups of like appeals that hold together. Groups are joined pairs, and a chain of pairs
    can join appeals that share little (A like B like C, A unlike C: "no water" and "potholes"
    in one village, joined through the same greeting). A group any of whose appeals is less
    similar to the group's centre than `cohesion` is split again at a higher similarity; then the
    parts whose centres are alike (at least `cohesion`) are joined back, and so is an appeal left
    alone that is that similar to a part's centre (centroid linkage)."""
    count, labels = connected_components(similar_pairs(matrix[rows], threshold), directed=False)
    clusters: list[Any] = []
    for label in range(count):
        members = rows[labels == label]
        if len(members) > 2 and threshold + STEP < CEILING and _spread(matrix[members]) < cohesion:
            clusters.extend(_rejoin(matrix, cohesive_clusters(matrix, members, threshold + STEP, cohesion), cohesion))
        else:
            clusters.append(members)
    return clusters


def _rejoin(matrix: Any, parts: list[Any], cohesion: float) -> list[Any]:
    """Join the parts whose centres are at least `cohesion` alike, largest parts first."""
    parts = sorted(parts, key=len, reverse=True)
    joined: list[Any] = []
    centres: list[Any] = []
    for part in parts:
        centre = _centre(matrix[part])
        best = max(range(len(joined)), key=lambda k: float(centres[k] @ centre), default=None)
        if best is not None and float(centres[best] @ centre) >= cohesion:
            joined[best] = np.concatenate([joined[best], part])
            centres[best] = _centre(matrix[joined[best]])
        else:
            joined.append(part)
            centres.append(centre)
    return [np.sort(part) for part in joined]


def _centre(vectors: Any) -> Any:
    centre = np.asarray(vectors.mean(axis=0)).ravel()
    norm = np.linalg.norm(centre)
    return centre / norm if norm else centre


def _spread(vectors: Any) -> float:
    """The least similarity of a member to the group's centre."""
    centre = np.asarray(vectors.mean(axis=0)).ravel()
    norm = np.linalg.norm(centre)
    return float((vectors @ (centre / norm)).min()) if norm else 0.0


def similar_pairs(matrix: Any, threshold: float) -> Any:
    """The pairs at or above the threshold, as a sparse boolean matrix. Character n-grams make
    almost every pair share something, so the full product is dense: it is computed a block of
    rows at a time, and each block keeps only its pairs over the threshold."""
    blocks = []
    for start in range(0, matrix.shape[0], BLOCK):
        blocks.append((matrix[start : start + BLOCK] @ matrix.T) >= threshold)
    return sparse.vstack(blocks).tocsr()


def _shared_terms(words: TfidfVectorizer, texts: list[str], top: int = 5) -> list[str]:
    """The words most of the group's appeals use: a label a reader can take in at a glance."""
    try:
        matrix = words.fit_transform(texts)
    except ValueError:  # no word of four letters or more
        return []
    present = np.asarray((matrix > 0).sum(axis=0)).ravel()
    names = words.get_feature_names_out()
    order = np.argsort(-present, kind="stable")[:top]
    return [str(names[i]) for i in order if present[i] > 1]
