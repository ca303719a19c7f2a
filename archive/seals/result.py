"""One verdict of a seal or signature check, as ``verify`` reports it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Signature:
    kind: str  # PDF 数字签名 / OFD 电子印章 / OFD 电子签名
    signer: str | None
    valid: bool | None  # True: checked and intact; False: checked and broken; None: found, not checkable
    detail: str
    part: str = ""  # 印章 / 签名 / 证书: the three verdicts reported separately; "" when the whole is one verdict
    checks: dict = field(default_factory=dict)  # each check behind the verdict: name -> True / False / None

    def describe(self) -> str:
        who = f"（{self.signer}）" if self.signer else ""
        part = f"·{self.part}" if self.part else ""
        state = {True: "核验通过", False: "核验失败", None: "未能核验"}[self.valid]
        return f"{self.kind}{who}{part}：{state}，{self.detail}"
