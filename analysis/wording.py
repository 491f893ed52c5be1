"""What an appeal's words mean, whatever its language (issue 26.1): "нет воды", "водоснабжение
отсутствует" and "су жоқ" are one problem, and "Шұғыла", "Шугыла" and "Шұғылада" one place.

Each word becomes a key:
- the Kazakh letters are read as their Russian look-alikes ("шұңқыр" as "шункыр"), so the same name
  typed on a Russian keyboard matches;
- a Russian word the dictionary knows is reduced to its lemma (`pymorphy3` with its packaged
  dictionaries; a noun reading is preferred, so "кранов" is "кран", not "крановый");
- any other word is taken for Kazakh and loses its case, plural, possessive and participle endings
  (a suffix stripper: the Kazakh analysers on PyPI were judged and not used, see below);
- a key the department's bilingual vocabulary knows becomes its concept (`policies/vocabulary.yaml`),
  two-word phrases first ("детский сад", "су құбыры"); filler every appeal uses is dropped.

Place names are found where a marker announces them ("мкр. Шугыла", "Ақсай ауылында") or as a
capitalised word inside a sentence the dictionary does not know as a common word, and keyed by their
stem with both languages' endings removed.

The Kazakh analysers on PyPI: `kazstem` (GPL-3.0) needs an HFST/CG toolchain and a compiled
resource bundle that its package does not ship (its bootstrap downloads them); `qaznltk` has stop
words, transliteration and a similarity helper but no stemmer or lemmatiser. Neither serves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from analysis.masking import analyser as _morph
from analysis.masking import is_name
from policies.loading import load_policy

FOLD = str.maketrans("әғқңөұүһіё", "агкноуухие")
_KAZAKH_LETTERS = frozenset("әғқңөұүһі")
# Words, numbers of up to three digits (a route, a school; not a date, an amount or an IIN), and the
# marks that end a sentence (the next word's capital says nothing then).
_WORD = re.compile(r"[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+|(?<!\d)\d{1,3}(?![\d.,:/])|[.!?]")
_VOWELS = frozenset("аеиоуыэюяё")
_VOICED = {"г": "к", "б": "п"}
_STOPS = frozenset(".!?")

# Kazakh endings, as read with the Russian look-alikes (ауылында -> ауыл, сусыз -> су); the longest
# that leaves a stem with a vowel is stripped, up to three times (stem, plural, possessive, case).
_KK_ENDINGS = tuple(
    sorted(
        {
            # locative adjective, ablative, locative, genitive, dative, accusative, instrumental
            "ндагы",
            "ндеги",
            "дагы",
            "деги",
            "тагы",
            "теги",
            "нда",
            "нде",
            "да",
            "де",
            "та",
            "те",
            "нан",
            "нен",
            "дан",
            "ден",
            "тан",
            "тен",
            "нын",
            "нин",
            "дын",
            "дин",
            "тын",
            "тин",
            "на",
            "не",
            "га",
            "ге",
            "ка",
            "ке",
            "ны",
            "ни",
            "ды",
            "ди",
            "ты",
            "ти",
            "мен",
            "бен",
            "пен",
            # plural, possessive, "without", "with"
            "лар",
            "лер",
            "дар",
            "дер",
            "тар",
            "тер",
            "ымыз",
            "имиз",
            "мыз",
            "миз",
            "ыныз",
            "иниз",
            "ныз",
            "низ",
            "ым",
            "им",
            "ын",
            "ин",
            "сы",
            "си",
            "ы",
            "и",
            "сыз",
            "сиз",
            "лы",
            "ли",
            "ыма",
            "име",
            "ына",
            "ине",
        },
        key=len,
        reverse=True,
    )
)
# Verb endings: they leave a stem of three letters or more ("үлкен" is not "ұл" + "кен").
_KK_VERB_ENDINGS = tuple(
    sorted(
        {
            # participles and the third person of verbs the appeals use
            "ган",
            "ген",
            "кан",
            "кен",
            "майды",
            "мейди",
            "байды",
            "бейди",
            "пайды",
            "пейди",
            "ады",
            "еди",
            "йды",
            "йди",
            "май",
            "мей",
            "ып",
            "ип",
        },
        key=len,
        reverse=True,
    )
)
_ENDINGS = tuple(sorted([(e, 2) for e in _KK_ENDINGS] + [(e, 3) for e in _KK_VERB_ENDINGS], key=lambda e: -len(e[0])))
# Russian endings a place name takes in a sentence ("в Аксае", "Шугылы", "по Абая").
_PLACE_ENDINGS = frozenset(
    # Russian cases ("в Аксае", "Шугылы", "по Абая") and Kazakh cases ("Шұғылада", "Қалқаманға"),
    # as read with the look-alikes and ы as и
    "а я е и у ю й о ой ей ом ем ам ям ах ях ою ею ами ями иде ида "
    "да де та те нда нде даги деги таги теги ндаги ндеги дан ден тан тен нан нен нин дин тин "
    "га ге ка ке на не ни ди ти мен бен пен".split()
)


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, str]  # key -> concept
    concepts: frozenset[str]
    prefixes: tuple[tuple[str, str], ...]  # a Kazakh stem of four letters or more -> concept
    phrases: dict[tuple[str, str], str]  # two keys -> concept
    phrase_starts: frozenset[str]
    filler: frozenset[str]
    numbered: frozenset[str]  # concepts whose number names one thing (a bus route, a school)
    context: frozenset[str]  # concepts that say who, where, how long: not shown as a problem's words
    domains: dict[str, str]  # concept -> the subject it belongs to (water, heating, roads, ...)
    before: frozenset[str]  # a place name follows
    after: frozenset[str]  # a place name precedes


@cache
def vocabulary() -> Vocabulary:
    data = load_policy("vocabulary")
    words: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    phrases: dict[tuple[str, str], str] = {}
    for concept, spelled in data["concepts"].items():
        for language in ("ru", "kk"):
            for entry in spelled.get(language) or []:
                parts = [_base(w, kazakh=language == "kk") for w in str(entry).lower().split()]
                if len(parts) == 2:
                    phrases[(parts[0], parts[1])] = concept
                elif len(parts) == 1:
                    words[parts[0]] = concept
                    words.setdefault(str(entry).lower().translate(FOLD), concept)
                    if language == "kk" and len(parts[0]) >= 4:
                        prefixes.append((str(entry).lower().translate(FOLD), concept))
    filler = {w.translate(FOLD) for w in (data["filler"]["ru"] + data["filler"]["kk"])}
    filler |= {_base(w, kazakh=False) for w in data["filler"]["ru"]}
    filler |= {_base(w, kazakh=True) for w in data["filler"]["kk"]}
    markers = data["place_markers"]
    return Vocabulary(
        words=words,
        concepts=frozenset(data["concepts"]),
        prefixes=tuple(sorted(prefixes, key=lambda p: -len(p[0]))),
        phrases=phrases,
        phrase_starts=frozenset(first for first, _ in phrases),
        filler=frozenset(filler),
        numbered=frozenset(data["numbered"]),
        context=frozenset(data["context"]),
        domains={str(c): str(d) for d, concepts in data["domains"].items() for c in concepts},
        before=frozenset(str(w).translate(FOLD) for w in markers["before"]),
        after=frozenset(str(w).translate(FOLD) for w in markers["after"]),
    )


def kazakh_stem(folded: str) -> str:
    """A Kazakh word without its endings (read with the Russian look-alikes)."""
    word = folded
    for _ in range(3):
        for ending, shortest in _ENDINGS:
            stem = word[: -len(ending)]
            if word.endswith(ending) and len(stem) >= shortest and any(ch in _VOWELS for ch in stem):
                word = stem
                break
        else:
            break
    if word != folded and word[-1] in _VOICED:  # кезегі -> кезек: a stem's final consonant voiced before a vowel
        word = word[:-1] + _VOICED[word[-1]]
    return word


@cache
def _russian(word: str) -> str | None:
    """A Russian word's lemma, a noun reading first; None when the dictionary does not know it."""
    morph = _morph()
    if not morph.word_is_known(word):
        return None
    parses = morph.parse(word)
    noun = next((p for p in parses if p.tag.POS == "NOUN" and p.score >= parses[0].score / 2), parses[0])
    return str(noun.normal_form).replace("ё", "е")


