"""发文机关, from the parts in order of trust: 版头 mark, 署名, 令号, the title's ``XX关于`` prefix."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive.gongwen.vocab import CJK, ORG_END_RE, clean_name, split_orgs

if TYPE_CHECKING:
    from archive.gongwen.reader import Reader


def title_prefix(r: Reader) -> str | None:
    t = r.out.title
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

# -- 发文机关 ---------------------------------------------------------------------------


def order_issuers(r: Reader) -> list[str]:
    """The issuers a 令 number names: 科学技术部令第9号 -> 科学技术部; 国家知识产权局局长令 ->
    国家知识产权局; 科学技术部、国家保密局令 -> both (a 令 is signed by a person, not an office)."""
    num = r.out.doc_number
    if num is None or not num.code.endswith("令") or not r.number_span:
        return []
    # the printed form: the joint 令's names may be cut by docno at 、 (科学技术部、国家保密局令)
    a, _ = r.number_span
    pm = re.search(r"([%s、，,·]{2,60})$" % CJK, r.flat[max(0, a - 40):a])
    code = num.code
    if pm and re.search(r"[、，,]$", pm.group(1)):
        lead = []
        for piece in reversed([x for x in re.split(r"[、，,]", pm.group(1)) if x]):
            if len(piece) > 15 or not ORG_END_RE.search(piece):
                break
            lead.insert(0, piece)
        if lead:
            code = "、".join(lead) + "、" + code
    name = re.sub(r"(?:局长|部长|主任|署长|省长|市长|县长|区长|主席|总理)?令$", "", code)
    name = re.sub(r"^(?:令|号|[年月日])+", "", name)
    names = [x for x in re.split(r"[、，,·]", name) if x]
    if names and all(ORG_END_RE.search(x) or x.endswith("国务院") for x in names):
        return names
    return []


def choose(r: Reader) -> None:
    """Set ``issuer``/``issuers`` from the parts already read, most trusted first."""
    sig = [n for n in r.signature_names if n]
    head = list(r.masthead)
    chosen: list[str] = []
    prefix = title_prefix(r)
    order = order_issuers(r)
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
    elif sig and (r.f.lines > 1 or not prefix):
        chosen = sig
    elif order:
        chosen = order
    elif prefix:
        chosen = split_orgs(prefix)
    if not chosen and r.masthead_raw and 2 <= len(r.masthead_raw) <= 40:
        # names without an organisation ending (科技部中央宣传部中国科协): the mark counts when the
        # title or the 署名 repeats it
        t = r.out.title or ""
        if t.startswith(r.masthead_raw) or r.masthead_raw in r.flat[r.sig_start or len(r.flat):]:
            chosen = [r.masthead_raw]
    chosen = [c for c in (clean_name(x) for x in chosen) if c]
    # placeholder noise (曌, 錓 … from labelled data) is no part of a name
    chosen = [re.sub(r"[曌錓]+", "", c) for c in chosen]
    chosen = [c for c in chosen if c]
    if chosen:
        r.out.issuers = chosen
        r.out.issuer = "、".join(chosen)

# -- 版记 and friends ------------------------------------------------------------------
