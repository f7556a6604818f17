"""Prompt-injection defences, both ways round.

* ``looks_like_injection(message)``: a user message that tries to steer the assistant (jailbreaks, role play,
  settings exfiltration, false authority, output forcing, planted "facts", active markup). The router refuses
  these. The text is first unmasked — full-width forms, zero-width and bidi characters, Cyrillic/Greek look-alike
  letters, leetspeak, spaced-out letters and base64/hex payloads — so the disguise does not hide the pattern.
* ``looks_like_instruction(sentence)`` and ``safe_to_quote(sentence)``: a sentence of a document that addresses
  an AI or tells it what to say (indirect injection through an uploaded or poisoned document), or that carries
  markup or a link to a host outside the allowlist. The composer never quotes such a sentence, and never quotes
  any part of a document that contains an instruction (``document_is_tampered``): its plain sentences may be the
  planted facts the instruction refers to.

Deterministic regular expressions, so a refusal is predictable and testable.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable

# -- unmasking ---------------------------------------------------------------------------------------------------
# Look-alike letters from other scripts, folded to the Latin letter they imitate ("іgnore" with a Cyrillic і).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ѕ": "s", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ɡ": "g", "ӏ": "l",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x",
    }
)  # fmt: skip
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_MIXED_TOKEN = re.compile(r"[a-z0-9@$]*[a-z][a-z0-9@$]*")
_SPACED_LETTERS = re.compile(r"\b(?:[a-z] {1,2}){3,}[a-z]\b")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff，。、；：！？]) +(?=[\u3400-\u9fff，。、；：！？])")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}){8,}\b")


def strip_invisible(text: str) -> str:
    """Without format characters (zero-width spaces and joiners, bidi overrides, soft hyphens)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def unmask(text: str) -> str:
    """The text as a reader sees it: NFKC (full-width → ASCII), no invisible characters, look-alikes folded,
    lower case."""
    return unicodedata.normalize("NFKC", strip_invisible(text)).translate(_CONFUSABLES).lower()


def _decoded_payloads(text: str) -> Iterable[str]:
    """Text hidden as base64 or hex inside the message, when it decodes to readable UTF-8."""
    for pattern, decode in ((_BASE64, base64.b64decode), (_HEX, bytes.fromhex)):
        for match in pattern.findall(text):
            try:
                raw = decode(match + "=" * (-len(match) % 4)) if decode is base64.b64decode else decode(match)
                decoded = raw.decode("utf-8")
            except (binascii.Error, ValueError, UnicodeDecodeError):
                continue
            if decoded and sum(ch.isprintable() for ch in decoded) / len(decoded) > 0.9:
                yield decoded


def _readings(message: str) -> list[str]:
    """Every way of reading the message that a disguise may target."""
    plain = unmask(message)
    readings = [plain]
    readings.append(_SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), _CJK_SPACE.sub("", plain)))
    readings.append(_MIXED_TOKEN.sub(lambda m: m.group(0).translate(_LEET), plain))
    readings.extend(unmask(payload) for payload in _decoded_payloads(strip_invisible(message)))
    return readings


