"""An edX catalog course as a 360Learning external course (the Bulk API's ``ExternalCourseDTO``).

=================  =============================================================================================
360Learning        edX catalog course (``edx-api.md`` §5)
=================  =============================================================================================
``externalId``     ``key`` (``HarvardX+CS50``): the id learner-summary rows join on (``course_key``)
``name``           ``title``, trimmed
``launchUrl``      ``enrollment_url`` (the Learner Portal page), else ``marketing_url``
``description``    ``short_description``, else ``full_description``, HTML turned into plain text; left out when empty
``defaultLang``    ``languages[0]`` (a language *name*: ``English``) as the spec's code, else the advertised
                   run's ``content_language`` (``en-us`` -> ``en``, ``pt-br`` -> ``pt_BR``), else ``default_lang``
``sources``        the ``owners`` (name and logo), else ``edX``
``subjects``       the ``subjects``' names
``difficultyLevel`` ``level_type``: Introductory -> beginner, Intermediate -> intermediate, Advanced -> advanced
``duration``       minutes of the advertised run: ``estimated_hours``, else ``weeks_to_complete`` x mean weekly
                   effort; within 1..100,000
``imageUrl``       ``image.src``, else ``card_image_url``, else ``image_url``
=================  =============================================================================================

Skills, tags and co-authors are not mapped: 360Learning users own them, and the upsert leaves them alone.
"""

from __future__ import annotations

import html.parser
import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from airflow_provider_360learning.actions.registry import deref, load_document, resolve
from airflow_provider_360learning.edx.records import BULK_SCHEMAS, InvalidRecord, schema_error

COURSE_SCHEMA = "ExternalCourseDTO"
DEFAULT_SOURCE = "edX"
LEVELS = {"introductory": "beginner", "beginner": "beginner", "intermediate": "intermediate", "advanced": "advanced"}
MAX_DURATION_MINUTES = 100_000
LANGUAGE_NAMES = {
    "english": "en",
    "spanish": "es",
    "french": "fr",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "russian": "ru",
    "ukrainian": "uk",
    "polish": "pl",
    "czech": "cs",
    "slovak": "sk",
    "hungarian": "hu",
    "romanian": "ro",
    "bulgarian": "bg",
    "greek": "el",
    "turkish": "tr",
    "swedish": "sv",
    "danish": "da",
    "finnish": "fi",
    "norwegian": "no",
    "croatian": "hr",
    "serbian": "sr",
    "slovenian": "sl",
    "lithuanian": "lt",
    "latvian": "lv",
    "estonian": "et",
    "catalan": "ca",
    "welsh": "cy",
    "arabic": "ar",
    "hebrew": "he_IL",
    "hindi": "hi",
    "bengali": "bn",
    "urdu": "ur",
    "tamil": "ta",
    "telugu": "te",
    "marathi": "mr",
    "gujarati": "gu",
    "punjabi": "pa",
    "chinese": "zh",
    "mandarin": "zh",
    "cantonese": "zh_HANT",
    "japanese": "ja",
    "korean": "ko",
    "thai": "th",
    "vietnamese": "vi",
    "indonesian": "id",
    "malay": "ms",
    "swahili": "sw_KE",
    "armenian": "hy",
    "kazakh": "kk",
    "mongolian": "mn_MN",
    "uzbek": "uz",
    "bosnian": "bs",
}
"""edX language names (course-discovery's ``languages``) to the spec's language codes."""


@cache
def spec_languages() -> frozenset[str]:
    """The language codes ``ExternalCourseDTO.defaultLang`` accepts, from the official document."""
    doc = load_document("bulk").contents
    schema = deref(doc, resolve(doc, BULK_SCHEMAS + COURSE_SCHEMA))
    return frozenset(deref(doc, schema["properties"]["defaultLang"])["enum"])


