"""Pattern recognizers for the HIPAA Safe Harbor identifiers and their social-media forms.

Each recognizer compiles its patterns once. Numbers with a checksum are validated (python-stdnum for SSN,
Luhn cards and IMEIs, the VIN check digit, phonenumbers for international phones); a number that fails its
checksum but sits next to its keyword ("SSN 912-...") is still reported, with a lower score, because a typo in
a real identifier is still an identifier.
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum import imei, luhn
from stdnum.us import ssn as us_ssn

from rounds.domain.screening import Finding, SpanType
from rounds.screening.base import Context, finding
from rounds.screening.gate import cue_pattern
from rounds.screening.text import Prepared

_I = re.IGNORECASE

FUNDRAISER_HOSTS = (
    "gofundme",
    "caringbridge",
    "givesendgo",
    "mealtrain",
    "spotfund",
    "fundly",
    "giveforward",
    "youcaring",
    "lotsahelpinghands",
    "gogetfunding",
    "crowdrise",
    "helphopelive",
    "fundrazr",
    "ketto",
    "milaap",
)

_TLDS = (
    "com|org|net|edu|gov|io|co|us|uk|ca|health|care|info|me|ly|gl|be|app|site|online|hospital|clinic|"
    "tv|fm|mx|es|in|au|de|fr|page|link"
)

_URL = cue_pattern(
    r"\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")\b(?:/[^\s<>\"']*)?",
    _I,
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_HANDLE = re.compile(r"(?<![\w@/.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
_IPV4 = cue_pattern(
    (r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]\d)",)
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-f]{1,4}:){2,7}(?::|[0-9a-f]{1,4})(?![\w:])", _I)

_PHONE = cue_pattern(
    r"(?<![\w+/-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w/-])"
    r"|(?<![\w+])\+(?:[2-9]\d{0,2})[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?){2,5}\d{2,4}(?![\w/])",
    _I,
)
_FAX_CUE = re.compile(r"\bfax(?:\s*(?:no\.?|number|#))?\s*[:#]?\s*$", _I)
_PHONE_CUE_WORDS = ("tel", "phone", "call", "text", "cell", "mobile", "ph")

_SSN = cue_pattern((r"(?<![\w-])(\d{3})[-\s.](\d{2})[-\s.](\d{4})(?![\w-])",))
_SSN_KEYWORD = cue_pattern(
    r"\b(?:ssn|ss#|social(?:\s+security)?(?:\s+(?:number|no\.?|#))?|seguro\s+social)\s*[:#]?\s*(\d{3}[-\s.]?\d{2}[-\s.]?\d{4}|\d{9}|x{3}-x{2}-\d{4}|\*{3}-\*{2}-\d{4})\b",
    _I,
)

# Keyword-introduced identifiers: (type, rule, keyword alternation). The value is captured in group "v".
_ID_VALUE = r"(?P<v>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}[A-Z0-9])"
_SEP = r"\s*(?:(?:#|no\.?|num(?:ber)?|id|number)\s*)?[:#=]?\s*"
_KEYED: tuple[tuple[SpanType, str, str, str], ...] = (
    (
        SpanType.MRN,
        "keyword.mrn",
        r"mrn|mr#|med(?:ical)?\s+rec(?:ord)?s?|chart|patient\s+id|pt\s+id|hospital\s+(?:number|no)|expediente|hcn",
        "a medical record number",
    ),
    (
        SpanType.HEALTH_PLAN,
        "keyword.health_plan",
        r"member(?:ship)?|subscriber|policy|insurance|insurer|medicaid|medicare|mbi|hicn|health\s+plan|plan|group|beneficiary|p[oó]liza|afiliado",
        "a health plan or insurance member number",
    ),
    (
        SpanType.ACCOUNT,
        "keyword.account",
        r"account|acct|a/c|billing|bill|invoice|statement|guarantor|cuenta|factura",
        "a billing or account number",
    ),
    (
        SpanType.LICENSE,
        "keyword.license",
        r"licen[cs]e|lic|dl|driver'?s?\s+licen[cs]e|npi|dea|certificate|cert|permit|registration|licencia|c[eé]dula",
        "a licence or certificate number",
    ),
    (
        SpanType.VEHICLE,
        "keyword.vehicle",
        r"(?:license\s+|licence\s+)?plates?|tag|vin|vehicle|placa|matr[ií]cula",
        "a vehicle plate or identification number",
    ),
    (
        SpanType.DEVICE,
        "keyword.device",
        r"serial|s/n|sn|device|imei|udi|pacemaker|implant|pump|lot|model\s+serial",
        "a device serial or identifier",
    ),
    (
        SpanType.OTHER_ID,
        "keyword.other_id",
        r"fin|csn|case|encounter|visit|claim|ticket|ref(?:erence)?|confirmation|accession|specimen|order|requisition|folio|caso",
        "a record or case number",
    ),
)
_KEYED_PATTERNS = tuple(
    (span_type, rule, cue_pattern(r"\b(?:" + keywords + r")" + _SEP + _ID_VALUE, _I), what)
    for span_type, rule, keywords, what in _KEYED
)
_PLATE_VALUE = cue_pattern(
    r"\b(?:license\s+plate|licence\s+plate|plates?|tag|placa)\s*(?:#|no\.?|number)?\s*[:#]?\s*(?P<v>[A-Z0-9]{1,4}[- ]?[A-Z0-9]{2,5})\b",
    _I,
)
_VIN = cue_pattern(r"\b[A-HJ-NPR-Z0-9]{17}\b")
_CARD = cue_pattern((r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])",))
_LONG_NUMBER = cue_pattern(r"(?<![\w.,/$#-])(?=[A-Z]{0,3}\d)[A-Z]{0,3}\d{7,}(?![\w.,/%-])")
_BIOMETRIC = cue_pattern(
    r"\b(?:finger\s?prints?|retina(?:l)?\s+scans?|iris\s+scans?|voice\s?prints?|face\s?prints?|dna\s+(?:sample|profile|results?)|"
    r"full[- ]face\s+(?:photo|picture|image|pic)s?|(?:photo|picture|pic|selfie|video)s?\s+of\s+(?:the\s+|our\s+|my\s+)?patients?)\b",
    _I,
)

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_is_valid(value: str) -> bool:
    """North-American VIN check digit (position 9)."""
    value = value.upper()
    if len(value) != 17 or any(c not in _VIN_VALUES for c in value):
        return False
    total = sum(_VIN_VALUES[c] * w for c, w in zip(value, _VIN_WEIGHTS, strict=True))
    check = total % 11
    return value[8] == ("X" if check == 10 else str(check))


def digits_only(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def url_host(url: str) -> str:
    """The lower-cased host of a URL, without ``www.``."""
    return url.lower().split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")


class ContactRecognizer:
    """Emails, URLs (fundraiser and CaringBridge links called out), @handles and IP addresses."""

    name = "phi.contact.v1"

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        text, mask = prepared.folded, prepared.cues
        out: list[Finding] = []
        emails: list[tuple[int, int]] = []
        has_at = "@" in text
        for match in _EMAIL.finditer(text) if has_at else ():
            emails.append(match.span())
            org = match.group().lower() in context.org_contacts
            item = finding(
                *match.span(),
                SpanType.EMAIL,
                self.name,
                "pattern.email",
                "An email address identifies its owner."
                if not org
                else "The organization's own public email address.",
                0.98,
            )
            item.organizational = org
            out.append(item)
        for match in _URL.finditer(text, mask) if "." in text else ():
            start, end = match.span()
            if any(a <= start < b for a, b in emails):
                continue
            value = match.group().rstrip(".,;:!?)]}'\"")
            end = start + len(value)
            if "." not in value or value.replace(".", "").isdigit():
                continue
            lowered = value.lower()
            fundraiser = any(host in lowered for host in FUNDRAISER_HOSTS)
            org = _url_is_org(lowered, context)
            if fundraiser:
                rule, explanation, score = (
                    "pattern.url.fundraiser",
                    "A fundraiser or CaringBridge link points to a specific person's health story.",
                    0.99,
                )
            elif org:
                rule, explanation, score = "pattern.url", "The organization's own public web address.", 0.9
            else:
                rule, explanation, score = "pattern.url", "A web address can lead to a specific person.", 0.9
            item = finding(start, end, SpanType.URL, self.name, rule, explanation, score)
            item.organizational = org and not fundraiser
            out.append(item)
        for match in _HANDLE.finditer(text) if has_at else ():
            org = match.group().lower() in context.org_handles
            item = finding(
                *match.span(),
                SpanType.HANDLE,
                self.name,
                "pattern.handle",
                "The organization's own account." if org else "An @handle names a specific account holder.",
                0.97,
            )
            item.organizational = org
            out.append(item)
        addresses = [*_IPV4.finditer(text, mask, prepared.starts)] if "." in text else []
        if "::" in text or text.count(":") >= 3:
            addresses += [m for m in _IPV6.finditer(text) if m.group().count(":") >= 3]
        for match in addresses:
            out.append(
                finding(
                    *match.span(),
                    SpanType.IP,
                    self.name,
                    "pattern.ip",
                    "An IP address can be traced to a person's device or home.",
                    0.95,
                )
            )
        return out


def _url_is_org(lowered: str, context: Context) -> bool:
    host = url_host(lowered)
    return any(host == org or host.endswith("." + org) for org in context.org_contacts if "@" not in org)


class NumberRecognizer:
    """Phones and faxes, SSNs, keyword-introduced record numbers, cards, VINs, plates, device ids."""

    name = "phi.numbers.v1"

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        text = prepared.folded
        out: list[Finding] = []
        taken: list[tuple[int, int]] = []
        mask = prepared.cues
        if not _HAS_DIGIT.search(text):
            return self._biometric(text, mask)

        def free(start: int, end: int) -> bool:
            return not any(start < b and a < end for a, b in taken)

        def add(item: Finding) -> None:
            taken.append((item.start, item.end))
            out.append(item)

        for match in _SSN_KEYWORD.finditer(text, mask):
            start, end = match.span(1)
            valid = (
                us_ssn.is_valid(digits_only(match.group(1))) if "x" not in match.group(1).lower() else False
            )
            add(
                finding(
                    start,
                    end,
                    SpanType.SSN,
                    self.name,
                    "keyword.ssn",
                    "A Social Security number."
                    + ("" if valid else " (It fails the SSN rules but is labelled as one.)"),
                    0.99 if valid else 0.85,
                )
            )
        for match in _SSN.finditer(text, mask, prepared.starts):
            if not free(*match.span()):
                continue
            raw = "".join(match.groups())
            if match.group().count("-") == 2 and us_ssn.is_valid(raw):
                add(
                    finding(
                        *match.span(),
                        SpanType.SSN,
                        self.name,
                        "pattern.ssn",
                        "A number shaped and valid like a Social Security number.",
                        0.9,
                    )
                )
        for span_type, rule, pattern, what in _KEYED_PATTERNS:
            for match in pattern.finditer(text, mask):
                start, end = match.span("v")
                value = match.group("v")
                if not free(start, end) or _looks_like_measure(text, end) or _DATE_LIKE.fullmatch(value):
                    continue
                if span_type is SpanType.VEHICLE and len(value) == 17 and not vin_is_valid(value):
                    score = 0.8
                elif (
                    span_type is SpanType.DEVICE
                    and len(digits_only(value)) == 15
                    and imei.is_valid(digits_only(value))
                ):
                    score = 0.99
                else:
                    score = 0.92
                add(
                    finding(
                        start,
                        end,
                        span_type,
                        self.name,
                        rule,
                        f"Labelled as {what}, which identifies a person's records.",
                        score,
                    )
                )
        for match in _PLATE_VALUE.finditer(text, mask):
            start, end = match.span("v")
            value = match.group("v")
            if free(start, end) and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                add(
                    finding(
                        start,
                        end,
                        SpanType.VEHICLE,
                        self.name,
                        "keyword.plate",
                        "A licence plate identifies a vehicle and its owner.",
                        0.9,
                    )
                )
        for match in _VIN.finditer(text, mask):
            if free(*match.span()) and vin_is_valid(match.group()):
                add(
                    finding(
                        *match.span(),
                        SpanType.VEHICLE,
                        self.name,
                        "checksum.vin",
                        "A vehicle identification number (valid check digit).",
                        0.97,
                    )
                )
        for match in _PHONE.finditer(text, mask):
            start, end = match.span()
            if not free(start, end):
                continue
            value = match.group()
            digits = digits_only(value)
            if len(digits) < 10 or len(digits) > 15:
                continue
            if value.startswith("+") and not digits.startswith("1"):
                try:
                    parsed = phonenumbers.parse(value, None)
                except phonenumbers.NumberParseException:
                    continue
                if not phonenumbers.is_possible_number(parsed):
                    continue
            elif len(digits) == 11 and not digits.startswith("1"):
                continue
            before = text[max(0, start - 24) : start]
            is_fax = bool(_FAX_CUE.search(before))
            org = digits[-10:] in context.org_contacts
            item = finding(
                start,
                end,
                SpanType.FAX if is_fax else SpanType.PHONE,
                self.name,
                "pattern.fax" if is_fax else "pattern.phone",
                "The organization's own public number."
                if org
                else (
                    "A fax number identifies its owner." if is_fax else "A phone number identifies its owner."
                ),
                0.96,
            )
            item.organizational = org
            add(item)
        for match in _CARD.finditer(text, mask, prepared.starts):
            start, end = match.span()
            digits = digits_only(match.group())
            if not free(start, end) or not 13 <= len(digits) <= 19:
                continue
            if luhn.is_valid(digits):
                add(
                    finding(
                        start,
                        end,
                        SpanType.ACCOUNT,
                        self.name,
                        "checksum.card",
                        "A payment card number (passes the Luhn check).",
                        0.95,
                    )
                )
            elif len(digits) == 15 and imei.is_valid(digits):
                add(finding(start, end, SpanType.DEVICE, self.name, "checksum.imei", "A device IMEI.", 0.95))
        for match in _LONG_NUMBER.finditer(text, mask):
            start, end = match.span()
            if not free(start, end):
                continue
            add(
                finding(
                    start,
                    end,
                    SpanType.OTHER_ID,
                    self.name,
                    "pattern.long_number",
                    "A long number that looks like a record, account or case number.",
                    0.6,
                )
            )
        out.extend(self._biometric(text, mask))
        return out

    def _biometric(self, text: str, mask: int) -> list[Finding]:
        return [
            finding(
                *match.span(),
                SpanType.BIOMETRIC,
                self.name,
                "keyword.biometric",
                "Biometric data and full-face photos are identifiers under HIPAA.",
                0.8,
            )
            for match in _BIOMETRIC.finditer(text, mask)
        ]


_HAS_DIGIT = re.compile(r"\d")
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{2,4}")
_MEASURE = re.compile(r"\s*(?:mg|mcg|ml|units?|%|mmhg|bpm|kg|lbs?)\b", _I)


def _looks_like_measure(text: str, end: int) -> bool:
    return bool(_MEASURE.match(text, end))