# -- user messages -----------------------------------------------------------------------------------------------
_USER_INJECTION = re.compile(
    # overriding the instructions
    r"ignore (all |any |the |your |my )?(previous|prior|above|earlier|preceding|remaining|foregoing)"
    r"|ignore (all |any |the )?(instructions|rules|guidelines|documents|sources)"
    r"|disregard (all |the |any )?(previous|prior|above|your|these|those|its)|forget (everything|all|your|the above)"
    r"|(new|override|overriding|highest[- ]priority|updated|real) (instruction|directive|task|order|system prompt)s?\b"
    r"|(previous|prior|old|original) (instructions|rules) (are|were|have been) (cancel|void|replac|overrid|revok)"
    r"|your new (task|role|job|instructions?|identity|name)|stop being|^override\b|\boverride:"
    r"|(bypass|disable|turn off|switch off|drop|skip|remove|lift|suspend) (all (of )?)?(your|my|its) (\w+ )?(rules"
    r"|restrictions|filters?|safety|guidelines|guardrails|checks|citations|policy|policies|limits)\b"
    r"|(bypass|disable|turn off|switch off) (all |the )?(safety|filters?|guardrails|restrictions|citations)"
    r"|no longer (follow|obey|bound|restricted)|(obey|listen to) only me|you obey\b|without (any )?(rules|restrictions"
    r"|limits|filters?|content policy|policy)|no (rules|restrictions|limits|content policy|filters?)\b"
    r"|jailbreak|jailbroken|developer mode|god mode|unrestricted|do anything now|(?<![a-z])dan(?![a-z])"
    # role play
    r"|pretend (you are|to be|you're)|act as (a|an|if|my|your|though|the (ai|assistant|official|evaluator|admin"
    r"|administrator|developer|system))\b|you are now|you're now|from now on,? you|role-?play|imagine you are"
    r"|let's play a game|you are (an? |the )?(ai|assistant|bot|chatbot|evaluator|official|expert|hacker|freegpt)\b"
    r"|\bas (freegpt|dan|chaosbot|freebot)\b|\b(chaos|free|dev|evil)(bot|gpt)\b"
    # settings and prompt exfiltration
    r"|system prompt|system message|hidden (settings|config|instructions|prompt)|initial instructions"
    r"|your (instructions|prompt|rules|settings|configuration|config|api key|secret|password|token|source code)"
    r"|api[_ -]?key|secret key|(your|admin|the admin|admin panel) password|passwd|admin[_ -]?token|access token"
    r"|bearer|llm_|base_url|database[_ ]url"
    r"|connection string|environment variable|env var|\.env\b|settings\.py|config(uration)? (file|settings|values)"
    r"|dump your|text above|words above|sqlite|assistant_[a-z]"
    # false authority and orders
    r"|\b(i|we) (order|command|instruct|authori[sz]e|direct|require) you\b"
    r"|(order|command|instruct|authori[sz]e)s? you to"
    r"|by (official )?order|official (\w+ )?directive|to all ai|ai assistants?\b|\bas (your|the) (supervisor|admin"
    r"|administrator|developer|boss|owner|regulator)|i am (the |your )(system )?(admin|administrator|developer|owner"
    r"|supervisor)|compliance audit|admin(istrator)? (instruction|command|order)|\bsystem\s*:|\[system\]|\(system"
    r"|on behalf of the (state council|miit|ministry)|tell (the )?(users?|everyone|every user|all users|people)"
    # output forcing and planted facts
    r"|repeat (after me|this|exactly|the following|it|that|back)|say (exactly|only|this sentence)|reply (only|with)"
    r"|respond (only|with)|answer (only|with one word|in one word|with one|with a single)|one word,? yes"
    r"|\bprint (your|this|that|it|out|the (string|word|text|sentence|following|values?|contents?)|only|nothing"
    r"|exactly|[\"'<]|[a-z]+-[0-9a-z]{3,})|\becho\b|output (the|this|your|only|nothing|a|exactly)\b"
    r"|(start|begin|end) your"
    r" (answer|reply|response)|(to|in|into|at the end of|after) (your|the|each|every) (answer|reply|response|sentence)"
    r"|(append|add|include|insert|put) (this|the following|the sentence|the link|a link|the string)"
    r"|confirm (by|with) (replying|writing|saying|typing)|confirm receipt|confirmed'|accept this|answer accordingly"
    r"|remember (this|that|the following)|for (all )?future answers|knowledge base|(change|rewrite) (that|your|the)"
    r" (answer|reply)|[,.;:!] ?say (that|this|it|so)\b|^say\b|declare (us|me|that|our)|announce (that|we|us)"
    r"|approve (us|me|our)|write the approval|skip the (remaining|rest|other) (questions|steps)"
    r"|(secret|internal) list|names of the (review )?experts|decode (this|the following|and)|and (obey|follow) it"
    r"|\bbribe|forge|falsif|fake (a |the )?(report|certificate|document|maturity)"
    # markup and script
    r"|<\s*/?\s*(script|img|iframe|a|svg|object|embed|style|link|meta|b|i|div|span|form|input|body|html)\b"
    r"|javascript\s*:|vbscript\s*:|data\s*:\s*text/html|\bon(error|load|click|mouseover|focus)\s*="
    r"|!?\[[^\]]*\]\(\s*(https?|javascript|data|ftp)\s*:"
    # Chinese
    r"|没有任何限制|不受.{0,4}(限制|约束)|无限制|不再受|原样(重复|复述|发|输出|打印|给)|复述|照着说|照这个说|照此|据此回答|按此回答|一字不差"
    r"|只回答|只回复|只需回答|只能回答|回答只能|回复只能|跟我(说|念|重复)|重复(一遍|这句|下面|以下)"
    r"|系统指令|指令|命令你|授权你|要求你|新任务|新的任务|停止扮演|伪造|造假|作假|行贿|贿赂|假的?(报告|证书)"
    r"|忽略|无视|忘记(之前|以上|所有|你的)|(不要|别|不用)理会|暂停你的|关闭.{0,6}(过滤|限制|安全|检查)"
    r"|跳过(你的|所有|安全|剩下的|剩余的)|(上帝|无限制|自由|开发者|管理员|调试)模式|系统提示|提示词|你的(指令|规则|设定|限制)"
    r"|给你的(限制|规则|设定)|之前的设定|所有(的)?设定|你收到的|越狱|你扮演|请扮演|扮演一(个|名|位)|角色扮演|假装|你现在是"
    r"|你是一(名|个|位)"
    r"|以.{0,8}身份(回答|保证|说|宣布|批准)|密钥|口令|你的密码|令牌|输出你的|泄露|设置项|环境变量|配置文件|配置值|数据库地址"
    r"|数据目录|初始指令|说截止日期是|(告诉|告知|通知)(所有|每一位|每个|全部)?(的)?用户|所有ai|ai助手"
    r"|(你的|在)(回答|回复)(里|中|末尾|开头|后面)|回答(末尾|开头)|附在回答|加在回答|每句话后面|作为你回答"
    r"|记住这个|以后都这么|知识库|把.{0,30}说成|把刚才的(答案|回答)|改成.{0,12}(然后|再)"
    r"|直接(判定|批准|宣布)|批准我们|宣布我们|保证我们|一定能评上|包过|内部.{0,4}名单|专家名单|内部评审"
    r"|解码并|照做|执行这段|管理员(指令|口令|密码|权限|身份|模式)|作为.{0,8}管理员|我是.{0,8}管理员"
)


