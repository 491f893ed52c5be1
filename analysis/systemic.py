"""Systemic problems (seed 7.1): appeals from different applicants that raise the same problem,
found in the appeals' own words whatever their language (issue 26.1).

Each appeal is read by `analysis/wording.py`: its words become keys (Russian lemmas, Kazakh stems,
the department's bilingual concepts: "вода", "водоснабжение" and "су" are one key) and the places
it names are found ("Шұғыла", "Шугыла", "Шұғылада" are one place). An appeal's vector joins four
blocks, each weighted by `systemic.weights` (policies/analysis.yaml): the keys' TF-IDF, the places,
the category the registrar chose, and the week it came in. Two appeals whose vectors' cosine
similarity reaches `systemic.similarity` raise the same problem; groups are the connected components
of that relation within a district (and city-wide, issue 26.2), split where a chain joins appeals
that share little. A group with at least `min_appeals` appeals from at least `min_applicants`
applicants is a candidate systemic problem, and says so: the flag names the rule and its numbers.

Only the texts of the period (and the one before, for the trend) are read into memory: the one
step that needs the words themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sqlalchemy import select
from sqlalchemy.engine import Connection

from analysis.figures import CASES, RETURNED, in_scope
from analysis.masking import mask
from analysis.scope import Scope
from analysis.wording import Reading, places_of, read_all, vocabulary
from policies.loading import load_policy


@dataclass(frozen=True)
class SystemicRules:
    similarity: float
    weights: dict[str, float]
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
        weights={block: float(w) for block, w in data["weights"].items()},
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
    places: list[str] = field(default_factory=list)  # the places its appeals name (issue 26.3)
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
    return group_appeals(_rows(conn, scope), rules or systemic_rules(), _rows(conn, scope.previous()))


def find_city_wide(conn: Connection, scope: Scope, rules: SystemicRules | None = None) -> list[ProblemGroup]:
    """Problems that cross district lines (issue 26.2: the same bus route complained about in four
    districts, the same land-plot request in five, showed as unconnected pieces): the period's
    appeals grouped city-wide, the candidate groups whose appeals come from two districts or more,
    each with its districts, largest first."""
    groups = group_appeals(_rows(conn, scope), rules or systemic_rules(), _rows(conn, scope.previous()), city=True)
    return [g for g in groups if g.flagged and len(g.districts) >= 2]


def group_appeals(
    rows: list[Any], rules: SystemicRules, earlier: list[Any] | None = None, city: bool = False
) -> list[ProblemGroup]:
    """Like appeals grouped per district (or city-wide), flagged first, then by size and growth
    over the period before (issue 26.3)."""
    earlier = earlier or []
    if city:
        groups = _district_groups("", rows, earlier, rules)
        spread = {r.reg_number: r.district for r in rows}
        for group in groups:
            group.districts = dict(Counter(spread[n] for n in group.numbers).most_common())
        groups.sort(key=lambda g: (not g.flagged, -len(g.districts), -g.size, g.numbers[0]))
        return groups
    found: list[ProblemGroup] = []
    for district in sorted({r.district for r in rows}):
        mine = [r for r in rows if r.district == district]
        found.extend(_district_groups(district, mine, [r for r in earlier if r.district == district], rules))
    found.sort(key=lambda g: (not g.flagged, -g.size, -(g.size - g.previous), g.district, g.numbers[0]))
    return found


def _district_groups(district: str, rows: list[Any], earlier: list[Any], rules: SystemicRules) -> list[ProblemGroup]:
    if len(rows) < 2:
        return []
    features = Features(rules, len(rows))
    matrix = features.fit(rows)
    clusters = cohesive_clusters(matrix, np.arange(len(rows)), rules.similarity, rules.cohesion, features.named)
    before = features.transform(earlier) if earlier else None
    found: list[ProblemGroup] = []
    for members in clusters:
        if len(members) < 2:
            continue
        group = [rows[i] for i in members]
        applicants = len({r.applicant_identity or f"anonymous {r.reg_number}" for r in group})
        previous = 0
        if before is not None:  # like appeals of the period before, their week aside
            centroid = np.asarray(features.timeless(matrix[members]).mean(axis=0))
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
                terms=_shared_terms([features.readings[i] for i in members]),
                places=places_of([r.summary for r in group]),
                rule=rules.describe(),
                flagged=flagged,
                first_day=min((r.received_on for r in group if r.received_on), default=""),
                last_day=max((r.received_on for r in group if r.received_on), default=""),
                responsible=_responsible(group, district),
                on_time=_on_time(group),
            )
        )
    return found


def proposed_action(group: ProblemGroup, language: str) -> list[str]:
    """What the certificate proposes for the problem (policies/analysis.yaml `proposed_action`):
    the line for its main category, and a line on terms or on quality when its figures call for one."""
    from policies.routing import district_name, executor_name

    data = load_policy("analysis")
    actions, limits = data["proposed_action"], data["problem_card"]
    category = next(iter(group.categories), "other")
    line = actions["by_category"].get(category) or actions["by_category"]["other"]
    districts = group.districts or {group.district: group.size}
    where = ", ".join(group.places or [district_name(d, language) for d in districts if d])
    body = executor_name(group.responsible, language) if group.responsible else "—"
    lines = [str(line[language]).format(where=where, body=body)]
    if group.size and group.late / group.size >= float(limits["overdue_share"]):
        lines.append(str(actions["late"][language]).format(late=group.late, size=group.size))
    if group.size and group.returned / group.size >= float(limits["returned_share"]):
        lines.append(str(actions["returned"][language]).format(returned=group.returned, size=group.size))
    return lines


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


def cohesive_clusters(matrix: Any, rows: Any, threshold: float, cohesion: float, places: Any = None) -> list[Any]:
    """Groups of like appeals that hold together. Groups are joined pairs, and a chain of pairs
    can join appeals that share little (A like B like C, A unlike C: "no water" and "potholes"
    in one village, joined through the same greeting). A group any of whose appeals is less
    similar to the group's centre than `cohesion` is split again at a higher similarity; then the
    parts whose centres are alike (at least `cohesion`) are joined back, and so is an appeal left
    alone that is that similar to a part's centre (centroid linkage). Appeals (and parts) that
    both name places, and no place in common, are never joined: "no water in Шұғыла" and "no water
    in Айгерім" are two problems (`places`: a 0/1 matrix of the places each appeal names)."""
    own = places[rows] if places is not None else None
    count, labels = connected_components(similar_pairs(matrix[rows], threshold, own), directed=False)
    clusters: list[Any] = []
    for label in range(count):
        members = rows[labels == label]
        loose = _spread(matrix[members]) < cohesion or _places_disagree(places, members)
        if len(members) > 2 and threshold + STEP < CEILING and loose:
            parts = cohesive_clusters(matrix, members, threshold + STEP, cohesion, places)
            clusters.extend(_rejoin(matrix, parts, cohesion, places))
        else:
            clusters.append(members)
    return clusters


