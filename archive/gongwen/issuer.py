"""发文机关, from the parts in order of trust: 版头 mark, 署名, 令号, the title's ``XX关于`` prefix."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive.gongwen.vocab import CJK, ORG_END_RE, clean_name, split_orgs

if TYPE_CHECKING:
    from archive.gongwen.body import Body
    from archive.gongwen.closing import Closing
    from archive.gongwen.header import Header
    from archive.gongwen.reader import Doc


def title_prefix(t: str | None) -> str | None:
    """The issuer named at the title's start (``XX关于…``), if it looks like an organisation."""
    if not t:
        return None
    k2 = re.search(r"关于|印发|转发", t)  # the first one: …办公厅印发《关于…》的通知
    if not k2 or k2.start() == 0:
        return None
    k = k2.start()
    p = t[:k]
    if len(p) < 2 or not ORG_END_RE.search(p):
        return None
    return p

# the end of a 发令机关标志 (国务院令, 某某省人民政府令, 某某部部长令): taken off to leave the organs' names
ORDER_SUFFIX = re.compile(r"(?:局长|部长|主任|署长|省长|市长|县长|区长|主席|总理)?令$")

# 科技部等二十二部门令: the lead organ and a count of the others stand for them all
_SEVERAL = re.compile(r"^[%s]{2,20}等[一二三四五六七八九十两\d]{1,4}(?:个)?(?:部门|单位|部委|机关)$" % CJK)

# -- 发文机关 ---------------------------------------------------------------------------


def order_issuers(head: Header) -> list[str]:
    """The issuers a 令 number names: 科学技术部令第9号 -> 科学技术部; 国家知识产权局局长令 ->
    国家知识产权局; 科学技术部、国家保密局令 -> both (a 令 is signed by a person, not an office)."""
    num = head.doc_number
    if num is None or not num.code.endswith("令") or not head.number_span:
        return []
    # the printed form: the joint 令's names may be cut by docno at 、 (科学技术部、国家保密局令)
    a, _ = head.number_span
    pm = re.search(r"([%s、，,·]{2,60})$" % CJK, head.flat[max(0, a - 40):a])
    code = num.code
    if pm and re.search(r"[、，,]$", pm.group(1)):
        lead = []
        for piece in reversed([x for x in re.split(r"[、，,]", pm.group(1)) if x]):
            if len(piece) > 15 or not ORG_END_RE.search(piece):
                break
            lead.insert(0, piece)
        if lead:
            code = "、".join(lead) + "、" + code
    name = ORDER_SUFFIX.sub("", code)
    name = re.sub(r"^(?:令|号|[年月日])+", "", name)
    names = [x for x in re.split(r"[、，,·]", name) if x]
    if names and all(ORG_END_RE.search(x) or x.endswith("国务院") or _SEVERAL.search(x) for x in names):
        return names
    return []


def choose(doc: Doc, hd: Header, body: Body, close: Closing) -> list[str]:
    """The issuers, from the parts already read, most trusted first (empty: none found)."""
    sig = [n for n in close.signature_names if n]
    head = list(hd.masthead)
    chosen: list[str] = []
    prefix = title_prefix(body.title)
    order = order_issuers(hd)
    if head:
        chosen = head
        # the 署名 gives the full form of a 规范化简称 in the mark (发展改革委 -> 国家发展改革委)
        if sig and len(sig) == len(head) and all(
                s.endswith(h) and len(s) - len(h) <= 4 for h, s in zip(head, sig)):
            chosen = sig
        elif sig and len(head) == 1 and len(sig) > 1 and "".join(sig) == head[0]:
            chosen = sig
        elif sig and len(sig) > len(head) and sig[:len(head)] == head:
            # a joint document under the lead issuer's mark (中共中央办公厅文件 … 署名: 中共中央办公厅
            # 国务院办公厅): the 署名 lists every issuer
            chosen = sig
        elif prefix and len(head) == 1:
            joint = split_orgs(prefix)
            if len(joint) > 1 and joint[0] == head[0] and all(ORG_END_RE.search(x) for x in joint):
                chosen = joint
    elif sig and (doc.f.lines > 1 or not prefix):
        chosen = sig
    elif order:
        chosen = order
    elif prefix:
        chosen = split_orgs(prefix)
    if not chosen and hd.masthead_raw and 2 <= len(hd.masthead_raw) <= 40:
        # names without an organisation ending (科技部中央宣传部中国科协): the mark counts when the
        # title or the 署名 repeats it
        t = body.title or ""
        if t.startswith(hd.masthead_raw) or hd.masthead_raw in doc.flat[close.sig_start or len(doc.flat):]:
            chosen = [hd.masthead_raw]
    chosen = [c for c in (clean_name(x) for x in chosen) if c]
    # placeholder noise (曌, 錓 … from labelled data) is no part of a name
    chosen = [re.sub(r"[曌錓]+", "", c) for c in chosen]
    return [c for c in chosen if c]

# -- 版记 and friends ------------------------------------------------------------------
