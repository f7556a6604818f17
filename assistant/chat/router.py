"""Routing a question: its language, intent, the level and province it names, and whether it is an
attempt to steer the assistant off its job. Deterministic keyword rules, so a refusal is predictable."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.chat.safety import looks_like_injection, strip_invisible
from assistant.provinces import detect_province
from assistant.retrieval.search import query_language

LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "basic": ("基础级", "基础", "basic"),
    "advanced": ("先进级", "先进", "先近级", "advanced", "advnaced", "advaced", "advance level"),
    "premium": ("卓越级", "卓越", "premium", "premuim", "premiun", "excellence", "excellent level"),
    "pilot": ("领航级", "领航", "领行级", "pilot", "piolt", "pilto", "leading level", "lighthouse"),
}


_INJECTION = re.compile(
    r"ignore (all |any |the )?(previous|prior|above|earlier)|disregard (all |the )?(previous|prior|above|your)"
    r"|system prompt|your (instructions|prompt|rules|settings|api key)|reveal|jailbreak|developer mode|(?<![a-z])dan(?![a-z])"
    r"|no (rules|restrictions|limits)|without (any )?(rules|restrictions)|let's play a game|repeat (after me|this|exactly)"
    r"|say (exactly|only)|bribe|forge|falsif|fake (a |the )?(report|certificate|document)|system instruction"
    r"|没有任何限制|不受限制|无限制|原样重复|复述|照着说|只回答|系统指令|伪造|造假|作假|行贿|贿赂|假的?(报告|证书)"
    r"|pretend (you are|to be)|act as (a|an|if|my|your|though|the (ai|assistant|official|evaluator|admin"
    r"|administrator|developer|system))\b|you are now|role-?play|api[_ -]?key|password|secret key|environment variable"
    r"|忽略|无视|忘记(之前|以上|所有)|系统提示|提示词|你的指令|开发者模式|越狱|扮演|假装你|你现在是|密钥|api密钥|口令"
    r"|输出你的|泄露|设置项|环境变量|说截止日期是明天|回答只能是"
)
_DOMAIN = re.compile(
    r"智能工厂|梯度|基础级|先进级|先近级|卓越级|领航级|成熟度|成熟渡|自评|申报|认定|要素条件|场景|指引|工信|工业和信息化"
    r"|39116|39117|c3mep|cmmm|数字化车间|智能车间|未来工厂|规上|规模以上|复核|名单|补贴|奖励|文号|通知|实施方案"
    r"|smart factor|smart manufactur|maturity|matur|basic level|advanced|advnaced|premium|pilot|certif|scenario"
    r"|miit|element condition|gradient|cultivation|self-assess|apply|application|eligib|subsid|window|deadline"
    r"|level|factory|factories|province|notice|provincial|basic requirement|accident|事故|信用"
    r"|号文|\d+号|印发|发文|部门|称号|有效期|撤销|材料|平台|评估|评价|指标|环节|领域|工厂|制造|基础要求|申报条件|哪一级|级别"
    r"|premuim|premiun|advnace|advaced|piolt|maturty|maturiy|certifcation|senario|title|valid|revok|material"
    r"|issued|ministr|department|platform|assessment|indicator|standard|gb/t|guide|stage|area|cover|quota|fee"
)
_GREETING = re.compile(
    r"^(你好|您好|hi|hello|hey|在吗|早上好|下午好|晚上好|good (morning|afternoon|evening)|hi there|hello there|help|帮助)"
    r"[!！。.,， ]*$"
    r"|^(你是谁|你能(做|干)什么|你能帮(我|我们)?(做|干)?什么|能帮我干什么|你可以做什么|who are you|what can you (do|help)"
    r"|what do you do|how can you help)"
)

_SUBJECT = r"(我们|我司|我厂|本企业|本公司|咱们|咱|我|厂里|公司)"
INTENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # "什么时候能申报" asks for a date, not a verdict: deadlines are matched first.
    (
        "deadline",
        re.compile(
            r"截止|窗口|几月|哪个月|时间安排|日程|哪天|deadline|window|due date|timeline|schedule"
            r"|(什么时候|何时|日期|时间|when\b|what date|which month).{0,30}(申报|申请|报名|认定|评审|填报|报|apply|application|filing|round|submit)"
            r"|(申报|申请|报名|认定|评审|填报|下一轮|apply|application|filing|round|submit).{0,30}(什么时候|何时|日期|时间|when\b|what date|which month)"
        ),
    ),
    # "能不能跳过先进级" is about the prerequisite rule, not about this enterprise.
    ("skip", re.compile(r"跳级|跳过|(?<!卓)越级|直接(申报|冲|拿|报|评)|skip|jump")),
    (
        "eligibility",
        re.compile(
            _SUBJECT
            + r".{0,300}(能不能|能否|可不可以|可以|够不够|有没有资格|是否符合|符合.{0,6}吗|能.{0,4}(申报|评|申请)"
            r"|能报|行吗|行不行|够.{0,6}吗|有戏吗)|(能不能|能否|可不可以|可以).{0,6}(帮|给)?我们"
            r"|(想|要|打算)(报|申报|评|申请).{0,12}(行吗|行不行|可以吗|能行吗|能成吗)|够.{0,4}(基础级|先进级|卓越级|领航级)(了)?吗"
            r"|can (we|i|our)|are we (eligible|qualified)|do we qualify|am i eligible|check (our|my) eligibility"
            r"|(is|are) (my|our) .{0,30}(eligible|qualified)|(could|may) (we|i) apply"
        ),
    ),
    (
        "certifier",
        re.compile(
            r"谁(来)?(认定|推荐|审批|批准|评定|发)|由谁|哪个部门|哪个单位|谁负责|谁审核|谁批|需要.{0,8}(审批|批准|认定)吗"
            r"|who\b.{0,14}(certif|approv|recognis|recogniz|decid|give|grant|award|recommend)"
            r"|which (authority|department|body)|certified by|certifying|approval from|need approval"
        ),
    ),
    (
        "process",
        re.compile(
            r"流程|步骤|怎么申报|如何申报|怎么申请|程序|路径|how (do|can|to) (we |i )?apply|steps|process|procedure"
        ),
    ),
    (
        "statistics",
        re.compile(
            r"多少家|多少个工厂|数量|统计|总数|how many .{0,25}(factories|enterprises|companies|firms)"
            r"|statistic|number of"
        ),
    ),
    ("document", re.compile(r"文号|〔20\d\d〕|\[20\d\d\]|\d+号文|document number|which notice|哪份文件|哪个文件")),
    (
        "level_requirements",
        re.compile(
            r"条件|要求|覆盖|门槛|标准|必须|指标|水平|位置|几级|多少级|什么级|哪几个|哪些环节|领域"
            r"|requirement|condition|need|must|cover|criteria|indicator|standing|which level|what level|kpi|how good"
        ),
    ),
    ("scenario", re.compile(r"场景|指引|环节|scenario|guide|stage")),
    ("maturity", re.compile(r"成熟度|成熟渡|自评估|自评|39116|39117|c3mep|cmmm|maturity|self-assess|assessment")),
    ("requirements", re.compile(r"基础要求|basic requirement")),
]


@dataclass(frozen=True)
class Route:
    language: str
    intent: str
    levels: tuple[str, ...]
    province: str | None
    in_scope: bool
    injection: bool
    skip: bool = False


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", strip_invisible(text)).strip()


def detect_levels(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    found = []
    for level, words in LEVEL_WORDS.items():
        if any(word in lowered for word in words):
            found.append(level)
    # "基础" inside 基础要求 is not the basic level.
    if (
        "basic" in found
        and not re.search(r"基础级|\bbasic\b(?! requirement)", lowered)
        and re.search(r"基础要求|基础设施", lowered)
    ):
        found.remove("basic")
    return tuple(found)


def route(message: str, conversation_language: str | None = None, in_walkthrough: bool = False) -> Route:
    text = normalise(message)
    lowered = text.lower()
    language = query_language(text)
    if conversation_language and not re.search(r"[A-Za-z]{3,}|[\u3400-\u9fff]", text):
        language = conversation_language  # "2", "30%", "2026-05-10": keep the conversation's language
    # The short list above, then the unmasked readings (full-width, zero-width, look-alikes, base64…) in safety.
    injection = bool(_INJECTION.search(lowered)) or looks_like_injection(message)
    levels = detect_levels(text)
    province = detect_province(text)
    if injection:
        return Route(language, "injection", levels, province, in_scope=False, injection=True)
    bare = re.sub(r"^(hi|hello|hey|你好|您好)[,，!！。. ]+", "", lowered)
    if _GREETING.match(lowered) or _GREETING.match(bare):
        return Route(language, "greeting", levels, province, in_scope=True, injection=False)
    in_scope = in_walkthrough or bool(_DOMAIN.search(lowered))
    if not in_scope:
        return Route(language, "out_of_scope", levels, province, in_scope=False, injection=False)
    intent = "general"
    skip = False
    for name, pattern in INTENT_PATTERNS:
        if name == "level_requirements" and not levels:
            continue  # "先进级要覆盖哪些环节" is about a level's requirements, not the scenario guide
        if pattern.search(lowered):
            intent = {"level_requirements": "requirements", "skip": "requirements"}.get(name, name)
            if name == "skip":
                levels = levels or ("advanced", "premium", "pilot")
                skip = True
            break
    if intent == "eligibility" and not levels and not re.search(r"申报|评|apply|eligib|qualif|level", lowered):
        intent = "general"
    return Route(language, intent, levels, province, in_scope=True, injection=False, skip=skip)