def _rejoin(matrix: Any, parts: list[Any], cohesion: float, places: Any = None) -> list[Any]:
    """Join the parts whose centres are at least `cohesion` alike and whose places agree, largest
    parts first."""
    parts = sorted(parts, key=len, reverse=True)
    joined: list[Any] = []
    centres: list[Any] = []
    named: list[set[int]] = []
    for part in parts:
        centre = _centre(matrix[part])
        where = _main_places(places, part)
        fits = [k for k in range(len(joined)) if not (where and named[k] and not where & named[k])]
        best = max(fits, key=lambda k: float(centres[k] @ centre), default=None)
        if best is not None and float(centres[best] @ centre) >= cohesion:
            joined[best] = np.concatenate([joined[best], part])
            centres[best] = _centre(matrix[joined[best]])
            named[best] = _main_places(places, joined[best])
        else:
            joined.append(part)
            centres.append(centre)
            named.append(where)
    return [np.sort(part) for part in joined]


def _places_disagree(places: Any, members: Any) -> bool:
    """Whether the group holds appeals naming places with none in common (joined through appeals
    that name none)."""
    if places is None or places.shape[1] == 0:
        return False
    named = places[members]
    named = named[named.getnnz(axis=1) > 0]
    if named.shape[0] < 2:
        return False
    count, _ = connected_components(named @ named.T, directed=False)
    return bool(count > 1)


def _main_places(places: Any, part: Any) -> set[int]:
    """The places a third of the part's appeals or more name."""
    if places is None or places.shape[1] == 0:
        return set()
    counts = np.asarray(places[part].sum(axis=0)).ravel()
    return set(np.nonzero(counts * 3 >= len(part))[0].tolist()) if counts.any() else set()


def _centre(vectors: Any) -> Any:
    centre = np.asarray(vectors.mean(axis=0)).ravel()
    norm = np.linalg.norm(centre)
    return centre / norm if norm else centre


def _spread(vectors: Any) -> float:
    """The least similarity of a member to the group's centre."""
    centre = np.asarray(vectors.mean(axis=0)).ravel()
    norm = np.linalg.norm(centre)
    return float((vectors @ (centre / norm)).min()) if norm else 0.0