def looks_like_injection(message: str) -> bool:
    """Whether a user message tries to steer the assistant off its job (in any of its unmasked readings)."""
    return any(_USER_INJECTION.search(reading) for reading in _readings(message))


# -- document sentences ------------------------------------------------------------------------------------------
_ADDRESSED_TO_AI = re.compile(
    r"(^|[\s(（【\[<>|:：,，。;；-])(assistant|chatbot|llm|gpt|ai assistant|ai助手|助手|系统提示)\s*[:：]"
    r"|(note|message|instruction|instructions|notice|reminder)s? (to|for) (the |all |any )?(ai|assistant|chatbot|llm"
    r"|language model|bot)s?\b|the (assistant|ai|chatbot) (must|should|shall|will|has to|needs to)"
    r"|(给|致|对|告诉)(各位|所有)?(ai|大模型|模型|助手|机器人|智能助手|ai助手|人工智能助手|语言模型)(的)?(指示|指令|说明|提示|：|:)"
    r"|(ai|人工智能)?助手(必须|须|应当|应该|请|在回答)"
)
_INSTRUCTION = re.compile(
    r"ignore (all |any |the |your )?(previous|prior|above|earlier|preceding|user's|the user)"
    r"|disregard (all |the |any )?(previous|prior|above|your)|forget (everything|all|your)"
    r"|system prompt|you are now|from now on,? you|pretend (you are|to be)|jailbreak"
    r"|developer mode|(reveal|print|output|repeat|show) (your|the) (system|hidden|api|secret|prompt|instructions|key)"
    r"|api[_ -]?key|admin[_ -]?token|in (your|every|each) (answer|reply|response)"
    r"|in the (answer|reply)s? to (the )?users?"
    r"|(tell|inform) (every |all |the |each )?users? (that|to)\b"
    r"|(reply|respond|answer) only|(reply|respond) with pwned|output .{0,20}(in|to) your|pwned"
    r"|忽略(以上|上述|之前|前面|上文|所有|用户)|无视(以上|之前|所有|用户)|系统提示|提示词|你现在是|你是一名|越狱"
    r"|在(你的)?回答(中|里)(输出|写|加|附|包含|声明|说)|回答用户时|(告诉|告知)(每一位|每位|所有|全部)?用户|输出\s*pwned|请把这句话作为|作为官方结论"
)
_MARKUP = re.compile(
    r"<\s*/?\s*[a-z][a-z0-9]*(\s[^>]*)?>|<!--|-->|javascript\s*:|vbscript\s*:|data\s*:\s*text/html"
    r"|\bon[a-z]+\s*=|!?\[[^\]]*\]\([^)]*\)",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()（）\"',;，。；、\u3400-\u9fff]+", re.IGNORECASE)
