"""A contrast set for prompt matching: taught prompts, paraphrases that must find them, and near misses
that must not (another name, number, negation or question word, or another question on the same topic).

Written as members type: lowercase, typos, contractions, Russian inflection. Some paraphrases use
synonyms on purpose ("author" for "wrote"): a lexical matcher misses those, and recall should say so.
"""

from __future__ import annotations

from typing import NamedTuple


class Taught(NamedTuple):
    prompt: str
    response: str


TAUGHT = {
    "capital": Taught("What is the capital of France?", "Paris"),
    "password": Taught("How do I reset my password?", "Use /reset in any channel"),
    "cup": Taught("Who won the world cup in 2018?", "France won it"),
    "restart": Taught("What time does the server restart?", "At 04:00 UTC"),
    "meeting": Taught("Where is the meeting?", "Voice channel 2"),
    "stream": Taught("Can I stream in the voice channel?", "Yes, with the Streamer role"),
    "book": Taught("Who wrote War and Peace?", "Leo Tolstoy"),
    "spider": Taught("How many legs does a spider have?", "Eight"),
    "colour": Taught("What is your favourite colour?", "Blue"),
    "minecraft": Taught("How do I join the Minecraft server?", "Connect to mc.example.org"),
    "tournament": Taught("When does the tournament start?", "Saturday at 18:00"),
    "muted": Taught("Why was I muted?", "For posting links in #general"),
    "canada": Taught("What is the population of Canada?", "About 40 million"),
    "age": Taught("How old are you?", "One year"),
    "event": Taught("Is the event on Friday?", "Yes, Friday at 8 pm"),
    "rules": Taught("Where can I find the rules?", "In #rules"),
    "столица": Taught("Какая столица Франции?", "Париж"),
    "пароль": Taught("Как сбросить пароль?", "Командой /reset"),
    "книга": Taught("Кто написал «Войну и мир»?", "Лев Толстой"),
    "турнир": Taught("Когда начинается турнир?", "В субботу в 18:00"),
    "встреча": Taught("Где проходит встреча?", "Во втором голосовом канале"),
    "стрим": Taught("Можно ли стримить в голосовом канале?", "Да, с ролью Стример"),
    "паук": Taught("Сколько ног у паука?", "Восемь"),
    "имя": Taught("Как тебя зовут?", "Меня зовут Бот"),
    "мут": Taught("Почему меня замутили?", "За ссылки в #общий"),
    "подписка": Taught("Сколько стоит подписка?", "300 рублей в месяц"),
    "цвет": Taught("Какой у тебя любимый цвет?", "Синий"),
    "майнкрафт": Taught("Как попасть на сервер Minecraft?", "Подключись к mc.example.org"),
    "канада": Taught("Какое население Канады?", "Около 40 миллионов"),
    "чемпионат": Taught("Кто выиграл чемпионат мира 2018 года?", "Франция"),
    "правила": Taught("Где найти правила?", "В канале #правила"),
}

# (question, key of the taught prompt it asks)
MUST_MATCH = [
    ("what's the capital of france", "capital"),
    ("What is the capital city of France?", "capital"),
    ("capitol of france?", "capital"),
    ("what's france's capital city?", "capital"),
    ("Which city is the capital of France?", "capital"),
    ("i forgot my password, how do i reset it", "password"),
    ("how can I reset my password", "password"),
    ("how to reset password", "password"),
    ("who won the 2018 world cup", "cup"),
    ("who won the world cup 2018?", "cup"),
    ("when does the server restart", "restart"),
    ("what time does the server reboot", "restart"),  # synonym
    ("where's the meeting?", "meeting"),
    ("can i stream in voice channels", "stream"),
    ("am I allowed to stream in the voice channel?", "stream"),
    ("who wrote war and peace", "book"),
    ("who is the author of War and Peace?", "book"),  # synonym
    ("how many legs do spiders have", "spider"),
    ("what is your favorite color", "colour"),
    ("whats ur favourite colour", "colour"),
    ("how do i join the minecraft server", "minecraft"),
    ("how do I connect to the Minecraft server?", "minecraft"),  # synonym
    ("what time does the tournament start?", "tournament"),
    ("why did I get muted", "muted"),
    ("what's the population of canada", "canada"),
    ("how many people live in Canada?", "canada"),  # synonym
    ("how old r u", "age"),
    ("is the event on friday?", "event"),
    ("where can i find the server rules", "rules"),
    ("столица франции", "столица"),
    ("какой город является столицей Франции?", "столица"),
    ("какая столица у франции", "столица"),
    ("Столица Франции какая?", "столица"),
    ("как мне сбросить пароль", "пароль"),
    ("забыл пароль, как его сбросить?", "пароль"),
    ("кто написал войну и мир", "книга"),
    ("кто автор «Войны и мира»?", "книга"),  # synonym
    ("когда начнется турнир?", "турнир"),  # another aspect of the verb
    ("во сколько начинается турнир", "турнир"),
    ("где будет встреча?", "встреча"),
    ("не подскажешь, где проходит встреча?", "встреча"),
    ("можно стримить в голосовом канале?", "стрим"),
    ("можно ли вести стрим в голосовых каналах?", "стрим"),
    ("сколько у пауков ног", "паук"),
    ("как зовут тебя", "имя"),
    ("за что меня замутили?", "мут"),
    ("сколько стоит подписка в месяц", "подписка"),
    ("какой твой любимый цвет", "цвет"),
    ("как попасть на сервер minecraft", "майнкрафт"),
    ("какое население у канады?", "канада"),
    ("кто выиграл чемпионат мира в 2018 году", "чемпионат"),
    ("кто победил на чемпионате мира 2018?", "чемпионат"),  # synonym
    ("где можно найти правила?", "правила"),
    ("где правила сервера", "правила"),
]

