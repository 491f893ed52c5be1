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

import gc
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
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
    words_floor: float
    words_floor_same_place: float
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
            f"similarity of words, place, category and week ≥ {self.similarity:.2f}, one place and one subject "
            f"(policies/analysis.yaml, systemic)"
        )


def systemic_rules() -> SystemicRules:
    data = load_policy("analysis")["systemic"]
    return SystemicRules(
        similarity=float(data["similarity"]),
        words_floor=float(data["words_floor"]),
        words_floor_same_place=float(data["words_floor_same_place"]),
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
    members: list[int] = field(default_factory=list, repr=False)  # positions in the period's appeals

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


@dataclass(frozen=True)
class Appeals:
    """A period's appeals with their readings (analysis/wording.py), read once for every grouping
    of the report (per district, city-wide) and with the places resolved over the whole period."""

    rows: list[Any]
    readings: list[Reading]

    @classmethod
    def read(cls, rows: list[Any]) -> Appeals:
        return cls(rows, read_all([r.summary for r in rows]))


def find_groups(conn: Connection, scope: Scope, rules: SystemicRules | None = None) -> list[ProblemGroup]:
    """The period's groups of like appeals per district, largest first; `flagged` marks the
    candidate systemic problems."""
    return group_appeals(_rows(conn, scope), rules or systemic_rules(), _rows(conn, scope.previous()))


_PAUSES = [0]
_PAUSE_LOCK = threading.Lock()


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a period is grouped: reading 50,000 appeals makes
    millions of small objects that all live until the grouping ends, and collecting them on the
    way cost a fifth of the time (bench/reports.py: systemic 5.4 s -> 4.4 s). Nothing the grouping
    makes refers to itself, so nothing waits for the collector; it resumes when the last grouping
    running in the process ends."""
    with _PAUSE_LOCK:
        _PAUSES[0] += 1
        gc.disable()
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSES[0] -= 1
            if _PAUSES[0] == 0:
                gc.enable()


def find_problems(
    conn: Connection, scope: Scope, rules: SystemicRules | None = None
) -> tuple[list[ProblemGroup], list[ProblemGroup]]:
    """The groups per district and the city-wide problems: the appeals read once, and like pairs
    searched for once."""
    rules = rules or systemic_rules()
    with collection_paused():
        grouping = Grouping(Appeals.read(_rows(conn, scope)), Appeals.read(_rows(conn, scope.previous())), rules)
        return grouping.per_district(), grouping.city_wide(only_problems=True)


def group_appeals(
    rows: Appeals | list[Any], rules: SystemicRules, earlier: Appeals | list[Any] | None = None, city: bool = False
) -> list[ProblemGroup]:
    """Like appeals grouped per district (or city-wide), flagged first, then by size and growth
    over the period before (issue 26.3)."""
    with collection_paused():
        current = rows if isinstance(rows, Appeals) else Appeals.read(rows)
        before = earlier if isinstance(earlier, Appeals) else Appeals.read(earlier or [])
        grouping = Grouping(current, before, rules)
        return grouping.city_wide() if city else grouping.per_district()


class Grouping:
    """A period's appeals as one space (one vocabulary of weights) with their like pairs found
    once; per district, only pairs within the district join."""

    def __init__(self, current: Appeals, earlier: Appeals, rules: SystemicRules) -> None:
        self.appeals, self.rules = current, rules
        self.districts = np.array([r.district for r in current.rows])
        self.everyone = np.arange(len(current.rows))
        self.features = Features(rules, len(current.rows))
        if len(current.rows) < 2:
            self.space: Space | None = None
            return
        self.space = self.features.fit(current.rows, current.readings)
        self.pairs = similar_pairs(self.space, self.everyone, rules.similarity)
        self.earlier = self.features.transform(earlier.rows, earlier.readings) if earlier.rows else None
        self.earlier_districts = np.array([r.district for r in earlier.rows])

    def per_district(self) -> list[ProblemGroup]:
        """Groups within each district, flagged first, then by size and growth."""
        if self.space is None:
            return []
        found: list[ProblemGroup] = []
        edges = self.pairs.tocoo()
        names, codes = np.unique(self.districts, return_inverse=True)
        of_edge = np.where(codes[edges.row] == codes[edges.col], codes[edges.row], -1)
        local = np.empty(len(self.everyone), dtype=np.int64)
        for code, district in enumerate(names.tolist()):
            mine = self.everyone[codes == code]
            local[mine] = np.arange(len(mine))
            inside = of_edge == code
            within = sparse.csr_matrix(
                (edges.data[inside], (local[edges.row[inside]], local[edges.col[inside]])), shape=(len(mine),) * 2
            )
            clusters = cohesive_clusters(self.space, mine, self.rules.similarity, self.rules.cohesion, within)
            kept = [members for members in clusters if len(members) >= 2]
            found.extend(self._group(district, m, n) for m, n in zip(kept, self._previous(kept, district), strict=True))
        found.sort(key=lambda g: (not g.flagged, -g.size, -(g.size - g.previous), g.district, g.numbers[0]))
        return found

    def city_wide(self, only_problems: bool = False) -> list[ProblemGroup]:
        """Groups across districts, each with its districts; `only_problems`: the flagged groups
        whose appeals come from two districts or more (issue 26.2)."""
        if self.space is None:
            return []
        clusters = cohesive_clusters(self.space, self.everyone, self.rules.similarity, self.rules.cohesion, self.pairs)
        least = self.rules.min_appeals if only_problems else 2
        kept = [m for m in clusters if len(m) >= least and (not only_problems or len(set(self.districts[m])) >= 2)]
        found = []
        for members, previous in zip(kept, self._previous(kept, ""), strict=True):
            group = self._group("", members, previous)
            group.districts = dict(Counter(str(d) for d in self.districts[members]).most_common())
            if group.flagged or not only_problems:
                found.append(group)
        found.sort(key=lambda g: (not g.flagged, -len(g.districts), -g.size, g.numbers[0]))
        return found

    def _group(self, district: str, members: Any, previous: int) -> ProblemGroup:
        return _group(district, members, self.appeals, previous, self.rules)

    def _previous(self, clusters: list[Any], district: str) -> list[int]:
        """For each cluster, the like appeals of the period before (of the district, if one): those
        at least `similarity` alike to its centre, the week aside (the trend compares problems)."""
        if self.earlier is None or not clusters or self.space is None:
            return [0] * len(clusters)
        timeless = self.features.timeless
        centres = np.vstack([np.asarray(timeless[m].mean(axis=0)).ravel() for m in clusters])
        norms = np.linalg.norm(centres, axis=1, keepdims=True)
        centres = np.divide(centres, norms, out=np.zeros_like(centres), where=norms > 0)
        alike = np.asarray(self.earlier @ centres.T) >= self.rules.similarity
        if district:
            alike &= (self.earlier_districts == district)[:, None]
        return [int(n) for n in alike.sum(axis=0)]


def _group(district: str, members: Any, appeals: Appeals, previous: int, rules: SystemicRules) -> ProblemGroup:
    """A cluster as a group for the certificate."""
    group = [appeals.rows[i] for i in members]
    readings = [appeals.readings[i] for i in members]
    applicants = len({r.applicant_identity or f"anonymous {r.reg_number}" for r in group})
    return ProblemGroup(
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
            (r.reg_number, anonymise(r.summary, r.applicant_name, rules.excerpt_chars)) for r in group[: rules.examples]
        ],
        terms=_shared_terms(readings),
        places=places_of(readings),
        rule=rules.describe(),
        flagged=len(group) >= rules.min_appeals and applicants >= rules.min_applicants,
        first_day=min((r.received_on for r in group if r.received_on), default=""),
        last_day=max((r.received_on for r in group if r.received_on), default=""),
        responsible=_responsible(group, district),
        on_time=_on_time(group),
        members=list(members),
    )


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


PLACES_KEPT = 3  # places compared per appeal (an appeal rarely names more)
_WEEK_LIKENESS = np.array([1.0, 2 / 3, 1 / 6])  # the week blocks' cosine at 0, 1 and 2 weeks apart


@dataclass(frozen=True)
class Space:
    """The appeals as vectors (`matrix`: the four blocks joined, for centres) and each block on its
    own, so that a pair's similarity is computed for the pairs whose words are alike at all and
    never for all pairs (the category and week blocks alone make every pair a little alike).

    Two appeals are alike when their similarity reaches the threshold and their words' own
    similarity reaches `floor` (`floor_same_place` for two appeals that name one place): place,
    category and week make like words more alike, never unlike words alike (appeals of one week and
    one place about different things are different problems)."""

    matrix: Any  # joined, unit rows
    text: Any  # the words' block, unit rows
    named: Any  # 0/1: the places each appeal names
    subjects: Any  # 0/1: the subjects each appeal speaks of (policies/vocabulary.yaml domains)
    place_ids: Any  # each appeal's places (up to PLACES_KEPT, -1 for none), as column numbers of `places`
    place_weights: Any  # their weights in the appeal's unit places vector
    subject_mask: Any  # each appeal's subjects as bits
    category: Any  # each appeal's category, as a code
    week: Any  # each appeal's week number
    norms: Any  # each appeal's norm before joining: the root of its present blocks' weights
    weights: dict[str, float]
    floor: float
    floor_same_place: float

    @property
    def exclusive(self) -> list[Any]:
        """What two appeals must share if both have it: a place, a subject (0/1 matrices)."""
        return [m for m in (self.named, self.subjects) if m.shape[1]]


def cohesive_clusters(space: Space, rows: Any, threshold: float, cohesion: float, pairs: Any = None) -> list[Any]:
    """Groups of like appeals that hold together. Groups are joined pairs, and a chain of pairs
    can join appeals that share little (A like B like C, A unlike C: "no water" and "potholes"
    in one village, joined through the same greeting). A group any of whose appeals is less
    similar to the group's centre than `cohesion` is split again at a higher similarity; then the
    parts whose centres are alike (at least `cohesion`) are joined back, and so is an appeal left
    alone that is that similar to a part's centre (centroid linkage). Appeals (and parts) that
    both name places, and no place in common, are never joined: "no water in Шұғыла" and "no water
    in Айгерім" are two problems; nor are appeals that both speak of subjects, and of no subject in
    common ("no water" and "no gas" in one microdistrict). `pairs`: the rows' alike pairs with their
    similarity (`similar_pairs`, at `threshold` or lower), when already found: a split at a higher
    similarity keeps the pairs that reach it, and nothing is computed twice."""
    pairs = similar_pairs(space, rows, threshold) if pairs is None else pairs
    graph = pairs.copy()
    graph.data = graph.data >= threshold - 1e-9
    graph.eliminate_zeros()
    count, labels = connected_components(graph, directed=False)
    clusters: list[Any] = []
    for label in range(count):
        local = np.nonzero(labels == label)[0]
        members = rows[local]
        loose = _spread(space.matrix[members]) < cohesion or any(_disagree(m, members) for m in space.exclusive)
        if len(members) > 2 and threshold + STEP < CEILING and loose:
            parts = cohesive_clusters(space, members, threshold + STEP, cohesion, pairs[local][:, local])
            clusters.extend(_rejoin(space, parts, cohesion))
        else:
            clusters.append(members)
    return clusters


def _rejoin(space: Space, parts: list[Any], cohesion: float) -> list[Any]:
    """Join the parts whose centres are at least `cohesion` alike and whose places agree, largest
    parts first."""
    parts = sorted(parts, key=len, reverse=True)
    joined: list[Any] = []
    centres: list[Any] = []
    named: list[list[set[int]]] = []
    for part in parts:
        centre = _centre(space.matrix[part])
        where = [_main_labels(m, part) for m in space.exclusive]
        fits = [
            k
            for k in range(len(joined))
            if not any(a and b and not a & b for a, b in zip(where, named[k], strict=True))
        ]
        best = max(fits, key=lambda k: float(centres[k] @ centre), default=None)
        if best is not None and float(centres[best] @ centre) >= cohesion:
            joined[best] = np.concatenate([joined[best], part])
            centres[best] = _centre(space.matrix[joined[best]])
            named[best] = [_main_labels(m, joined[best]) for m in space.exclusive]
        else:
            joined.append(part)
            centres.append(centre)
            named.append(where)
    return [np.sort(part) for part in joined]


def _disagree(labels: Any, members: Any) -> bool:
    """Whether the group holds appeals naming places (or subjects) with none in common, joined
    through appeals that name none."""
    named = labels[members]
    named = named[named.getnnz(axis=1) > 0]
    if named.shape[0] < 2 or np.count_nonzero(named.getnnz(axis=0)) < 2:
        return False  # one label (or none) among them: they agree
    count, _ = connected_components(named @ named.T, directed=False)
    return bool(count > 1)


def _main_labels(labels: Any, part: Any) -> set[int]:
    """The places (or subjects) a third of the part's appeals or more name."""
    counts = np.asarray(labels[part].sum(axis=0)).ravel()
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


def similar_pairs(space: Space, rows: Any, threshold: float) -> Any:
    """The pairs of `rows` that are alike (`Space`) and whose places and subjects agree, as a
    sparse matrix of their similarities holding each pair once. Only the pairs whose words are alike at all are
    looked at, a block of rows at a time against the rows after it (two threads: the work is
    numpy's, which lets go of the interpreter); places and subjects are compared as small arrays
    of ids and bit masks."""
    text = space.text[rows]
    place_ids, place_weights = space.place_ids[rows], space.place_weights[rows]
    used = int((place_ids >= 0).sum(axis=1).max(initial=0))  # most appeals name one place or none
    local = _Local(
        text,
        place_ids[:, :used],
        place_weights[:, :used],
        space.subject_mask[rows],
        space.category[rows],
        space.week[rows],
        space.norms[rows],
    )
    starts = range(0, text.shape[0], BLOCK)
    if len(starts) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            found = list(pool.map(lambda start: _alike_in_block(space, local, start, threshold), starts))
    else:
        found = [_alike_in_block(space, local, start, threshold) for start in starts]
    size = text.shape[0]
    i = np.concatenate([f[0] for f in found]) if found else np.empty(0, dtype=np.int64)
    j = np.concatenate([f[1] for f in found]) if found else np.empty(0, dtype=np.int64)
    alike = np.concatenate([f[2] for f in found]) if found else np.empty(0)
    return sparse.csr_matrix((alike, (i, j)), shape=(size, size))


@dataclass(frozen=True)
class _Local:
    """The space's arrays for the rows being grouped."""

    text: Any
    place_ids: Any
    place_weights: Any
    subjects: Any
    category: Any
    week: Any
    norms: Any


def _alike_in_block(space: Space, local: _Local, start: int, threshold: float) -> tuple[Any, Any, Any]:
    """The alike pairs (i, j) with i in the block at `start` and j after i, and their similarity."""
    w = space.weights
    lowest = min(space.floor, space.floor_same_place)
    block = local.text[start : start + BLOCK]
    words = (block @ local.text[start:].T).tocsr()  # the pairs before the block were found with earlier blocks
    at = np.repeat(np.arange(words.shape[0]), np.diff(words.indptr)) + start
    cols, alike = words.indices + start, words.data
    keep = (alike >= lowest) & (cols > at)
    at, cols, alike = at[keep], cols[keep], alike[keep]
    mine, theirs = local.subjects[at], local.subjects[cols]
    keep = (mine == 0) | (theirs == 0) | ((mine & theirs) != 0)  # both have subjects, none in common: apart
    at, cols, alike = at[keep], cols[keep], alike[keep]
    shared_places, place_likeness = _compare_places(local.place_ids, local.place_weights, at, cols)
    keep = (alike >= space.floor) | ((shared_places > 0) & (alike >= space.floor_same_place))
    if local.place_ids.shape[1]:
        named = (local.place_ids[at, 0] >= 0) & (local.place_ids[cols, 0] >= 0)
        keep &= ~(named & (shared_places == 0))  # both name places, none in common: apart
    at, cols, alike, place_likeness = at[keep], cols[keep], alike[keep], place_likeness[keep]
    gap = np.minimum(np.abs(local.week[at] - local.week[cols]), len(_WEEK_LIKENESS))
    similarity = (
        w.get("words", 0.0) * alike
        + w.get("places", 0.0) * place_likeness
        + w.get("category", 0.0) * (local.category[at] == local.category[cols])
        + w.get("week", 0.0) * np.r_[_WEEK_LIKENESS, 0.0][gap]
    ) / (local.norms[at] * local.norms[cols])
    keep = similarity >= threshold - 1e-9
    return at[keep], cols[keep], similarity[keep]


def _compare_places(ids: Any, weights: Any, at: Any, cols: Any) -> tuple[Any, Any]:
    """For each pair, how many places the two appeals share and the cosine of their places'
    vectors (each appeal's first `PLACES_KEPT` places, by weight)."""
    shared = np.zeros(len(at), dtype=np.int64)
    likeness = np.zeros(len(at))
    for a in range(ids.shape[1]):
        left, left_weight = ids[at, a], weights[at, a]
        for b in range(ids.shape[1]):
            same = (left >= 0) & (left == ids[cols, b])
            shared += same
            likeness += same * left_weight * weights[cols, b]
    return shared, likeness


def _shared_terms(readings: list[Reading], top: int = 5) -> list[str]:
    """The words most of the group's appeals use, filler and places aside (they have their own
    line): a label a reader can take in at a glance, in the words the appeals use."""
    present: Counter[str] = Counter()
    spelled: Counter[tuple[str, str]] = Counter()
    context = vocabulary().context
    for reading in readings:
        pairs = zip(reading.keys, reading.words, strict=True)
        shown = [(k, w) for k, w in pairs if k[0] != "@" and k not in context]
        present.update({k for k, _ in shown})
        spelled.update(shown)
    shared = [k for k, n in present.most_common(top) if n > 1]
    written: dict[str, tuple[int, str]] = {}
    for (k, word), n in spelled.items():
        if k in shared and (k not in written or n > written[k][0]):
            written[k] = (n, word)
    return [written[k][1] for k in shared]


class Features:
    """Appeals as vectors: four blocks (keys, places, category, week), each of unit length and
    weighted, so that two appeals' cosine similarity is the weighted mean of the blocks'
    similarities over the blocks both have."""

    NAMES = ("words", "places", "category", "week")

    def __init__(self, rules: SystemicRules, corpus: int) -> None:
        common = rules.boilerplate_share if corpus >= rules.boilerplate_corpus else 1.0
        self.rules = rules
        self.weights = rules.weights
        self.words = Bag(idf=True, sublinear=True, max_share=common)
        self.places = Bag(idf=True)
        self.categories = Bag(idf=False)
        self.timeless: Any = None  # the period's vectors with their week block zeroed (the trend)
        self._widths: list[int] = []

    def fit(self, rows: list[Any], readings: list[Reading]) -> Space:
        blocks = [
            self.words.fit_transform([r.keys for r in readings]),
            self.places.fit_transform([_places(r) for r in readings]),
            self.categories.fit_transform([[r.category or "—"] for r in rows]),
            _weeks(rows),
        ]
        self._widths = [b.shape[1] for b in blocks]
        domains = vocabulary().domains
        spoken = [sorted({domains[k] for k in r.keys if k in domains}) for r in readings]
        present = np.column_stack([np.asarray(b.getnnz(axis=1) > 0) for b in blocks])
        weights = np.array([self.weights.get(n, 0.0) for n in self.NAMES])
        codes = {c: i for i, c in enumerate(sorted({r.category or "—" for r in rows}))}
        subjects = Bag(idf=False, norm=False).fit_transform(spoken)
        place_ids, place_weights = _top_columns(sparse.csr_matrix(blocks[1]), PLACES_KEPT)
        matrix = self._join(blocks)
        weeks_out = sparse.diags(np.r_[np.ones(sum(self._widths[:3])), np.zeros(self._widths[3])])
        self.timeless = (matrix @ weeks_out).tocsr()
        return Space(
            matrix=matrix,
            text=sparse.csr_matrix(blocks[0]),
            named=(sparse.csr_matrix(blocks[1]) > 0).astype(np.float64).tocsr(),
            subjects=subjects,
            place_ids=place_ids,
            place_weights=place_weights,
            subject_mask=_bits(subjects),
            category=np.array([codes[r.category or "—"] for r in rows]),
            week=np.array([_day(r) // 7 for r in rows]),
            norms=np.sqrt(np.maximum(present @ weights, 1e-12)),
            weights=self.weights,
            floor=self.rules.words_floor,
            floor_same_place=self.rules.words_floor_same_place,
        )

    def transform(self, rows: list[Any], readings: list[Reading]) -> Any:
        """Earlier appeals in the same space, their week left out (the trend compares problems,
        not weeks)."""
        blocks = [
            self.words.transform([r.keys for r in readings]),
            self.places.transform([_places(r) for r in readings]),
            self.categories.transform([[r.category or "—"] for r in rows]),
            sparse.csr_matrix((len(rows), self._widths[3])),
        ]
        return self._join(blocks)

    def _join(self, blocks: list[Any]) -> Any:
        weighted = [
            sparse.csr_matrix(b) * np.sqrt(self.weights.get(n, 0.0)) for n, b in zip(self.NAMES, blocks, strict=True)
        ]
        return normalize(sparse.hstack(weighted).tocsr())


def _top_columns(matrix: Any, keep: int) -> tuple[Any, Any]:
    """Each row's `keep` largest entries: their columns (-1 where the row has fewer) and values."""
    ids = np.full((matrix.shape[0], keep), -1, dtype=np.int64)
    values = np.zeros((matrix.shape[0], keep))
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if start == end:
            continue
        order = np.argsort(-matrix.data[start:end], kind="stable")[:keep]
        ids[row, : len(order)] = matrix.indices[start:end][order]
        values[row, : len(order)] = matrix.data[start:end][order]
    return ids, values


def _bits(matrix: Any) -> Any:
    """Each row's columns as bits of one integer (at most 63 columns: the subjects)."""
    if matrix.shape[1] > 63:
        raise ValueError("policies/vocabulary.yaml: at most 63 subjects (domains)")
    masks = np.zeros(matrix.shape[0], dtype=np.int64)
    coo = sparse.coo_matrix(matrix)
    np.bitwise_or.at(masks, coo.row, np.left_shift(np.int64(1), coo.col.astype(np.int64)))
    return masks


def _day(row: Any) -> int:
    return date.fromisoformat(str(row.received_on)[:10]).toordinal() if row.received_on else 0


class Bag:
    """Documents already split into keys, as a sparse matrix of TF-IDF weights: what scikit-learn's
    TfidfVectorizer computes (smooth idf, optional sublinear tf, l2 rows, keys in more than
    `max_share` of the documents dropped), without its per-document analyser calls, which cost
    more than the weights on 50,000 appeals."""

    def __init__(self, idf: bool, sublinear: bool = False, max_share: float = 1.0, norm: bool = True) -> None:
        self.use_idf, self.sublinear, self.max_share, self.norm = idf, sublinear, max_share, norm
        self.vocabulary: dict[str, int] = {}
        self.idf: Any = np.zeros(0)

    def fit_transform(self, docs: list[list[str]]) -> Any:
        vocabulary: dict[str, int] = {}
        counts = self._counts(docs, vocabulary, grow=True)
        frequency = np.bincount(counts.indices, minlength=len(vocabulary))
        keep = frequency <= self.max_share * len(docs) if self.max_share < 1.0 else np.ones(len(vocabulary), bool)
        order = np.cumsum(keep) - 1
        self.vocabulary = {k: int(order[i]) for k, i in vocabulary.items() if keep[i]}
        counts = counts[:, np.nonzero(keep)[0]] if not keep.all() else counts
        self.idf = np.log((1 + len(docs)) / (1 + frequency[keep])) + 1.0
        return self._weigh(counts)

    def transform(self, docs: list[list[str]]) -> Any:
        return self._weigh(self._counts(docs, self.vocabulary, grow=False))

    @staticmethod
    def _counts(docs: list[list[str]], vocabulary: dict[str, int], grow: bool) -> Any:
        indices: list[int] = []
        indptr = [0]
        for doc in docs:
            for k in doc:
                column = vocabulary.get(k)
                if column is None and grow:
                    column = vocabulary[k] = len(vocabulary)
                if column is not None:
                    indices.append(column)
            indptr.append(len(indices))
        matrix = sparse.csr_matrix(
            (np.ones(len(indices)), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
            shape=(len(docs), len(vocabulary)),
        )
        matrix.sum_duplicates()
        return matrix

    def _weigh(self, counts: Any) -> Any:
        counts = counts.astype(np.float64)
        if self.sublinear:
            counts.data = np.log(counts.data) + 1.0
        if self.use_idf:
            counts = counts @ sparse.diags(self.idf)
        return normalize(counts).tocsr() if self.norm else (counts > 0).astype(np.float64).tocsr()


def _places(reading: Reading) -> list[str]:
    return list(reading.places)


def normalize(matrix: Any) -> Any:
    """Each row scaled to unit length (a row of zeros stays zero)."""
    matrix = sparse.csr_matrix(matrix, dtype=np.float64)
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return (sparse.diags(np.divide(1.0, lengths, out=np.zeros_like(lengths), where=lengths > 0)) @ matrix).tocsr()


def _weeks(rows: list[Any]) -> Any:
    """Each appeal's week, spread to the weeks either side at half weight: appeals of one week are
    alike, of the next week half alike, farther apart not at all."""
    days = [_day(r) for r in rows]
    first = min(days) // 7 - 1
    data, cols, indptr = [], [], [0]
    for day in days:
        week = day // 7 - first
        cols += [week - 1, week, week + 1]
        data += [0.5, 1.0, 0.5]
        indptr.append(len(cols))
    width = max(cols) + 1
    return normalize(sparse.csr_matrix((data, cols, indptr), shape=(len(rows), width)))
