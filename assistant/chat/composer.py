"""The grounded composer: answers built only from rulebook values (with the clause each cites) and from
sentences retrieved verbatim from the corpus. It never writes a fact that has no citation."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from assistant.chat.citations import AnswerBuilder
from assistant.chat.safety import document_is_tampered, safe_to_quote, without_comments
from assistant.corpus import Document
from assistant.eligibility.checker import EligibilityChecker
from assistant.eligibility.models import Citation, EligibilityResult, LevelResult
from assistant.eligibility.rulebook import Resolved
from assistant.provinces import PROVINCES, detect_province
from assistant.retrieval import HybridRetriever, Passage
from assistant.retrieval.tokenize import tokenize

LEVELS = ("basic", "advanced", "premium", "pilot")
# Sentences that say the sources are silent: an answer resting on them is a `no_answer`.
_SILENCE = re.compile(
    r"没有找到|未找到|尚未公开|没有查到|未查到|不详|没有明确规定|来源中没有|资料中没有"
    r"|not found|(is|are) (not known|unknown)|do not say|does not say|no .{0,40}(was|were) found|not (been )?published"
    r"|only a general statement|只有一般性表述"
)
_LIST_MARK = re.compile(r"^(?:[-*•]|\d+[.、)])\s*")
_DATE_WORDS = re.compile(
    r"20\d\d[-年]|\d{1,2}月|\d{1,2}日|(January|February|March|April|May|June|July|August|"
    r"September|October|November|December) 20\d\d|\b20\d\d-\d\d"
)
_ENUMERATION = re.compile(
    r"哪几个|哪几|分别|有哪些|列出|都有什么|一共|what are the|which are the|list (the|all)|all the|six|five|eight"
)


def _is_silent(sentence: str) -> bool:
    """The sentence's main clause says the sources do not answer ("…was not found"); a fact followed by a
    caveat ("the address is www…; the sources do not say whether…") is not silence."""
    return bool(_SILENCE.search(re.split(r"[；;]", sentence)[0]))


# Western "." "!" "?" end a sentence only before a space or the end, so URLs ("…/home?subPlatformId=8") stay whole.
_SENTENCE = re.compile(r"(?<=[。！？])|(?<=[.!?])(?=\s|$)|\n+")


def answer_sentences(text: str) -> list[str]:
    """Whole sentences for quoting: split at full stops and line breaks, not at semicolons."""
    return [piece.strip() for piece in _SENTENCE.split(text) if piece and piece.strip()]


@lru_cache(maxsize=1)
def phrases() -> dict[str, dict[str, str]]:
    text = (resources.files("assistant.chat") / "phrases.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def phrase(key: str, language: str, **values: Any) -> str:
    return phrases()[key][language].format(**values)


class GroundedComposer:
    def __init__(self, checker: EligibilityChecker, retriever: HybridRetriever) -> None:
        self.checker = checker
        self.rulebook = checker.rulebook
        self.catalog = checker.catalog
        self.retriever = retriever
        self._tampered: dict[tuple[str, str], bool] = {}

    def _untrusted(self, document: Document) -> bool:
        """A document that tries to instruct the assistant anywhere (even in a hidden comment) is never quoted."""
        key = (document.doc_id, document.content_hash)
        if key not in self._tampered:
            texts = [document.title, *(f"{s.heading}\n{s.text}" for s in document.sections)]
            self._tampered[key] = document_is_tampered(texts)
        return self._tampered[key]

    # -- helpers ------------------------------------------------------------------------------------
    def _label(self, group: str, key: str, language: str) -> str:
        return self.rulebook.label(group, key, language)

    def _cite(self, resolved: Resolved | None, language: str) -> Citation | None:
        return self.checker.cite(resolved, language) if resolved is not None else None

    def _cite_text(self, reference: str, quote: str, language: str) -> Citation | None:
        """A citation for a fixed sentence of the corpus (verified to exist, else no citation)."""
        reference = self.catalog.localise(reference, language)
        document = self.catalog.document_of(reference)
        if document is None or quote not in self.catalog.section_text(reference):
            return None
        doc_id, _, section = reference.partition("#")
        url = document.metadata.get("url")
        return Citation(
            doc_id=doc_id, section=section, title=document.title, url=str(url) if url else None, quote=quote
        )

    def who_to_ask(self, builder: AnswerBuilder) -> None:
        language = builder.language
        quote = {
            "zh": "省级工业和信息化厅（工信厅；各地名称不同，如北京市经济和信息化局）：先进级认定，卓越级和领航级推荐，本省申报通知、材料和截止时间。",
            "en": "Provincial department of industry and information technology (工业和信息化厅 / 工信厅; names vary, e.g. the Beijing Municipal Bureau of Economy and Information Technology, 北京市经济和信息化局): advanced-level certification, premium and pilot recommendations, and the province's application notices, materials and deadlines.",
        }[language]
        builder.say(phrase("who_to_ask", language), self._cite_text("howto#who-to-contact", quote, language))

    def edition(self, builder: AnswerBuilder, day: dt.date) -> str:
        """Say which year's rules the answer rests on, citing the notice that set them."""
        edition = self.rulebook.edition(day)
        doc = self.catalog.document_of(edition.reference)
        number = str(doc.metadata.get("doc_number", "")) if doc else ""
        builder.say(
            phrase("edition", builder.language, year=edition.id, doc=number or edition.reference),
            self._edition_citation(day, builder.language),
        )
        return edition.id

    # -- requirements, certifier, windows (from the rulebook) ---------------------------------------
    def requirements(
        self,
        builder: AnswerBuilder,
        levels: tuple[str, ...],
        day: dt.date,
        province: str | None,
        focus: str | tuple[str, ...] | None = None,
    ) -> None:
        focus = (focus,) if isinstance(focus, str) else focus
        language = builder.language
        for level in levels:
            name = self._label("levels", level, language)
            facts = self._level_facts(level, day, province, language, name)
            if len(levels) == 1 and not focus:
                builder.say(phrase("requirements_intro", language, level=name))
            for kind, text, citation in facts:
                if focus and kind not in focus:
                    continue  # a focused question gets the focused fact of each level, not the whole list
                builder.say(text, citation)
        if province is None and not focus:
            differ = self._cite_text(
                "conditions-2025#basic-requirements-local",
                "山东、江苏要求三年内未发生重大及以上安全、环保或质量事故，且未列入严重失信主体名单",
                language,
            )
            if language == "en":
                differ = self._cite_text(
                    "conditions-2025#basic-requirements-local", "Shandong and Jiangsu require", "en"
                )
            builder.say(phrase("province_differs", language), differ)

    def _level_facts(
        self, level: str, day: dt.date, province: str | None, language: str, name: str
    ) -> list[tuple[str, str, Citation | None]]:
        get = self.rulebook.get
        facts: list[tuple[str, str, Citation | None]] = []
        coverage = get(f"coverage.{level}", day, province)
        if coverage and coverage.value:
            areas = ("、" if language == "zh" else ", ").join(self._label("areas", a, language) for a in coverage.value)
            facts.append(
                ("coverage", phrase("coverage", language, level=name, areas=areas), self._cite(coverage, language))
            )
            note = coverage.dated.note if language == "zh" else coverage.dated.note_en
            if note:  # e.g. premium covers all five "in principle": the quoted clause says so
                facts.append(("coverage", note, self._cite(coverage, language)))
        floor = get(f"maturity_floor.{level}", day, province)
        if floor and floor.value is not None:
            facts.append(
                (
                    "maturity",
                    phrase(
                        "maturity",
                        language,
                        level=name,
                        floor=self._label("maturity_levels", str(floor.value), language),
                    ),
                    self._cite(floor, language),
                )
            )
        standing = get(f"standing.{level}", day, province)
        if standing and standing.value:
            facts.append(
                (
                    "standing",
                    phrase(
                        "standing", language, level=name, standing=self._label("standings", standing.value, language)
                    ),
                    self._cite(standing, language),
                )
            )
        prerequisite = get(f"prerequisite.{level}", day, province)
        if prerequisite and prerequisite.value:
            required = self._label("levels", prerequisite.value["level"], language)
            key = (
                "prerequisite_or_alternative"
                if prerequisite.value.get("alternatives")
                else "prerequisite"
                if prerequisite.value.get("strict", True)
                else "prerequisite_in_principle"
            )
            facts.append(
                (
                    "prerequisite",
                    phrase(key, language, level=name, required=required),
                    self._cite(prerequisite, language),
                )
            )
        construction = get(f"construction.{level}", day, province)
        if construction and construction.value:
            facts.append(
                ("construction", phrase("construction", language, level=name), self._cite(construction, language))
            )
        explored = get(f"ai.explored.{level}", day, province)
        if explored and explored.value:
            facts.append(("ai", phrase("ai_explored", language, level=name), self._cite(explored, language)))
        share = get(f"ai.min_share.{level}", day, province)
        if share and share.value:
            facts.append(
                (
                    "ai",
                    phrase("ai_share", language, level=name, share=f"{share.value:.0%}"),
                    self._cite(share, language),
                )
            )
        legal = get("legal_person.levels", day, province)
        if legal and legal.value and level in legal.value:
            facts.append(("requirements", phrase("legal_person", language, level=name), self._cite(legal, language)))
        base = get("basic_requirements.fields", day, province)
        if base and base.value:
            fields = ("；" if language == "zh" else "; ").join(self._label("fields", f, language) for f in base.value)
            facts.append(("requirements", phrase("requirements", language, fields=fields), self._cite(base, language)))
        extra = get("provincial_requirements.fields", day, province)
        if extra and extra.value and province:
            fields = "；".join(self._label("fields", f, language) for f in extra.value)
            facts.append(
                (
                    "requirements",
                    phrase(
                        "provincial_requirements",
                        language,
                        province=self._province_name(province, language),
                        fields=fields,
                    ),
                    self._cite(extra, language),
                )
            )
        return facts

    def certifiers(self, builder: AnswerBuilder, levels: tuple[str, ...], day: dt.date, province: str | None) -> None:
        language = builder.language
        for level in levels or LEVELS:
            rule = self.rulebook.get(f"certifier.{level}", day, province)
            if rule and rule.value:
                builder.say(
                    phrase(
                        "certifier",
                        language,
                        level=self._label("levels", level, language),
                        certifier=rule.value[language],
                    ),
                    self._cite(rule, language),
                )

    def windows(
        self, builder: AnswerBuilder, levels: tuple[str, ...], day: dt.date, province: str | None
    ) -> list[dict[str, Any]]:
        language = builder.language
        outputs = []
        for level in levels or ("advanced", "premium"):
            window, note = self.checker.window(level, day, province, language)
            name = self._label("levels", level, language)
            place = self._place(province, level, language)
            if window is not None:
                key = "window_open" if window.status == "open" else "window"
                confidence = phrase(
                    "confidence_c1" if window.confidence in ("C1", "INF", "UNV") else "confidence_c2", language
                )
                builder.say(
                    phrase(
                        key,
                        language,
                        place=place,
                        level=name,
                        start=window.start.isoformat(),
                        end=window.end.isoformat(),
                        authority=window.authority,
                        confidence_text=confidence,
                    ),
                    *window.citations,
                )
                outputs.append(
                    {
                        "level": level,
                        "start": window.start.isoformat(),
                        "end": window.end.isoformat(),
                        "confidence": window.confidence,
                    }
                )
            elif note:
                builder.say(note, self._calendar_citation(language))
                outputs.append({"level": level, "note": note})
        builder.say(phrase("confirm_dates", language), self._calendar_citation(language))
        return outputs

    def _calendar_citation(self, language: str) -> Citation | None:
        quote = {
            "zh": "国家层面的截止日期在资料中均未找到。每年的具体时间请向所在省份工信厅确认，以当年通知为准。",
            "en": "No national deadline was found in the sources. Always confirm each year's dates with your provincial department of industry and information technology (工信厅), following that year's notice.",
        }
        return self._cite_text("howto#calendar", quote[language], language)

    def _place(self, province: str | None, level: str, language: str) -> str:
        if province and level in ("basic", "advanced"):
            name = self._province_name(province, language)
            return f"{name}" if language == "zh" else f"{name}: "
        return ""

    def _province_name(self, province: str, language: str) -> str:
        words = PROVINCES.get(province)
        if not words:
            return province
        return words[0] if language == "zh" else province.capitalize()

    # -- retrieval ----------------------------------------------------------------------------------
    def from_corpus(
        self, builder: AnswerBuilder, question: str, province: str | None, max_sentences: int = 3
    ) -> tuple[str, list[Passage]]:
        """Answer with sentences of the best passages, trusting the retriever's order of passages and
        picking, inside each, the sentences that share the most with the question. Returns ``no_answer``
        when nothing shares enough with the question, or when the best sentence says the sources are silent."""
        language = builder.language
        listing = bool(_ENUMERATION.search(question.lower()))
        counting = bool(re.search(r"多少|几个|几级|how many|how much|number of", question.lower()))
        named_province = detect_province(question)
        named = PROVINCES.get(named_province, ()) if named_province else ()
        dating = bool(re.search(r"什么时候|何时|哪天|哪一天|日期|\bwhen\b|what date", question.lower()))
        passages = [
            p
            for p in self.retriever.search(question, k=8, language=language, province=province)
            if p.language == language
        ][:5]
        query_tokens = {t for t in tokenize(question) if len(t) > 1 or not t.isascii()}
        index = self.retriever.index
        picked: list[tuple[str, Passage, bool, float]] = []
        silent_candidates: list[tuple[float, str, Passage]] = []
        best_overlap = 0.0
        for rank, passage in enumerate(passages):
            document = index.documents.get(passage.doc_id)
            if document is not None and self._untrusted(document):
                continue  # indirect prompt injection: nothing of a tampered document is quoted
            section = document.section(passage.section) if document else None
            # Hidden HTML comments are no source: each becomes a line break, so the sentences around stay verbatim.
            text = without_comments(section.text if section else passage.text)
            heading_silent = bool(section and _SILENCE.search(section.heading))
            candidates = []
            # A sentence is read under its document title and heading ("GB/T 39116 … / 三级 集成级"), so they count too.
            heading_tokens = set(tokenize(f"{passage.title} {section.heading}")) if section else set()
            for position, sentence in enumerate(answer_sentences(text)):
                clean = _LIST_MARK.sub("", sentence).strip()
                if len(clean) < 6 or (clean.endswith(("：", ":")) and len(clean) < 16):
                    continue  # a bare lead-in ("包括：") says nothing on its own
                if not safe_to_quote(clean):
                    continue  # markup, a link outside the allowlist, or words addressed to an AI
                tokens = set(tokenize(clean)) | heading_tokens
                overlap = sum(
                    2.0 if (not t.isascii() and len(t) >= 3) or (t.isascii() and len(t) > 5) else 1.0
                    for t in query_tokens & tokens
                )
                if counting and re.search(r"\d", clean):
                    overlap += 1.0  # "多少 / how many": a sentence with a number is the likelier answer
                if named and any(word in clean.lower() for word in named):
                    overlap += 1.0  # the question names a province: its own sentences come first
                if dating and _DATE_WORDS.search(clean):
                    overlap += 1.0  # "何时 / when": a sentence with a date is the likelier answer
                candidates.append((overlap, position, clean))
                if heading_silent or _is_silent(clean):
                    silent_candidates.append((overlap, clean, passage))
            if not candidates:
                continue
            candidates.sort(key=lambda c: (-c[0], c[1]))
            top = candidates[0][0]
            if rank == 0:
                best_overlap = top
                if listing:  # "分别叫什么 / what are the …": the list itself is the answer
                    chosen = sorted(candidates, key=lambda c: c[1])[:10]
                else:
                    chosen = [c for c in candidates[:max_sentences] if c[0] >= max(1.0, top * 0.5)] or candidates[:1]
            elif rank < 3 and top >= max(2.0, best_overlap) and len(picked) < max_sentences:
                chosen = candidates[:1]
            else:
                continue
            for overlap, _position, clean in sorted(chosen, key=lambda c: c[1]):
                if all(clean != p[0] for p in picked):
                    picked.append((clean, passage, heading_silent or _is_silent(clean), overlap))
        if not picked or best_overlap < 1.5:
            return "no_answer", passages
        if not picked[0][2] and silent_candidates:
            # A passage that says the sources are silent on exactly this beats a loosely related fact.
            overlap, sentence, passage = max(silent_candidates, key=lambda c: c[0])
            if overlap >= max(1.5, best_overlap):
                picked = [(sentence, passage, True, overlap), *[p for p in picked if p[0] != sentence]][
                    : max(3, len(picked))
                ]
        for sentence, passage, _silent, _overlap in picked:
            builder.say(
                sentence,
                Citation(
                    doc_id=passage.doc_id, section=passage.section, title=passage.title, url=passage.url, quote=sentence
                ),
            )
        # "Not found" is the answer only when no factual sentence answers about as well.
        lead = picked[0]
        factual = [p for p in picked[1:] if not p[2] and p[3] > lead[3] + 1.0]
        silent = lead[2] and not factual
        return ("no_answer" if silent else "answered"), passages

    def stage_scenarios(self, builder: AnswerBuilder, stage: str) -> None:
        """The scenarios of one stage of the 2025 guide, each line quoted from the guide's section."""
        reference = self.catalog.localise(f"scenario-guide-2025#stage-{stage}", builder.language)
        document = self.catalog.document_of(reference)
        section = document.section(reference.partition("#")[2]) if document else None
        if document is None or section is None or self._untrusted(document):
            return
        for line in section.text.splitlines():
            item = _LIST_MARK.sub("", line).strip()
            if item.startswith("#") and safe_to_quote(item):
                builder.say(
                    item,
                    Citation(
                        doc_id=document.doc_id,
                        section=section.anchor,
                        title=document.title,
                        url=str(document.metadata.get("url") or "") or None,
                        quote=item,
                    ),
                )

    # -- eligibility verdicts -----------------------------------------------------------------------
    def verdict(self, builder: AnswerBuilder, result: EligibilityResult, target: str) -> None:
        language = builder.language
        by_level: dict[str, LevelResult] = {lv.level: lv for lv in result.levels}
        level = by_level[target]
        name = self._label("levels", target, language)
        if level.status == "held":
            if result.next_level is None:
                builder.say(phrase("verdict_all_held", language))
                return
            builder.say(
                phrase("verdict_held", language, level=name, next=self._label("levels", result.next_level, language))
            )
            level = by_level[result.next_level]
            name = self._label("levels", result.next_level, language)
            target = result.next_level
        edition = self.rulebook.edition(result.as_of)
        edition_citation = self._edition_citation(result.as_of, language)
        if level.status == "eligible":
            builder.say(phrase("verdict_eligible", language, year=edition.id, level=name), edition_citation)
        else:
            builder.say(phrase("verdict_not_eligible", language, year=edition.id, level=name), edition_citation)
            for unmet in level.unmet:
                builder.say(unmet.message if language == "zh" else unmet.message_en, *unmet.citations)
        for note in level.notes:
            builder.say(note.message if language == "zh" else note.message_en, *note.citations)
        if level.certifier:
            rule = self.rulebook.get(f"certifier.{target}", result.as_of, result.province)
            builder.say(
                phrase("certifier", language, level=name, certifier=level.certifier), self._cite(rule, language)
            )
        self.windows(builder, (target,), result.as_of, result.province)

    def _edition_citation(self, day: dt.date, language: str) -> Citation | None:
        edition = self.rulebook.edition(day)
        doc = self.catalog.document_of(edition.reference)
        number = str(doc.metadata.get("doc_number", "")) if doc else ""
        text = self.catalog.section_text(self.catalog.localise(edition.reference, language))
        line = next((ln for ln in text.splitlines() if number and number in ln), "")
        return self._cite_text(edition.reference, _LIST_MARK.sub("", line), language) if line else None