def language_code(value: Any) -> str | None:
    """A language name (``English``, ``Chinese - Mandarin``) or code (``en-us``, ``pt-br``) as a spec code."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    codes = spec_languages()
    match = re.fullmatch(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2,4}))?", text)
    if match:
        lang, region = match[1].lower(), match[2]
        candidates = (
            [f"{lang}_{region.upper()}", f"{lang}_{region.lower()}", f"{lang}_{region.title()}"] if region else []
        )
        found = next((c for c in [*candidates, lang] if c in codes), None)
        if found:
            return found
    for word in re.split(r"[\s,()\-/]+", text.lower()):
        if word in LANGUAGE_NAMES:
            return LANGUAGE_NAMES[word]
    return None


class _TextExtractor(html.parser.HTMLParser):
    """Text of an HTML fragment: entities decoded, blocks on their own lines, list items as ``- item``."""

    BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(fragment: Any) -> str:
    """Plain text of an HTML description (standard library only); ``""`` for nothing."""
    if not isinstance(fragment, str) or not fragment.strip():
        return ""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _url(value: Any) -> str | None:
    text = _text(value)
    return text if text and text.startswith(("https://", "http://")) else None


def advertised_run(course: Mapping[str, Any]) -> Mapping[str, Any]:
    """The run edX advertises (``advertised_course_run_uuid``), else the first; ``{}`` when there is none."""
    runs = [r for r in course.get("course_runs") or () if isinstance(r, Mapping)]
    wanted = course.get("advertised_course_run_uuid")
    return next((r for r in runs if wanted and r.get("uuid") == wanted), runs[0] if runs else {})


def _positive(run: Mapping[str, Any], name: str) -> float | None:
    """A run's number when it is one above 0; ``None`` when absent, 0 or not a number; a NaN or an infinity
    is refused with the field named (it would turn into any duration, or crash the rounding)."""
    value = run.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if not math.isfinite(value):
        raise InvalidRecord(f"{name} is {value!r}, expected a finite number")
    return float(value) if value > 0 else None


def duration_minutes(run: Mapping[str, Any]) -> int | None:
    """Minutes of a run: ``estimated_hours``, else weeks x mean weekly effort; within 1..100,000."""
    hours = _positive(run, "estimated_hours")
    weeks = _positive(run, "weeks_to_complete")
    efforts = [e for e in (_positive(run, "min_effort"), _positive(run, "max_effort")) if e is not None]
    if hours is None:
        if weeks is None or not efforts:
            return None
        hours = weeks * sum(efforts) / len(efforts)
    return max(1, round(min(MAX_DURATION_MINUTES, hours * 60)))


def _image(course: Mapping[str, Any]) -> str | None:
    image = course.get("image")
    src = image.get("src") if isinstance(image, Mapping) else None
    return _url(src) or _url(course.get("card_image_url")) or _url(course.get("image_url"))


def _sources(course: Mapping[str, Any]) -> list[dict[str, str]]:
    sources: list[dict[str, str]] = []
    for owner in course.get("owners") or ():
        name = _text(owner.get("name")) if isinstance(owner, Mapping) else None
        if name and all(s["name"] != name for s in sources):
            logo = _url(owner.get("logo_image_url"))
            sources.append({"name": name, **({"logoUrl": logo} if logo else {})})
    return sources or [{"name": DEFAULT_SOURCE}]


def course_key(record: Any) -> str | None:
    """The record's course key, when it has a usable one."""
    return _text(record.get("key")) if isinstance(record, Mapping) else None


def external_course(record: Any, *, default_lang: str = "en") -> dict[str, Any]:
    """The ``ExternalCourseDTO`` of an edX catalog course; :class:`InvalidRecord` says why it cannot be one."""
    if not isinstance(record, Mapping):
        raise InvalidRecord(f"not a JSON object but {type(record).__name__}")
    key = course_key(record)
    if key is None:
        raise InvalidRecord("no course key (`key`)")
    name = _text(record.get("title"))
    if name is None:
        raise InvalidRecord("no title")
    launch = _url(record.get("enrollment_url")) or _url(record.get("marketing_url"))
    if launch is None:
        raise InvalidRecord("no enrollment_url or marketing_url to launch the course with")
    run = advertised_run(record)
    languages = record.get("languages")
    first_language = languages[0] if isinstance(languages, list) and languages else None
    lang = language_code(first_language) or language_code(run.get("content_language")) or default_lang
    subjects = [
        subject for s in record.get("subjects") or () if isinstance(s, Mapping) and (subject := _text(s.get("name")))
    ]
    item: dict[str, Any] = {
        "externalId": key,
        "name": name,
        "launchUrl": launch,
        "defaultLang": lang,
        "sources": _sources(record),
        "subjects": list(dict.fromkeys(subjects)),
    }
    description = html_to_text(record.get("short_description")) or html_to_text(record.get("full_description"))
    if description:
        item["description"] = description
    level = LEVELS.get(str(record.get("level_type") or run.get("level_type") or "").strip().lower())
    if level:
        item["difficultyLevel"] = level
    duration = duration_minutes(run)
    if duration:
        item["duration"] = duration
    image = _image(record)
    if image:
        item["imageUrl"] = image
    problem = schema_error(COURSE_SCHEMA, item)
    if problem:
        raise InvalidRecord(f"the mapped external course breaks the spec: {problem}")
    return item
