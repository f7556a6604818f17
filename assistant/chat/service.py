"""The chat pipeline: guard → route → tools → answer → validate citations → store.

The grounded composer answers by default. An optional LLM answerer (``assistant.chat.llm``) may rewrite the
grounded answer from the same numbered sources; when it fails validation or time, the grounded answer stands.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from assistant.admin.approved import ApprovedAnswers
from assistant.chat.citations import AnswerBuilder, validate
from assistant.chat.composer import LEVELS, GroundedComposer, phrase
from assistant.chat.facts import BOOL_FIELDS, extract_facts
from assistant.chat.models import ChatRequest, ChatResponse, ToolCall
from assistant.chat.router import INTENT_PATTERNS, Route, route
from assistant.corpus.catalog import Catalog
from assistant.eligibility.checker import EligibilityChecker
from assistant.eligibility.models import LevelResult, Profile
from assistant.errors import AssistantError, InputError
from assistant.retrieval import HybridRetriever
from assistant.store import ConversationStore
from assistant.store.db import new_id

log = logging.getLogger(__name__)
QUESTIONS_PER_TURN = 3
# Where one question ends and the next begins: "？", ", and who…", "，还有哪些…".
_PART_BREAK = re.compile(
    r"(?<=[？?])|,? and (?=(?:who|when|where|what|how|which)\b)"
    r"|，?(?:还有|另外|以及)(?=.{0,3}(?:谁|哪|什么|怎么|多少))"
)
_COMPARISON = re.compile(r"一回事|区别|不同|一样吗|相同吗|difference|different|same as|the same thing|confuse")
_THRESHOLDS = re.compile(
    r"硬指标|门槛|数控化率|联网率|营业收入|营收|研发投入|多少个场景|场景数量|几个场景|\d+\s*个场景"
    r"|threshold|revenue|networking rate|cnc rate|how many scenarios|number of scenarios|\d+ scenarios|minimum number"
)
_STAGES = {
    "factory-construction": ("工厂建设", "factory construction"),
    "product-rd": ("产品研发", "product r&d", "product research"),
    "process-design": ("工艺设计", "process design"),
    "production-management": ("生产管理", "production management"),
    "production-operations": ("生产作业", "production operation"),
    "operations-management": ("运营管理", "operations management"),
    "product-service": ("产品服务", "product service"),
    "supply-chain": ("供应链管理", "供应链", "supply chain"),
}


def _stage_named(lowered: str) -> str | None:
    """A guide stage named in a question that asks which scenarios it has ("工厂建设环节有哪几个场景")."""
    if not re.search(r"哪几个|哪些|有什么|列出|what are|which|list", lowered) or re.search(r"对应|map|relate", lowered):
        return None
    named = [stage for stage, words in _STAGES.items() if any(w in lowered for w in words)]
    return named[0] if len(named) == 1 else None


_QUICK = {"zh": ["是", "否", "都是"], "en": ["yes", "no", "all yes"]}
_LEVEL_QUICK = {"zh": ["还没有", "基础级", "先进级", "卓越级"], "en": ["none", "basic", "advanced", "premium"]}
_STANDING_QUICK = {
    "zh": ["高于省内平均", "省内领先", "国内领先", "全球领先"],
    "en": ["above average", "leading in the province", "leading nationally", "leading globally"],
}
_FOCUS = {
    "coverage": r"覆盖|环节|领域|cover|area",
    "maturity": r"成熟度|成熟渡|maturity|等级|几级",
    "standing": r"指标|领先|水平|standing|indicator|leading|kpi|how good",
    "ai": r"人工智能|\bai\b|智能化场景",
    "prerequisite": r"先获评|前提|prerequisite|first hold|跳级|跳过|(?<!卓)越级|直接|skip|straight",
}


class ChatService:
    def __init__(
        self,
        checker: EligibilityChecker,
        retriever: HybridRetriever,
        store: ConversationStore,
        today: Callable[[], dt.date] = dt.date.today,
        answerer: Any = None,
        approved: ApprovedAnswers | None = None,
    ) -> None:
        self.checker = checker
        self.retriever = retriever
        self.composer = GroundedComposer(checker, retriever)
        self.store = store
        self.today = today  # the clock is read once per request, here, and handed to the tools as as_of
        self.answerer = answerer
        self.approved = approved

    def catalog(self) -> Catalog:
        """Every section an answer may cite: the bundled corpus and whatever the current index holds (uploads)."""
        try:
            indexed = self.retriever.index.documents
        except AssistantError:
            return self.checker.catalog
        return Catalog({**self.checker.catalog.documents, **indexed})

    def answer(self, request: ChatRequest) -> ChatResponse:
        if request.conversation_id and not self.store.exists(request.conversation_id):
            raise InputError(f"conversation_id: no conversation {request.conversation_id!r}")
        state = self.store.state(request.conversation_id) if request.conversation_id else {}
        in_walkthrough = bool(state.get("pending"))
        routed = route(request.message, state.get("language"), in_walkthrough)
        language = request.language or routed.language
        province = request.province or routed.province or state.get("province")
        conversation_id = request.conversation_id or self.store.create_conversation(language, province)
        as_of = self.today()
        builder = AnswerBuilder(language)
        tools: list[ToolCall] = []
        quick: list[str] = []
        intent = routed.intent
        # Facts the message states, read once: they decide whether it belongs to the walkthrough, then fill it.
        facts = extract_facts(request.message, list(state.get("pending", []))) if routed.in_scope else {}

        approved = (
            self.approved.match(request.message, language)
            if self.approved is not None and routed.in_scope and not routed.injection and not in_walkthrough
            else None
        )
        if approved is not None:  # staff's canonical answer for this question comes first
            intent = "approved"
            builder.say_cited(approved.answer, approved.citations)
            status = "answered"
        elif routed.injection:
            builder.say(phrase("injection", language))
            status = "out_of_scope"
        elif not routed.in_scope:
            builder.say(phrase("out_of_scope", language))
            status = "out_of_scope"
        elif intent == "greeting":
            builder.say(phrase("greeting", language))
            status = "answered"
        elif (
            intent == "eligibility"
            or (in_walkthrough and self._continues_walkthrough(request.message, facts, routed))
            or (bool(routed.levels) and len(facts) >= 3)
        ):
            intent = "eligibility"
            status, quick = self._walkthrough(request, facts, routed, state, builder, as_of, province, tools)
        else:
            status = self._answer_question(request.message, routed, builder, as_of, province, tools)
            state.pop("pending", None)

        state.update({"language": language, "province": province})
        answer_text = builder.render()
        citations = builder.citations
        problems = validate(answer_text, citations, self.catalog())
        if problems:  # never ship an unverifiable citation: say we cannot answer, and log why
            log.error("answer failed citation validation (%s); sending no_answer instead", "; ".join(problems))
            builder = AnswerBuilder(language)
            builder.say(phrase("no_answer", language))
            self.composer.who_to_ask(builder)
            status, answer_text, citations = "no_answer", builder.render(), builder.citations
        answerer = "grounded"
        if self.answerer is not None and status == "answered" and citations and approved is None:
            rewritten = self.answerer.rewrite(request.message, answer_text, citations, language)
            if rewritten is not None:
                answer_text, answerer = rewritten, self.answerer.name
                used = {int(n) for n in re.findall(r"\[(\d{1,2})\]", rewritten)}
                citations = [c for c in citations if c.n in used]
        message_id = new_id("m")
        tools_json = [t.model_dump(mode="json") for t in tools]
        self.store.save_turn(
            conversation_id,
            request.message,
            answer_text,
            status,
            intent,
            [c.model_dump(mode="json") for c in citations],
            tools_json,
            state,
            province,
            message_id,
        )
        return ChatResponse(
            conversation_id=conversation_id,
            message_id=message_id,
            status=status,  # type: ignore[arg-type]
            language="en" if language == "en" else "zh",
            answer=answer_text,
            citations=citations,
            tools=tools,
            quick_replies=quick,
            intent=intent,
            rulebook=self.checker.rulebook.edition(as_of).id,
            answerer=answerer,
        )

    # -- questions ----------------------------------------------------------------------------------
    def _answer_question(
        self,
        message: str,
        routed: Route,
        builder: AnswerBuilder,
        as_of: dt.date,
        province: str | None,
        tools: list[ToolCall],
    ) -> str:

        lowered = message.lower()
        intents = [routed.intent] + [
            name
            for name, pattern in INTENT_PATTERNS
            if name in ("deadline", "certifier") and name != routed.intent and pattern.search(lowered)
        ]
        answered_from_rules = False
        for intent in intents:
            if intent == "requirements" and not routed.levels and re.search(r"基础要求|basic requirement", lowered):
                self.composer.requirements(builder, ("basic",), as_of, province, "requirements")
                answered_from_rules = True
            elif intent == "requirements" and routed.skip:
                # "能跳级吗": the level-by-level rule from the documents, then each level's prerequisite clause.
                self._search_policy(message, builder, province, tools, max_sentences=2)
                self.composer.requirements(builder, routed.levels, as_of, province, "prerequisite")
                answered_from_rules = True
            elif intent in ("requirements", "maturity") and _COMPARISON.search(lowered):
                # "引领级和领航级是一回事吗": a question about concepts, answered from the documents.
                return self._from_corpus(message, builder, province, tools)
            elif intent == "requirements" and _THRESHOLDS.search(lowered):
                # Claimed thresholds (联网率, revenue, "15 scenarios") are not rules; the documents say so.
                return self._from_corpus(message, builder, province, tools)
            elif intent == "scenario" and (stage := _stage_named(lowered)) is not None:
                self.composer.stage_scenarios(builder, stage)
                tools.append(
                    ToolCall(
                        name="search_policy", input={"stage": stage}, output=[f"scenario-guide-2025#stage-{stage}"]
                    )
                )
                answered_from_rules = True
            elif intent == "requirements" and routed.levels:
                asked = [k for k, p in _FOCUS.items() if re.search(p, lowered)]
                general = re.search(
                    r"申报条件|什么条件|哪些条件|条件是|条件有|基本条件|所有条件|全部条件|有什么要求|哪些要求"
                    r"|conditions|requirements (for|of)|what does .{0,30} need",
                    lowered,
                )
                focus = None if general or not asked else tuple(asked)
                self.composer.requirements(builder, routed.levels, as_of, province, focus)
                tools.append(
                    ToolCall(
                        name="level_requirements",
                        input={"levels": list(routed.levels), "as_of": as_of.isoformat(), "province": province},
                        output="see citations",
                    )
                )
                answered_from_rules = True
            elif intent == "maturity" and routed.levels:
                self.composer.requirements(builder, routed.levels, as_of, province, "maturity")
                answered_from_rules = True
            elif intent == "certifier":
                self.composer.certifiers(builder, routed.levels, as_of, province)
                answered_from_rules = True
            elif intent == "deadline" and (
                re.search(r"20\d\d", message)
                or (routed.province and routed.province not in self.checker.rulebook.overlays)
            ):
                # A named year's or a named province's round is in the documents, not in the yearly pattern.
                status = self._from_corpus(message, builder, province, tools)
                if status == "no_answer":
                    return status
                answered_from_rules = True
            elif intent == "deadline":
                output = self.composer.windows(builder, routed.levels, as_of, province)
                tools.append(
                    ToolCall(
                        name="next_windows",
                        input={
                            "levels": list(routed.levels) or ["advanced", "premium"],
                            "province": province,
                            "as_of": as_of.isoformat(),
                        },
                        output=output,
                    )
                )
                answered_from_rules = True
        if answered_from_rules:
            self.composer.edition(builder, as_of)
            return "answered"
        return self._from_corpus(message, builder, province, tools)

    @staticmethod
    def _parts(message: str) -> list[str]:
        """A multi-part question ("文号是多少？附件1是什么？") is answered part by part."""
        pieces = [p.strip() for p in _PART_BREAK.split(message) if p and len(p.strip()) >= 4]
        return pieces if len(pieces) > 1 else [message]

    def _from_corpus(self, message: str, builder: AnswerBuilder, province: str | None, tools: list[ToolCall]) -> str:
        """The search_policy tool: quote the best sentences; when the sources are silent, say so and who to ask."""
        statuses = []
        parts = self._parts(message)
        # Later parts often lean on the first ("附件1是什么？" after "2025年度通知的文号"): carry its anchors along.
        context = " ".join(re.findall(r"20\d\d年度?|\d{2,3}号|No\. ?\d+|基础级|先进级|卓越级|领航级", parts[0]))
        for number, part in enumerate(parts):
            query = f"{part} {context}" if number and context else part
            statuses.append(
                self._search_policy(query, builder, province, tools, max_sentences=3 if len(parts) == 1 else 2)
            )
        status = "answered" if "answered" in statuses else "no_answer"
        if status == "no_answer":
            if not builder.sentences:
                builder.say(phrase("no_answer", builder.language))
            self.composer.who_to_ask(builder)
        return status

    def _search_policy(
        self, query: str, builder: AnswerBuilder, province: str | None, tools: list[ToolCall], max_sentences: int
    ) -> str:
        """One call of the search_policy tool: quoted sentences into the answer, the call into the trace."""
        status, passages = self.composer.from_corpus(builder, query, province, max_sentences)
        tools.append(
            ToolCall(
                name="search_policy",
                input={"query": query, "province": province},
                output=[p.citation_key for p in passages],
            )
        )
        return status

    # -- the eligibility walkthrough ----------------------------------------------------------------
    @staticmethod
    def _continues_walkthrough(message: str, facts: dict[str, Any], routed: Route) -> bool:
        """A reply to the questions just asked: it states facts, or it is short and asks nothing else
        (then the walkthrough asks again rather than treating "no" as an unrelated question)."""
        if facts:
            return True
        return len(message.strip()) <= 20 and routed.intent in ("general", "out_of_scope")

    def _walkthrough(
        self,
        request: ChatRequest,
        facts: dict[str, Any],
        routed: Route,
        state: dict[str, Any],
        builder: AnswerBuilder,
        as_of: dt.date,
        province: str | None,
        tools: list[ToolCall],
    ) -> tuple[str, list[str]]:
        language = builder.language
        known: dict[str, Any] = dict(state.get("profile", {}))
        if request.profile is not None:
            known.update(request.profile.model_dump(mode="json", exclude_none=True))
        known.update({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in facts.items()})
        if province:
            known["province"] = province
        profile = Profile.model_validate(known)
        result = self.checker.check(profile, as_of, language)
        target = (routed.levels[-1] if routed.levels else None) or state.get("target") or result.next_level or "pilot"
        tools.append(
            ToolCall(
                name="check_eligibility",
                input={"profile": profile.model_dump(mode="json", exclude_none=True), "as_of": as_of.isoformat()},
                output={lv.level: lv.status for lv in result.levels},
            )
        )
        by_level: dict[str, LevelResult] = {lv.level: lv for lv in result.levels}
        level = by_level[target]
        if level.status == "held" and result.next_level:
            level = by_level[result.next_level]
        state.update({"profile": known, "target": target})
        if level.status == "needs_info":
            asked = level.missing[:QUESTIONS_PER_TURN]
            if "province" not in known and "province" not in asked and level.level in ("basic", "advanced"):
                asked = ["province", *asked][:QUESTIONS_PER_TURN]
            state["pending"] = asked
            name = self.checker.rulebook.label("levels", level.level, language)
            builder.say(phrase("walk_intro", language, level=name))
            for n, field in enumerate(asked, start=1):
                builder.say(
                    phrase("walk_question", language, n=n, field=self.checker.rulebook.label("fields", field, language))
                )
            if any(f in BOOL_FIELDS for f in asked):
                builder.say(phrase("walk_hint", language))
            return "clarification", _quick_replies(asked, language)
        state.pop("pending", None)
        self.composer.verdict(builder, result, level.level if level.level in LEVELS else target)
        return "answered", []


def _quick_replies(asked: list[str], language: str) -> list[str]:
    first = asked[0] if asked else ""
    if first == "current_level":
        return _LEVEL_QUICK[language]
    if first == "indicator_standing":
        return _STANDING_QUICK[language]
    if first in ("maturity_level",):
        return ["1", "2", "3", "4", "5"]
    if all(f in BOOL_FIELDS for f in asked):
        return _QUICK[language]
    return []
