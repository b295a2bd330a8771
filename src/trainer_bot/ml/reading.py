"""What one question is about, as `matching` compares it: its content words and names, the numbers and
dates in it, whether it is negated, and what kind of answer it asks for (who, where, when...).

English and Russian. The word lists are small on purpose: they only have to cover the words that change
which question is asked; everything else is a content word and is compared by `wordforms`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from trainer_bot.ml.normalize import STOP_WORDS, normalize_text
from trainer_bot.ml.wordforms import Word, word

# Words, with English contractions ("can't", "france's") and hyphenated words ("кто-нибудь") kept whole.
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*")
_DIGITS = re.compile(r"\d+")
# Mentions (<@id>, <@!id>, <@&role>, <#channel>) and custom emoji: a stored prompt keeps the bot's mention
# that the question has lost, and their ids are no numbers the question is about.
_DISCORD_MARKUP = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>")
_SENTENCE_END = frozenset(".!?…\n")


def _classes(table: dict[str, str]) -> dict[str, str]:
    return {word: kind for kind, words in table.items() for word in words.split()}


# The kind of answer a question asks for. "what"/"which"/"что"/"какой" ask for anything, so they only clash
# with a question that has no "what" at all ("what is the meeting about" vs "where is the meeting").
_ASKS = _classes(
    {
        "what": "what whats which что чего чему чем какой какая какое какие какого какому каким каком какую"
        " каких какими каков какова",
        "who": "who whom whose кто кого кому кем ком чей чья чье чьи",
        "where": "where где куда откуда",
        "when": "when когда",
        "why": "why почему зачем отчего",
        "how": "how как",
        "count": "сколько",
    }
)
# Two words that ask as one; the second word is part of the question, not of its subject.
_ASK_PHRASES = {
    **{("what", noun): "when" for noun in ("time", "day", "date", "year")},
    ("which", "day"): "when",
    ("which", "year"): "when",
    ("во", "сколько"): "when",
    ("какое", "время"): "when",
    ("какого", "числа"): "when",
    ("каком", "году"): "when",
    ("какой", "день"): "when",
    ("how", "many"): "count",
    ("how", "much"): "count",
    ("how", "come"): "why",
    ("за", "что"): "why",
}
_NEGATION_WORDS = """
not no never nobody nothing nowhere none cannot neither nor dont cant wont doesnt didnt isnt arent wasnt
werent shouldnt couldnt wouldnt havent hasnt aint
не нет ни никогда нельзя никак ничего никто нигде никуда невозможно
"""
_NEGATIONS = frozenset(_NEGATION_WORDS.split())
# "не подскажешь, где встреча?" is a polite "where is the meeting", not a negated question.
_POLITE_WORDS = "подскажешь подскажете подскажите знаешь знаете скажешь скажете"
_POLITE_AFTER_NOT = frozenset(_POLITE_WORDS.split())
# Chat filler that says nothing about the subject; `normalize.STOP_WORDS` has the function words.
_FILLER_WORDS = """
hey hi hello bot guys anyone someone somebody know wondering wonder question get got getting really
actually ever pls plz thanks thank ur ya ok okay exactly
привет бот ребята знаешь знаете знает подскажи подскажите подскажешь подскажете скажите является
являются вообще можно именно случайно
"""
_FILLERS = frozenset(_FILLER_WORDS.split())
_INDEFINITE = re.compile(r"\w+-(?:то|нибудь|либо)")  # "кто-нибудь знает": no question word, no subject

_NUMBERS = {
    name: value
    for value, names in {
        0: "zero ноль нуля",
        2: "two два две двух двум двумя",
        3: "three три трех трем тремя",
        4: "four четыре четырех четырем четырьмя",
        5: "five пять пяти пятью",
        6: "six шесть шести шестью",
        7: "seven семь семи семью",
        8: "eight восемь восьми восемью",
        9: "nine девять девяти девятью",
        10: "ten десять десяти десятью",
        11: "eleven",
        12: "twelve",
        20: "twenty двадцать двадцати",
        30: "thirty тридцать тридцати",
        40: "forty сорок сорока",
        50: "fifty пятьдесят пятидесяти",
        100: "hundred hundreds сто ста",
        1000: "thousand thousands тысяча тысячи тысячу тысяч тысячей",
        10**6: "million millions миллион миллиона миллионов",
        10**9: "billion billions миллиард миллиарда миллиардов",
    }.items()
    for name in names.split()
}  # "one"/"один" are left out: "which one", "один из" are rarely the number
_MONTH_NAMES = "january february march april may june july august september october november december"
_MONTHS = tuple(_MONTH_NAMES.split())
_WEEKDAY_NAMES = "monday tuesday wednesday thursday friday saturday sunday"
_WEEKDAYS = tuple(_WEEKDAY_NAMES.split())
# Russian months and weekdays inflect: a word counts when it starts with the stem and adds at most 2 letters.
_RUSSIAN_MONTH_STEMS = "январ феврал март апрел ма июн июл август сентябр октябр ноябр декабр"
_RUSSIAN_MONTHS = tuple(_RUSSIAN_MONTH_STEMS.split())
_RUSSIAN_WEEKDAY_STEMS = "понедельник вторник сред четверг пятниц суббот воскресен"
_RUSSIAN_WEEKDAYS = tuple(_RUSSIAN_WEEKDAY_STEMS.split())
_RELATIVE_DAYS = {
    "today": "0",
    "tonight": "0",
    "сегодня": "0",
    "tomorrow": "+1",
    "завтра": "+1",
    "yesterday": "-1",
    "вчера": "-1",
    "послезавтра": "+2",
    "позавчера": "-2",
}


@dataclass(frozen=True)
class Reading:
    content: tuple[Word, ...]  # the words that say what the question is about
    names: tuple[Word, ...]  # content words written as names: capitalised mid-sentence, or in capitals
    numbers: frozenset[str]  # numbers, months, weekdays and days like "tomorrow", canonical
    negated: bool
    asks: frozenset[str]  # kinds of answer asked for: "who", "where", "when", ...


@lru_cache(maxsize=4096)
def read(text: str) -> Reading:
    text = _DISCORD_MARKUP.sub(" ", unicodedata.normalize("NFKC", text))
    tokens = _tokens(text)
    case_says_nothing = _mostly_capitals(text) or _title_case(tokens)
    content: dict[str, Word] = {}
    names: dict[str, Word] = {}
    numbers: set[str] = set()
    asks: set[str] = set()
    negated = False
    skip = 0
    for index, (raw, folded, at_start) in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if (folded, following) in _ASK_PHRASES:
            asks.add(_ASK_PHRASES[folded, following])
            skip = 1
        elif folded in _ASKS:
            asks.add(_ASKS[folded])
        elif folded == "не" and following in _POLITE_AFTER_NOT:
            skip = 1
        elif folded in _NEGATIONS or folded.endswith("n't"):
            negated = True
        elif (number := _number(raw, folded, at_start)) is not None:
            numbers.add(number)
        elif any(char.isdigit() for char in folded):
            numbers.update(f"n{int(digits)}" for digits in _DIGITS.findall(folded))
        elif _is_content(folded):
            content[folded] = word(folded)
            if not case_says_nothing and _looks_like_a_name(raw, at_start):
                names[folded] = content[folded]
    return Reading(
        tuple(content.values()), tuple(names.values()), frozenset(numbers), negated, frozenset(asks)
    )


def _tokens(text: str) -> list[tuple[str, str, bool]]:
    """(as written, normalised, whether it starts a sentence) for each word."""
    tokens: list[tuple[str, str, bool]] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        at_start = not tokens or any(char in _SENTENCE_END for char in text[previous_end : match.start()])
        previous_end = match.end()
        folded = normalize_text(match.group()).replace("’", "'")
        if not folded.endswith("n't"):
            folded = folded.split("'")[0]  # "france's" -> "france", "what's" -> "what"
        if not _INDEFINITE.fullmatch(folded):
            tokens.append((match.group(), folded, at_start))
    return tokens


def _number(raw: str, folded: str, at_start: bool) -> str | None:
    if folded in _NUMBERS:
        return f"n{_NUMBERS[folded]}"
    if folded in _RELATIVE_DAYS:
        return f"day{_RELATIVE_DAYS[folded]}"
    singular = folded.removesuffix("s")
    if singular in _WEEKDAYS:
        return f"weekday{_WEEKDAYS.index(singular)}"
    if folded in _MONTHS and (folded != "may" or (raw == "May" and not at_start)):  # not "may I"
        return f"month{_MONTHS.index(folded)}"
    for stems, kind in ((_RUSSIAN_MONTHS, "month"), (_RUSSIAN_WEEKDAYS, "weekday")):
        for position, stem in enumerate(stems):
            if folded.startswith(stem) and len(folded) - len(stem) <= 2 and _russian_form(folded, stem):
                return f"{kind}{position}"
    return None


def _russian_form(folded: str, stem: str) -> bool:
    """Whether a word starting with a month or weekday stem is that month or weekday, not another word."""
    if stem == "ма":  # май, мая, мае, маю, маем; not "мал", "мама"
        return folded in ("май", "мая", "мае", "маю", "маем")
    if stem == "сред":  # среда/среду/среде/среды; not "среди" (among)
        return folded in ("среда", "среду", "среде", "среды")
    return True


def _is_content(folded: str) -> bool:
    return len(folded) > 1 and folded not in STOP_WORDS and folded not in _FILLERS


def _looks_like_a_name(raw: str, at_start: bool) -> bool:
    if len(raw) > 1 and raw.isupper():
        return True  # "API", "NASA"
    return raw[:1].isupper() and not at_start


def _title_case(tokens: list[tuple[str, str, bool]]) -> bool:
    """Title case ("What Is The Capital City Of France") capitalises every word, so none is a name."""
    inside = [raw for raw, folded, at_start in tokens if not at_start and _is_content(folded)]
    return len(inside) >= 3 and all(raw[:1].isupper() for raw in inside)


def _mostly_capitals(text: str) -> bool:
    """A shouted message capitalises everything, so capitals say nothing about names in it."""
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= 4 and sum(char.isupper() for char in letters) > len(letters) / 2