@cache
def _base(word: str, kazakh: bool | None = None) -> str:
    """A word's lemma (Russian) or stem (Kazakh), folded."""
    if kazakh is None:
        kazakh = any(ch in _KAZAKH_LETTERS for ch in word)
    if not kazakh:
        lemma = _russian(word)
        if lemma is not None:
            return lemma.translate(FOLD)
    return kazakh_stem(word.translate(FOLD))


@cache
def key(word: str) -> str:
    """A lower-case word's key: its concept in the vocabulary, or its lemma or stem."""
    vocab = vocabulary()
    folded = word.translate(FOLD)
    if folded in vocab.words:
        return vocab.words[folded]
    base = _base(word)
    if base in vocab.words:
        return vocab.words[base]
    stem = kazakh_stem(folded)
    if stem in vocab.words:
        return vocab.words[stem]
    for prefix, concept in vocab.prefixes:
        if folded.startswith(prefix):
            return concept
    return base


@cache
def place_key(word: str) -> str:
    """A place name as written, read with the look-alikes and ы as и ("Жетысу", "Жетісу")."""
    return word.lower().translate(FOLD).replace("ы", "и")


def same_place(a: str, b: str) -> bool:
    """Whether two place keys are one place in two case forms ("шугила", "шугиле", "шугилада";
    "калкаман", "калкамане"): they share a stem of four letters or more, at most two letters shorter
    than the shorter word, and what follows it in each is a case ending (or nothing)."""
    if a == b:
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    if common < max(4, min(len(a), len(b)) - 2):
        return False
    return all(not rest or rest in _PLACE_ENDINGS for rest in (a[common:], b[common:]))


