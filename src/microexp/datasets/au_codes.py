"""Action-unit codes as the databases' coding sheets write them, read into one canonical form.

The canonical form of one code is :class:`AUCode`: the FACS number, a side, an intensity, and
whether the coder was sure. Written back as text it reads ``[side]number[intensity][?]``:
``L12B``, ``4``, ``(A/L)12``, ``7(B/C)``, ``14?``. A cell of a sheet becomes an :class:`AUCoding`:
its codes, free-text notes and the repairs applied to read it.

What the sheets hold, and the rule applied to each (every one occurs in CASME II, SAMM,
CAS(ME)^2, SAMM Long Videos or CAS(ME)^3):

=========================== =================================================================
written                     read as
=========================== =================================================================
``4+7``, ``2+1``            two codes (order is not kept: codes are sorted by number)
``L12``, ``R14``            side ``L`` / ``R`` (the subject's left / right)
``A12``                     side ``A``: asymmetric
``T18``, ``B23``            side ``T`` / ``B``: top / bottom lip (FACS lip actions)
``A/L12``, ``(L/A)4B``      the coder hesitated between sides: side ``A/L`` (letters sorted)
``ADR30``                   ``AD`` marks an action descriptor; the number is read as it is
``AU4``                     the ``AU`` prefix is dropped
``4B``, ``43E``             intensity ``A`` (trace) … ``E`` (maximum)
``4(B/C)``, ``4A/B``,       intensity between two letters: ``B/C`` (letters sorted, so
``12(B/A)``, ``R2(C and     ``12(B/A)`` is ``A/B``)
then B)``
``L12 or L14``, ``12/14``,  alternatives: each code is ``uncertain`` and lists the other
``(R6 or R12)``,            branches' numbers in ``alternatives``; parentheses group
``R(12or14)B``,             (``R(12or14)B`` is ``R12B or R14B``)
``((8+25)or(50))``
``31?``, ``12B ?``          ``uncertain``
``ref(7B)``, ``ref (L12 or  ``uncertain``: the sheets do not say what ``ref`` means, so a code
L10)``                      inside it is not taken as present
``(loses 1+2) or ...``      a release of the AUs named, kept as a note (no code)
``double 45``, ``twice -    a note (``double``, ``twice -``, ``subject do 2x``) and the codes
L1B``, ``subject do 2x R2`` that follow
``80 (big swallow)``        the code and the note in parentheses
``glare``, ``soft focus``,  a note (words without digits); a cell of notes only has no codes
``Chewing``, ``reaction?``
``?``, empty                not coded (no codes)
``6C/D+ref(7)12E``          repair: a ``+`` is inserted where a closing parenthesis runs into
                            the next code
``9A ref (L12 or L10)``     repair: a ``+`` is inserted before a ``ref(`` that follows a code
``7A/B+L10A/B)+ref(11)``    repair: an unmatched ``)`` is dropped
=========================== =================================================================

Anything else (``4x``, ``4++7``, an unclosed ``(``, an AU number over 99) is a
:class:`~microexp.errors.DataError` naming the file and row given to :func:`parse_au_codes`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DataError
from .coding_sheet import au_string

#: Side letters of the sheets (FACS laterality and the lip prefixes of the lip actions).
SIDES = {"L": "left", "R": "right", "A": "asymmetric", "T": "top lip", "B": "bottom lip"}
#: FACS intensity letters, trace to maximum.
INTENSITIES = "ABCDE"
#: Words that say an action was repeated; they become a note, the codes after them are read.
REPEAT_PREFIX = re.compile(r"^(?P<note>double|twice\s*-?|subject do 2x)\s+(?P<rest>.+)$", re.I)

_SIDE = r"(?P<side>\([LRATB]/[LRATB]\)|[LRATB]/[LRATB](?=\d)|[LRATB])?"
_INTENSITY = r"(?P<intensity>[A-E](?:/[A-E])?|\([A-E]\s*(?:/|and then)\s*[A-E]\))?"
_CODE = re.compile(r"(?:AU\s*)?(?:AD)?" + _SIDE + r"(?P<number>\d{1,3})" + _INTENSITY + r"\s*(?P<q>\?)?")
_GROUP = re.compile(r"(?P<side>[LRATB])?\((?P<inner>.*)\)(?P<intensity>[A-E](?:/[A-E])?)?")
_REF = re.compile(r"ref\((?P<inner>.*)\)", re.I)
_CODE_AND_NOTE = re.compile(r"(?P<code>.*\d[A-E)]?)\s*\((?P<note>[a-z][a-z ]*)\)")
_WORDS = re.compile(r"(?=.*[A-Za-z]{3})[A-Za-z][A-Za-z ?'\-]*")
#: Alternatives: ``or`` between codes or groups, or ``/`` between two AU numbers (``12/14``).
_OR = re.compile(r"(?<![A-Za-z])or(?![A-Za-z])|(?<=\d)/(?=[LRATB]?\d)", re.I)
_PLUS = re.compile(r"\+")
MAX_AU = 99


@dataclass(frozen=True)
class AUCode:
    """One action unit as coded: FACS ``number``, ``side`` (a key of :data:`SIDES`, two of them
    joined by ``/`` when the coder hesitated, or ``None``), ``intensity`` (``'A'`` … ``'E'``, a
    range ``'B/C'``, or ``None``), ``uncertain`` (marked ``?``, inside ``ref(...)`` or one of
    several alternatives) and ``alternatives`` (the AU numbers of the other branches)."""

    number: int
    side: str | None = None
    intensity: str | None = None
    uncertain: bool = False
    alternatives: tuple[int, ...] = ()

    def __str__(self) -> str:
        side = "" if self.side is None else (f"({self.side})" if "/" in self.side else self.side)
        intensity = "" if self.intensity is None else (f"({self.intensity})" if "/" in self.intensity
                                                        else self.intensity)
        return f"{side}{self.number}{intensity}{'?' if self.uncertain else ''}"


@dataclass(frozen=True)
class AUCoding:
    """A sheet cell read: ``codes`` (sorted by number), free-text ``notes`` and the ``repairs``
    applied to read ``text``."""

    text: str
    codes: tuple[AUCode, ...] = ()
    notes: tuple[str, ...] = ()
    repairs: tuple[str, ...] = ()

    @property
    def coded(self) -> bool:
        """Whether the cell codes any action unit (``'?'``, empty and notes-only cells do not)."""
        return bool(self.codes)

    @property
    def present(self) -> frozenset[int]:
        """AU numbers coded without doubt."""
        return frozenset(c.number for c in self.codes if not c.uncertain)

    @property
    def uncertain(self) -> frozenset[int]:
        """AU numbers coded only with doubt (alternatives, ``?``, ``ref(...)``)."""
        return frozenset(c.number for c in self.codes if c.uncertain) - self.present

    @property
    def canonical(self) -> str:
        """The codes in canonical text, joined by ``+`` (``''`` when nothing is coded)."""
        return "+".join(str(c) for c in self.codes)


class _ParseError(ValueError):
    pass


def _sorted_letters(text: str) -> str:
    letters = sorted(set(re.findall(r"[A-Z]", text)))
    return "/".join(letters)


def _code(m: re.Match, uncertain: bool) -> AUCode:
    number = int(m["number"])
    if number > MAX_AU:
        raise _ParseError(f"AU {number} is not a FACS code (0-{MAX_AU})")
    side = _sorted_letters(m["side"]) if m["side"] else None
    intensity = _sorted_letters(m["intensity"]) if m["intensity"] else None
    return AUCode(number, side, intensity, uncertain or bool(m["q"]))


def _split_top(text: str, pattern: re.Pattern) -> list[str]:
    """``text`` cut at the matches of ``pattern`` that lie outside parentheses."""
    depth_at, depth = [], 0
    for ch in text:
        depth_at.append(depth)
        depth += (ch == "(") - (ch == ")")
    parts, start = [], 0
    for m in pattern.finditer(text):
        if depth_at[m.start()] == 0:
            parts.append(text[start:m.start()])
            start = m.end()
    parts.append(text[start:])
    return parts


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        depth += (text[i] == "(") - (text[i] == ")")
        if depth == 0:
            return i
    raise _ParseError(f"unclosed '(' in {text!r}")


def _expr(text: str, uncertain: bool) -> tuple[list[AUCode], list[str]]:
    """Codes and notes of ``text``; alternatives (``or``, ``12/14``) make their codes uncertain."""
    branches = [b.strip() for b in _split_top(text, _OR)]
    if len(branches) == 1:
        return _sum(branches[0], uncertain)
    parsed = [_sum(b, True) for b in branches]
    codes, notes = [], []
    for i, (branch_codes, branch_notes) in enumerate(parsed):
        others = sorted({c.number for j, (cs, _) in enumerate(parsed) if j != i for c in cs})
        codes += [AUCode(c.number, c.side, c.intensity, True, tuple(others)) for c in branch_codes]
        notes += branch_notes
    return codes, notes


def _sum(text: str, uncertain: bool) -> tuple[list[AUCode], list[str]]:
    if not text:
        raise _ParseError("an empty alternative")
    m = re.match(r"loses\s+(?P<rest>.+)$", text, re.I)
    if m:  # a release: the AUs named end here, they are not coded as present
        _expr(m["rest"], True)  # still checked, so a typo is reported
        return [], [text]
    codes, notes = [], []
    for term in _split_top(text, _PLUS):
        c, n = _term(term.strip(), uncertain)
        codes += c
        notes += n
    return codes, notes


def _term(term: str, uncertain: bool) -> tuple[list[AUCode], list[str]]:
    if not term:
        raise _ParseError("an empty term (two '+' in a row, or a '+' at an end)")
    m = _CODE.fullmatch(term)
    if m:
        return [_code(m, uncertain)], []
    m = _REF.fullmatch(term)
    if m:
        return _expr(m["inner"].strip(), True)
    m = _GROUP.fullmatch(term)
    if m and _closing(term, term.index("(")) == m.end("inner"):
        codes, notes = _expr(m["inner"].strip(), uncertain)
        side = m["side"]
        intensity = _sorted_letters(m["intensity"]) if m["intensity"] else None
        return [AUCode(c.number, c.side or side, c.intensity or intensity, c.uncertain, c.alternatives)
                for c in codes], notes
    m = REPEAT_PREFIX.match(term)
    if m:
        codes, notes = _expr(m["rest"], uncertain)
        return codes, [m["note"].strip(" -").lower(), *notes]
    m = _CODE_AND_NOTE.fullmatch(term)
    if m:
        codes, notes = _term(m["code"].strip(), uncertain)
        return codes, [*notes, m["note"].strip()]
    if _WORDS.fullmatch(term):
        return [], [term]
    raise _ParseError(f"{term!r} is not an AU code (e.g. 4, L12, 4B, 4(B/C), 12 or 14, ref(7B)) "
                      "nor a note without digits")


def _repair(text: str) -> tuple[str, list[str]]:
    repairs = []
    fixed = re.sub(r"(?<=[0-9A-E)])\s*(?=ref\()", "+", text)
    if fixed != text:
        repairs.append("'+' inserted before 'ref('")
        text = fixed
    fixed = re.sub(r"(?<!\([LRATB]/[LRATB])\)(?=(?:AD)?[LRATB]?\d)", ")+", text)
    if fixed != text:
        repairs.append("'+' inserted after ')'")
        text = fixed
    depth, kept = 0, []
    for ch in text:
        if ch == ")" and depth == 0:
            repairs.append("unmatched ')' dropped")
            continue
        depth += (ch == "(") - (ch == ")")
        kept.append(ch)
    if depth:
        raise _ParseError(f"unclosed '(' in {text!r}")
    return "".join(kept), repairs


def parse_au_codes(value: object, path=None, row: int | None = None) -> AUCoding:
    """The :class:`AUCoding` of a sheet cell (text, a number, or empty).

    Raises :class:`DataError` naming ``path`` and ``row`` when the cell cannot be read.
    """
    text = re.sub(r"\s+", " ", au_string(value))
    if text in ("", "?"):
        return AUCoding(text)
    normalised = re.sub(r"\bref\s*\(", "ref(", text, flags=re.I)
    try:
        normalised, repairs = _repair(normalised)
        codes, notes = _expr(normalised, False)
    except _ParseError as exc:
        raise DataError(f"action units {text!r}: {exc}", path, row) from None
    merged: dict[tuple, AUCode] = {}
    for c in codes:  # a code written twice (``double 45``) is one code
        merged.setdefault((c.number, c.side, c.intensity, c.uncertain), c)
    ordered = sorted(merged.values(), key=lambda c: (c.number, c.side or "", c.intensity or "", c.uncertain))
    return AUCoding(text, tuple(ordered), tuple(notes), tuple(repairs))


__all__ = ["AUCode", "AUCoding", "INTENSITIES", "SIDES", "parse_au_codes"]