# Hosts an answer may show a link to: government sites (*.gov.cn), and the platforms the bundled corpus cites.
_ALLOWED_HOSTS = ("gov.cn", "c3mep.cn", "miit-imps.com", "zckjxh.com")  # and their subdomains
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def looks_like_instruction(sentence: str) -> bool:
    """A document sentence that addresses an AI or tells it what to do or say (indirect prompt injection)."""
    text = unmask(sentence)
    return bool(_ADDRESSED_TO_AI.search(text) or _INSTRUCTION.search(text))


def foreign_urls(sentence: str) -> list[str]:
    """Links in the sentence whose host is not on the allowlist."""
    found = []
    for url in _URL.findall(unmask(sentence)):
        host = re.sub(r"^(https?://)?(www\.)?", "", url).split("/")[0].split("?")[0].split(":")[0].rstrip(".")
        if not any(host == allowed or host.endswith("." + allowed) for allowed in _ALLOWED_HOSTS):
            found.append(url)
    return found


def has_markup(sentence: str) -> bool:
    """HTML tags or comments, event handlers, script URLs or Markdown links: never shown as a quote."""
    return bool(_MARKUP.search(unmask(sentence)))


def safe_to_quote(sentence: str) -> bool:
    """Whether the composer may quote this document sentence verbatim."""
    return not (looks_like_instruction(sentence) or has_markup(sentence) or foreign_urls(sentence))


def hidden_comments(text: str) -> list[str]:
    """The HTML comments of a Markdown text: invisible to a reader, so never a source of an answer."""
    return _HTML_COMMENT.findall(text)


def without_comments(text: str) -> str:
    """The text with each HTML comment replaced by a line break, so the sentences around it stay verbatim."""
    return _HTML_COMMENT.sub("\n", text)


def document_is_tampered(texts: Iterable[str]) -> bool:
    """Whether any sentence of a document (or any hidden comment in it) tries to instruct the assistant.
    Such a document is not quoted at all: its plain sentences may be the very facts the instruction plants."""
    for text in texts:
        if any(looks_like_instruction(comment) for comment in hidden_comments(text)):
            return True
        for piece in re.split(r"(?<=[。！？!?])|(?<=\.)\s|\n+", text):
            if piece.strip() and looks_like_instruction(piece):
                return True
    return False