def place_names(named: set[str], maybe: set[str]) -> dict[str, str]:
    """Each place key (named with a marker, or a capitalised word that may be a place) -> the key
    of its place, for those that are one: the forms of one place are joined, and a form is a
    place when its group holds a form named with a marker. The place's key is its shortest form."""
    forms = sorted(named | maybe)
    parent = {f: f for f in forms}

    def root(f: str) -> str:
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    by_start: dict[str, list[str]] = {}
    for form in forms:
        by_start.setdefault(form[:4], []).append(form)
    for bucket in by_start.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1 :]:
                if same_place(a, b):
                    parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for form in forms:
        groups.setdefault(root(form), []).append(form)
    result: dict[str, str] = {}
    for members in groups.values():
        if any(m in named for m in members):
            canonical = min(members, key=lambda m: (len(m), m))
            result.update({m: canonical for m in members})
    return result


@dataclass
class Reading:
    keys: list[str]  # the words' keys, filler left out
    words: list[str]  # the words as written (lower case), one per key
    places: dict[str, str]  # place key -> the place as written
    maybe: dict[int, tuple[str, str]]  # position in keys -> (place key, as written): a place if named elsewhere


@dataclass(frozen=True, slots=True)
class _Token:
    """What reading needs to know of a word, worked out once per word (cached)."""

    lowered: str
    key: str
    base: str  # its lemma or stem, for the two-word phrases
    kept: bool  # not filler, and long enough or a concept
    concept: bool
    before: bool  # a marker a place name follows ("микрорайон")
    after: bool  # a marker a place name precedes ("шағынауданында")
    capital: bool  # capitalised, three letters or more, not an abbreviation
    digit: bool
    plain: bool  # neither capitalised nor a number nor a phrase's first word: its key is all it gives


@cache
def _token(word: str) -> _Token:
    vocab = vocabulary()
    lowered = word.lower()
    folded = lowered.translate(FOLD)
    k = key(lowered)
    base = _base(lowered)
    capital = word[:1].isupper() and len(word) >= 3 and not (word.isupper() and len(word) <= 4)
    return _Token(
        lowered=lowered,
        key=k,
        base=base,
        kept=k not in vocab.filler and folded not in vocab.filler and (len(k) > 2 or k in vocab.concepts),
        concept=k in vocab.concepts,
        before=folded in vocab.before or _base(folded) in vocab.before,
        after=any(folded.startswith(m) for m in vocab.after),
        capital=capital,
        digit=word.isdigit(),
        plain=not capital and not word.isdigit() and base not in vocab.phrase_starts,
    )