# (question, key of the taught prompt it nearly asks, what differs); none of them may get any answer
MUST_NOT = [
    ("What is the capital of Germany?", "capital", "name"),
    ("what is the capital of spain", "capital", "name (lowercase)"),
    ("What is the population of France?", "capital", "same topic, other question"),
    ("How do I reset my username?", "password", "same topic, other question"),
    ("how do I reset my phone", "password", "same topic, other question"),
    ("Who won the world cup in 2014?", "cup", "number"),
    ("who won the world cup in 2022", "cup", "number"),
    ("who won the euro in 2018", "cup", "same topic, other question"),
    ("What time does the Minecraft server restart?", "restart", "name"),
    ("what time is it?", "restart", "same topic, other question"),
    ("When is the meeting?", "meeting", "question word"),
    ("Who is at the meeting?", "meeting", "question word"),
    ("What is the meeting about?", "meeting", "question word"),
    ("Can't I stream in the voice channel?", "stream", "negation"),
    ("can i stream in the text channel", "stream", "same topic, other question"),
    ("Who translated War and Peace?", "book", "same topic, other question"),
    ("How many legs does an ant have?", "spider", "name (lowercase)"),
    ("how many eyes does a spider have", "spider", "same topic, other question"),
    ("what is your least favourite colour", "colour", "same topic, other question"),
    ("How do I leave the Minecraft server?", "minecraft", "same topic, other question"),
    ("How do I join the Terraria server?", "minecraft", "name"),
    ("When does the tournament end?", "tournament", "same topic, other question"),
    ("where does the tournament start", "tournament", "question word"),
    ("Why was I banned?", "muted", "same topic, other question"),
    ("why wasn't I muted", "muted", "negation"),
    ("What is the population of Mexico?", "canada", "name"),
    ("What was the population of Canada in 1900?", "canada", "number"),
    ("How old is your brother?", "age", "same topic, other question"),
    ("is the event on monday?", "event", "date"),
    ("Какая столица Германии?", "столица", "name"),
    ("какая столица испании", "столица", "name (lowercase)"),
    ("Какое население Франции?", "столица", "same topic, other question"),
    ("Как сбросить настройки?", "пароль", "same topic, other question"),
    ("Кто экранизировал «Войну и мир»?", "книга", "same topic, other question"),
    ("Кто написал «Анну Каренину»?", "книга", "name"),
    ("Когда заканчивается турнир?", "турнир", "same topic, other question"),
    ("Где начинается турнир?", "турнир", "question word"),
    ("когда встреча?", "встреча", "question word"),
    ("кто будет на встрече?", "встреча", "question word"),
    ("Нельзя стримить в голосовом канале?", "стрим", "negation"),
    ("почему нельзя стримить в голосовом канале", "стрим", "question word, negation"),
    ("Можно ли стримить в текстовом канале?", "стрим", "same topic, other question"),
    ("Сколько ног у муравья?", "паук", "name (lowercase)"),
    ("сколько глаз у паука", "паук", "same topic, other question"),
    ("Как зовут твоего брата?", "имя", "same topic, other question"),
    ("Почему меня забанили?", "мут", "same topic, other question"),
    ("почему меня не замутили", "мут", "negation"),
    ("Сколько стоила подписка в 2020 году?", "подписка", "number"),
    ("Какой у тебя нелюбимый цвет?", "цвет", "same topic, other question"),
    ("Как попасть на сервер Terraria?", "майнкрафт", "name"),
    ("Кто выиграл чемпионат мира 2014 года?", "чемпионат", "number"),
    ("кто выиграл чемпионат европы 2018", "чемпионат", "same topic, other question"),
    ("Какое население Мексики?", "канада", "name"),
]