def similar_pairs(matrix: Any, threshold: float, places: Any = None) -> Any:
    """The pairs at or above the threshold whose places agree, as a sparse boolean matrix. The
    full product can be dense: it is computed a block of rows at a time, and each block keeps only
    its pairs over the threshold."""
    named = places.getnnz(axis=1) > 0 if places is not None and places.shape[1] else None
    blocks = []
    for start in range(0, matrix.shape[0], BLOCK):
        pairs = ((matrix[start : start + BLOCK] @ matrix.T) >= threshold).tocoo()
        if named is not None and pairs.nnz:
            rows, cols = pairs.row + start, pairs.col
            shared = np.asarray(places[rows].multiply(places[cols]).sum(axis=1)).ravel()
            keep = ~(named[rows] & named[cols] & (shared == 0))
            pairs = sparse.coo_matrix((pairs.data[keep], (pairs.row[keep], cols[keep])), shape=pairs.shape)
        blocks.append(pairs.tocsr())
    return sparse.vstack(blocks).tocsr()


def _shared_terms(readings: list[Reading], top: int = 5) -> list[str]:
    """The words most of the group's appeals use, filler and places aside (they have their own
    line): a label a reader can take in at a glance, in the words the appeals use."""
    present: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    context = vocabulary().context
    for reading in readings:
        pairs = zip(reading.keys, reading.words, strict=True)
        shown = [(k, w) for k, w in pairs if not k.startswith("@") and k not in context]
        present.update({k for k, _ in shown})
        for k, word in shown:
            spelled.setdefault(k, Counter())[word] += 1
    shared = [k for k, n in present.most_common() if n > 1]
    return [spelled[k].most_common(1)[0][0] for k in shared[:top]]


class Features:
    """Appeals as vectors: four blocks (keys, places, category, week), each of unit length and
    weighted, so that two appeals' cosine similarity is the weighted mean of the blocks'
    similarities over the blocks both have."""

    def __init__(self, rules: SystemicRules, corpus: int) -> None:
        common = rules.boilerplate_share if corpus >= rules.boilerplate_corpus else 1.0
        self.weights = rules.weights
        self.words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, max_df=common)
        self.places = TfidfVectorizer(analyzer=_identity, norm="l2")
        self.categories = TfidfVectorizer(analyzer=_identity, use_idf=False)
        self.readings: list[Reading] = []
        self.named: Any = None  # 0/1: the places each appeal names
        self._widths: list[int] = []

    def fit(self, rows: list[Any]) -> Any:
        self.readings = read_all([r.summary for r in rows])
        blocks = [
            self.words.fit_transform([r.keys for r in self.readings]),
            _fit_or_empty(self.places, [_places(r) for r in self.readings]),
            self.categories.fit_transform([[r.category or "—"] for r in rows]),
            _weeks(rows),
        ]
        self._widths = [b.shape[1] for b in blocks]
        self.named = (blocks[1] > 0).astype(np.float64).tocsr()
        return self._join(blocks)

    def transform(self, rows: list[Any]) -> Any:
        """Earlier appeals in the same space, their week left out (the trend compares problems,
        not weeks)."""
        readings = read_all([r.summary for r in rows])
        blocks = [
            self.words.transform([r.keys for r in readings]),
            self.places.transform([_places(r) for r in readings]) if self._widths[1] else _empty(len(rows)),
            self.categories.transform([[r.category or "—"] for r in rows]),
            sparse.csr_matrix((len(rows), self._widths[3])),
        ]
        return self._join(blocks)

    def timeless(self, vectors: Any) -> Any:
        """Vectors with their week block zeroed."""
        keep = sparse.diags(np.r_[np.ones(sum(self._widths[:3])), np.zeros(self._widths[3])])
        return vectors @ keep

    def _join(self, blocks: list[Any]) -> Any:
        names = ("words", "places", "category", "week")
        weighted = [
            sparse.csr_matrix(b) * np.sqrt(self.weights.get(n, 0.0)) for n, b in zip(names, blocks, strict=True)
        ]
        joined = sparse.hstack(weighted).tocsr()
        return normalize(joined)


def _identity(items: list[str]) -> list[str]:
    return items


def _places(reading: Reading) -> list[str]:
    return [f"@{p}" for p in reading.places]


def _empty(n: int) -> Any:
    return sparse.csr_matrix((n, 0))


def _fit_or_empty(vectorizer: TfidfVectorizer, docs: list[list[str]]) -> Any:
    if not any(docs):
        return _empty(len(docs))
    return vectorizer.fit_transform(docs)


def _weeks(rows: list[Any]) -> Any:
    """Each appeal's week, spread to the weeks either side at half weight: appeals of one week are
    alike, of the next week half alike, farther apart not at all."""
    days = [date.fromisoformat(str(r.received_on)[:10]).toordinal() if r.received_on else 0 for r in rows]
    first = min(days) // 7 - 1
    data, cols, indptr = [], [], [0]
    for day in days:
        week = day // 7 - first
        cols += [week - 1, week, week + 1]
        data += [0.5, 1.0, 0.5]
        indptr.append(len(cols))
    width = max(cols) + 1
    return normalize(sparse.csr_matrix((data, cols, indptr), shape=(len(rows), width)))