def read(text: str) -> Reading:
    """An appeal's words as keys, and the places it names."""
    vocab = vocabulary()
    written: list[str] = []
    opens: list[bool] = []  # the word opens a sentence
    stop = True
    for item in _WORD.findall(text):
        if item in _STOPS:
            stop = True
        else:
            written.append(item)
            opens.append(stop)
            stop = False
    tokens = [_token(w) for w in written]
    keys: list[str] = []
    words: list[str] = []
    places: dict[str, str] = {}
    maybe: dict[int, tuple[str, str]] = {}
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        if token.plain:  # most words: lower case, no number, no phrase begins with them
            if token.kept:
                keys.append(token.key)
                words.append(token.lowered)
            i += 1
            continue
        if i + 1 < n and token.base in vocab.phrase_starts:
            pair = vocab.phrases.get((token.base, tokens[i + 1].base))
            if pair is not None:
                keys.append(pair)
                words.append(f"{token.lowered} {tokens[i + 1].lowered}")
                i += 2
                continue
        word = written[i]
        if token.digit:  # a number names a thing: bus route 37, school No. 12 (else it is dropped)
            near = [tokens[j].key for j in (i - 1, i + 1) if 0 <= j < n and not tokens[j].digit]
            if any(k in vocab.numbered for k in near):
                places.setdefault(f"№{word}", f"№{word}")
                keys.append(f"@№{word}")
                words.append(word)
            i += 1
            continue
        place: bool | None = False
        if token.capital:
            if (i > 0 and tokens[i - 1].before) or (i + 1 < n and tokens[i + 1].after):
                place = True
            else:
                place = _capitalised(word)
                if place is False and opens[i]:
                    place = None  # a sentence's first word is capitalised anyway
        if place is True:
            name = place_key(word)
            places.setdefault(name, word)
            keys.append(f"@{name}")
            words.append(token.lowered)
        elif token.kept:
            if place is None and not token.concept:
                maybe[len(keys)] = (place_key(word), word)
            keys.append(token.key)
            words.append(token.lowered)
        i += 1
    return Reading(keys=keys, words=words, places=places, maybe=maybe)


def read_all(texts: list[str]) -> list[Reading]:
    """The appeals' readings with their places resolved over all the texts: the case forms of one
    place are one place, and a capitalised word is a place when another appeal names it with a
    marker ("Шұғыладағы су құбыры ..." at a sentence's start, once "Шұғыла шағынауданында" is seen)."""
    readings = [read(text) for text in texts]
    names = place_names(
        {place for r in readings for place in r.places},
        {place for r in readings for place, _ in r.maybe.values()},
    )
    for reading in readings:
        for position, (place, word) in reading.maybe.items():
            if place in names:
                reading.keys[position] = f"@{place}"
                reading.places.setdefault(place, word)
        reading.keys = [f"@{names.get(k[1:], k[1:])}" if k.startswith("@") else k for k in reading.keys]
        spelled: dict[str, str] = {}
        for place, word in reading.places.items():
            spelled.setdefault(names.get(place, place), word)
        reading.places = spelled
    return readings


@cache
def _capitalised(word: str) -> bool | None:
    """A capitalised word inside a sentence: a place (True), a common word (False), or a word that
    may be a place (None: a name, a Kazakh word, a word the dictionary does not know)."""
    if is_name(word):
        return None  # "Айгерим" is a name and a microdistrict: a place if the period names it so
    lowered = word.lower()
    morph = _morph()
    if any(ch in _KAZAKH_LETTERS for ch in lowered) or not morph.word_is_known(lowered):
        return None
    if "Geox" in {str(g) for p in morph.parse(lowered)[:2] for g in p.tag.grammemes}:
        return True
    return False


def places_of(readings: list[Reading], top: int = 3) -> list[str]:
    """The places a group's appeals name most, each as most often written."""
    counts: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    for reading in readings:
        for place, name in reading.places.items():
            counts[place] += 1
            spelled.setdefault(place, Counter())[name] += 1
    return [spelled[p].most_common(1)[0][0] for p, n in counts.most_common(top) if n > 1 or len(readings) == 1]
