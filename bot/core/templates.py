"""The built-in post templates and phrases in every supported language, and template validation.

Templates are str.format strings with a fixed set of placeholder names per kind
(`TEMPLATE_FIELDS`); organisers override them per language from config, and `template_problem`
rejects unknown names, attribute/index access and format specs before anything is composed.
Phrases are the small fixed pieces (weekdays, units, "no eligible entry yet") composing fills in.
Arabic text is right-to-left: `isolate` wraps left-to-right runs (handles, URLs, times, Latin zone
names) in Unicode isolates U+2066/U+2069 so they stay readable; they are counted in the length.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from bot.core.events import RTL_LANGUAGES, Templates

LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

TEMPLATE_FIELDS: Mapping[str, frozenset[str]] = {
    "reminder": frozenset({"title", "date", "times", "languages", "link", "countdown", "duration"}),
    "launch": frozenset({"title", "hashtags", "start", "end", "categories"}),
    "leaderboard": frozenset({"title", "hashtags", "top", "as_of", "standings"}),
    "winners": frozenset({"title", "hashtags", "winners", "digest", "verify"}),
    "mention_reply": frozenset({"username", "title", "standing"}),
    "mention_help": frozenset({"username", "title", "commands"}),
}

BUILTIN: Mapping[str, Mapping[str, str]] = {
    "reminder": {
        "en": "⏰ Reminder: {title} starts in {countdown} ({date}).\n\n{times}\n\n"
        "Languages: {languages}\nDuration: {duration}\n{link}",
        "fr": "⏰ Rappel : {title} commence dans {countdown} ({date}).\n\n{times}\n\n"
        "Langues : {languages}\nDurée : {duration}\n{link}",
        "es": "⏰ Recordatorio: {title} empieza en {countdown} ({date}).\n\n{times}\n\n"
        "Idiomas: {languages}\nDuración: {duration}\n{link}",
        "ar": "⏰ تذكير: تبدأ {title} بعد {countdown} ({date}).\n\n{times}\n\n"
        "اللغات: {languages}\nالمدة: {duration}\n{link}",
        "zh": "⏰ 提醒：{title} 将于 {countdown} 后开始（{date}）。\n\n{times}\n\n"
        "语言：{languages}\n时长：{duration}\n{link}",
        "ru": "⏰ Напоминание: {title} начнётся через {countdown} ({date}).\n\n{times}\n\n"
        "Языки: {languages}\nПродолжительность: {duration}\n{link}",
    },
    "launch": {
        "en": "🚀 {title} is open! Post with {hashtags} from {start} to {end}.\n\n"
        "Categories: {categories}",
        "fr": "🚀 {title} est ouvert ! Publiez avec {hashtags} du {start} au {end}.\n\n"
        "Catégories : {categories}",
        "es": "🚀 ¡{title} está abierto! Publica con {hashtags} del {start} al {end}.\n\n"
        "Categorías: {categories}",
        "ar": "🚀 انطلقت {title}! انشروا مع {hashtags} من {start} إلى {end}.\n\n"
        "الفئات: {categories}",
        "zh": "🚀 {title} 开始了！请在 {start} 至 {end} 期间带上 {hashtags} 发帖。\n\n"
        "类别：{categories}",
        "ru": "🚀 {title} открыт! Публикуйте с {hashtags} с {start} до {end}.\n\n"
        "Категории: {categories}",
    },
    "leaderboard": {
        "en": "📊 {title}: top {top} as of {as_of}\n\n{standings}\n\n{hashtags}",
        "fr": "📊 {title} : top {top} au {as_of}\n\n{standings}\n\n{hashtags}",
        "es": "📊 {title}: top {top} a las {as_of}\n\n{standings}\n\n{hashtags}",
        "ar": "📊 {title}: أفضل {top} حتى {as_of}\n\n{standings}\n\n{hashtags}",
        "zh": "📊 {title}：截至 {as_of} 的前 {top} 名\n\n{standings}\n\n{hashtags}",
        "ru": "📊 {title}: топ-{top} на {as_of}\n\n{standings}\n\n{hashtags}",
    },
    "winners": {
        "en": "🏆 {title}: the winners!\n\n{winners}\n\n{verify}\n{hashtags}",
        "fr": "🏆 {title} : les gagnants !\n\n{winners}\n\n{verify}\n{hashtags}",
        "es": "🏆 {title}: ¡los ganadores!\n\n{winners}\n\n{verify}\n{hashtags}",
        "ar": "🏆 {title}: الفائزون!\n\n{winners}\n\n{verify}\n{hashtags}",
        "zh": "🏆 {title}：获奖名单！\n\n{winners}\n\n{verify}\n{hashtags}",
        "ru": "🏆 {title}: победители!\n\n{winners}\n\n{verify}\n{hashtags}",
    },
    "mention_reply": {
        "en": "{username} Your standing in {title}:\n{standing}",
        "fr": "{username} Votre classement dans {title} :\n{standing}",
        "es": "{username} Tu clasificación en {title}:\n{standing}",
        "ar": "{username} ترتيبك في {title}:\n{standing}",
        "zh": "{username} 你在 {title} 中的排名：\n{standing}",
        "ru": "{username} Ваше место в {title}:\n{standing}",
    },
    "mention_help": {
        "en": "{username} Mention me with {commands} to see your current standing in {title}.",
        "fr": "{username} Mentionnez-moi avec {commands} pour voir votre classement dans {title}.",
        "es": "{username} Mencióname con {commands} para ver tu clasificación en {title}.",
        "ar": "{username} اذكرني مع {commands} لمعرفة ترتيبك في {title}.",
        "zh": "{username} 提及我并写上 {commands} 即可查看你在 {title} 中的排名。",
        "ru": "{username} Упомяните меня со словом {commands}, чтобы узнать своё место в {title}.",
    },
}

# Small fixed pieces, per language.
PHRASES: Mapping[str, Mapping[str, str]] = {
    "weekdays": {
        "en": "Mon Tue Wed Thu Fri Sat Sun",
        "fr": "lun. mar. mer. jeu. ven. sam. dim.",
        "es": "lun. mar. mié. jue. vie. sáb. dom.",
        "ar": "الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد",
        "zh": "周一 周二 周三 周四 周五 周六 周日",
        "ru": "пн вт ср чт пт сб вс",
    },
    "day_shift": {  # {n} is a signed number of days, e.g. +1
        "en": "{n} day",
        "fr": "{n} jour",
        "es": "{n} día",
        "ar": "{n} يوم",
        "zh": "{n}天",
        "ru": "{n} дн.",
    },
    "hours": {"en": "h", "fr": "h", "es": "h", "ar": "س", "zh": "小时", "ru": "ч"},
    "minutes": {"en": "min", "fr": "min", "es": "min", "ar": "د", "zh": "分钟", "ru": "мин"},
    "no_entry": {
        "en": "no eligible entry yet",
        "fr": "pas encore de participation éligible",
        "es": "aún no hay participación válida",
        "ar": "لا توجد مشاركة مؤهلة بعد",
        "zh": "暂无有效参赛作品",
        "ru": "пока нет допустимых публикаций",
    },
    "rank_of": {  # a participant's rank among n ranked entries
        "en": "#{rank} of {total}",
        "fr": "n°{rank} sur {total}",
        "es": "n.º {rank} de {total}",
        "ar": "{rank} من {total}",
        "zh": "第 {rank} 名（共 {total}）",
        "ru": "№{rank} из {total}",
    },
    "jury_pending": {
        "en": "the jury's decision is still to come",
        "fr": "la décision du jury est à venir",
        "es": "la decisión del jurado está por llegar",
        "ar": "قرار لجنة التحكيم لم يصدر بعد",
        "zh": "评审团尚未作出决定",
        "ru": "решение жюри ещё впереди",
    },
    "no_winner": {
        "en": "no eligible entry",
        "fr": "aucune participation éligible",
        "es": "ninguna participación válida",
        "ar": "لا توجد مشاركة مؤهلة",
        "zh": "无有效参赛作品",
        "ru": "нет допустимых публикаций",
    },
    "not_ranked": {  # {reason} is an EXCLUSION_REASONS text
        "en": "not ranked: {reason}",
        "fr": "non classé : {reason}",
        "es": "sin clasificar: {reason}",
        "ar": "غير مصنَّف: {reason}",
        "zh": "未排名：{reason}",
        "ru": "вне рейтинга: {reason}",
    },
    "no_qualifying": {  # entries competed, none reached the category's minimum score {min}
        "en": "no entry reached the minimum score ({min})",
        "fr": "aucune participation n'a atteint le score minimum ({min})",
        "es": "ninguna participación alcanzó la puntuación mínima ({min})",
        "ar": "لم تبلغ أي مشاركة الحد الأدنى للنقاط ({min})",
        "zh": "没有参赛作品达到最低分（{min}）",
        "ru": "ни одна публикация не набрала минимум ({min})",
    },
    "more_categories": {
        "en": "+{n} more categories",
        "fr": "+{n} autres catégories",
        "es": "+{n} categorías más",
        "ar": "+{n} فئات أخرى",
        "zh": "另有 {n} 个类别",
        "ru": "ещё категорий: {n}",
    },
    "verify": {
        "en": "Results digest {digest}… Verify: contestbot verify {competition}",
        "fr": "Empreinte des résultats {digest}… Vérifier : contestbot verify {competition}",
        "es": "Huella de resultados {digest}… Verificar: contestbot verify {competition}",
        "ar": "بصمة النتائج {digest}… للتحقق: contestbot verify {competition}",
        "zh": "结果摘要 {digest}… 验证：contestbot verify {competition}",
        "ru": "Дайджест результатов {digest}… Проверка: contestbot verify {competition}",
    },
    "list_sep": {"en": ", ", "fr": ", ", "es": ", ", "ar": "، ", "zh": "、", "ru": ", "},
}

# Why a participant's posts do not rank, briefly, by exclusion rule code (the rank reply says it
# instead of "no eligible entry"): short, so every category still fits one reply.
EXCLUSION_REASONS: Mapping[str, Mapping[str, str]] = {
    "outside-window": {
        "en": "posted outside the competition dates",
        "fr": "publié hors des dates du concours",
        "es": "publicado fuera de las fechas del concurso",
        "ar": "نُشر خارج مواعيد المسابقة",
        "zh": "发布时间不在比赛期间",
        "ru": "опубликовано вне сроков конкурса",
    },
    "no-tracked-tag": {
        "en": "missing the competition hashtag",
        "fr": "sans le hashtag du concours",
        "es": "sin el hashtag del concurso",
        "ar": "بدون وسم المسابقة",
        "zh": "缺少比赛话题标签",
        "ru": "нет хештега конкурса",
    },
    "retweet": {
        "en": "a repost, not an original post",
        "fr": "un repost, pas une publication originale",
        "es": "una republicación, no un original",
        "ar": "إعادة نشر وليست منشورًا أصليًا",
        "zh": "转发，而非原创帖子",
        "ru": "репост, а не оригинальная публикация",
    },
    "reply-not-allowed": {
        "en": "replies do not count here",
        "fr": "les réponses ne comptent pas ici",
        "es": "las respuestas no cuentan aquí",
        "ar": "الردود لا تُحتسب هنا",
        "zh": "回复不计入本次比赛",
        "ru": "ответы здесь не учитываются",
    },
    "quote-not-allowed": {
        "en": "quote posts do not count here",
        "fr": "les citations ne comptent pas ici",
        "es": "las citas no cuentan aquí",
        "ar": "الاقتباسات لا تُحتسب هنا",
        "zh": "引用帖不计入本次比赛",
        "ru": "цитаты здесь не учитываются",
    },
    "excluded-account": {
        "en": "this account is excluded",
        "fr": "ce compte est exclu",
        "es": "esta cuenta está excluida",
        "ar": "هذا الحساب مستبعد",
        "zh": "该账号不参与评选",
        "ru": "этот аккаунт исключён",
    },
    "organiser": {
        "en": "organisers do not compete",
        "fr": "les organisateurs ne concourent pas",
        "es": "los organizadores no compiten",
        "ar": "المنظمون لا يشاركون في المنافسة",
        "zh": "主办方不参与评选",
        "ru": "организаторы не участвуют",
    },
    "account-too-new": {
        "en": "account too new",
        "fr": "compte trop récent",
        "es": "cuenta demasiado reciente",
        "ar": "الحساب حديث جدًا",
        "zh": "账号注册时间过短",
        "ru": "слишком новый аккаунт",
    },
    "too-few-followers": {
        "en": "too few followers",
        "fr": "pas assez d'abonnés",
        "es": "muy pocos seguidores",
        "ar": "عدد المتابعين قليل",
        "zh": "关注者太少",
        "ru": "слишком мало подписчиков",
    },
    "language": {
        "en": "language not accepted here",
        "fr": "langue non acceptée",
        "es": "idioma no admitido",
        "ar": "اللغة غير مقبولة",
        "zh": "语言不符合要求",
        "ru": "язык не принимается",
    },
    "deleted": {
        "en": "the post was deleted",
        "fr": "la publication a été supprimée",
        "es": "la publicación fue eliminada",
        "ar": "حُذف المنشور",
        "zh": "帖子已删除",
        "ru": "публикация удалена",
    },
    "protected": {
        "en": "the account's posts are protected",
        "fr": "les publications du compte sont protégées",
        "es": "las publicaciones de la cuenta están protegidas",
        "ar": "منشورات الحساب محمية",
        "zh": "该账号的帖子受保护",
        "ru": "публикации аккаунта скрыты",
    },
    "disqualified": {
        "en": "disqualified by the organisers",
        "fr": "disqualifié par les organisateurs",
        "es": "descalificado por los organizadores",
        "ar": "استُبعد من قبل المنظمين",
        "zh": "已被主办方取消资格",
        "ru": "дисквалифицировано организаторами",
    },
    "community-author": {
        "en": "for authors outside the community",
        "fr": "réservé aux auteurs hors communauté",
        "es": "solo para autores externos",
        "ar": "مخصص لمن هم من خارج المجتمع",
        "zh": "仅限社区以外的作者",
        "ru": "только для авторов вне сообщества",
    },
    "not-a-question": {
        "en": "questions only",
        "fr": "questions uniquement",
        "es": "solo preguntas",
        "ar": "للأسئلة فقط",
        "zh": "仅限提问",
        "ru": "только вопросы",
    },
    "not-reply-to-organiser": {
        "en": "replies to the organisers only",
        "fr": "réponses aux organisateurs uniquement",
        "es": "solo respuestas a los organizadores",
        "ar": "للردود على المنظمين فقط",
        "zh": "仅限回复主办方的帖子",
        "ru": "только ответы организаторам",
    },
    "below-minimum": {
        "en": "not enough engagement yet",
        "fr": "pas encore assez d'interactions",
        "es": "aún sin suficiente interacción",
        "ar": "التفاعل غير كافٍ بعد",
        "zh": "互动数尚未达到最低要求",
        "ru": "пока недостаточно реакций",
    },
    "already-won": {
        "en": "already won another prize",
        "fr": "déjà lauréat d'un autre prix",
        "es": "ya ganó otro premio",
        "ar": "فاز بجائزة أخرى بالفعل",
        "zh": "已获得其他奖项",
        "ru": "уже получил другой приз",
    },
    "other": {
        "en": "not eligible",
        "fr": "non éligible",
        "es": "no válido",
        "ar": "غير مؤهل",
        "zh": "不符合条件",
        "ru": "не допускается",
    },
}


def exclusion_reason(rule: str, lang: str) -> str:
    """The short reason for an exclusion rule code in `lang` (English where not translated)."""
    table = EXCLUSION_REASONS.get(rule, EXCLUSION_REASONS["other"])
    return table.get(lang, table["en"])


# Language names as their speakers write them, so one table serves every post language.
ENDONYMS: Mapping[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文",
    "ru": "Русский",
    "pt": "Português",
    "sw": "Kiswahili",
    "de": "Deutsch",
    "hi": "हिन्दी",
}


def phrase(name: str, lang: str) -> str:
    table = PHRASES[name]
    return table.get(lang, table["en"])


def isolate(text: str, lang: str) -> str:
    """Wrap a left-to-right run for a right-to-left post; unchanged for other languages."""
    if lang in RTL_LANGUAGES and text:
        return f"{LRI}{text}{PDI}"
    return text


def template_for(kind: str, lang: str, templates: Templates | None = None) -> str:
    """The organiser's override for (kind, lang), else the built-in one (English if the language
    has none)."""
    if templates is not None:
        own = templates.override(kind, lang)
        if own is not None:
            return own
    table = BUILTIN[kind]
    return table.get(lang, table["en"])


def template_problem(kind: str, template: str) -> str | None:
    """Why `template` cannot be used for `kind`, or None. Names the bad placeholder and the fix."""
    allowed = TEMPLATE_FIELDS.get(kind)
    if allowed is None:
        return f"unknown template kind {kind!r}; use one of {', '.join(sorted(TEMPLATE_FIELDS))}"
    names = ", ".join("{" + n + "}" for n in sorted(allowed))
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"template is not a valid format string ({exc}); write braces as {{{{ and }}}}"
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            return f"positional placeholder {{{name}}} is not allowed; use one of {names}"
        if name not in allowed:
            return f"unknown placeholder {{{name}}}; use one of {names}"
        if spec or conversion:
            return f"placeholder {{{name}}} must not carry a format spec or conversion"
    return None


def render(template: str, fields: Mapping[str, str]) -> str:
    """Fill a validated template, then tidy the blank lines an empty field leaves behind."""
    text = template.format_map(dict(fields))
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip()
