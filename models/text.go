package models

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Characters the invisible-character rule treats by their context.
const (
	zwnj         = '\u200c' // ZERO WIDTH NON-JOINER
	zwj          = '\u200d' // ZERO WIDTH JOINER
	emojiVS      = '\ufe0f' // VARIATION SELECTOR-16, "show as emoji"
	blackFlag    = '\U0001f3f4'
	tagFirst     = '\U000e0020' // TAG SPACE
	tagLast      = '\U000e007f' // CANCEL TAG
	skinToneLow  = '\U0001f3fb'
	skinToneHigh = '\U0001f3ff'
)

// invisibleIn is the shop's one rule for characters a reader can't see,
// applied to every text field a client sends (product and category names,
// descriptions, notes, customer ids, search queries, account names and
// emails). It returns the first such character of s and its position (1
// for the first character), or ok false. With breaks, line feeds,
// carriage returns and tabs are allowed (multi-line text).
//
// Invisible are: control characters (Cc: NUL, escapes, C1 controls); line
// and paragraph separators (Zl, Zp: U+2028, U+2029); every format
// character (Cf), among them the zero-width space U+200B, the soft hyphen
// U+00AD, the byte order mark U+FEFF, the direction marks, embeddings,
// overrides and isolates (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)
// and the tags U+E0000–U+E007F; and the other default-ignorable characters
// (such as the Hangul fillers U+3164 and U+FFA0, which show as nothing).
// They would let one name pass for another, hide a word from search, or
// reorder what a reader sees (Trojan Source).
//
// Allowed, because there they change what is shown and are part of the
// text: a zero-width joiner inside an emoji sequence (an emoji, optionally
// followed by U+FE0F or a skin tone, then ZWJ, then an emoji: 👩‍💻, 🏳️‍🌈);
// a joiner or non-joiner right after a virama (Indic conjuncts, as IDNA's
// CONTEXTJ rule allows); a non-joiner between two Arabic-script letters
// (Persian, Urdu: "نامه‌ها"); and tags right after U+1F3F4 (the flags of
// England, Scotland and Wales). The Arabic case is looser than IDNA's,
// which also asks the letters' joining types (not in Go's tables): a
// non-joiner after a letter that never joins to the left passes, though it
// changes nothing.
func invisibleIn(s string, breaks bool) (r rune, pos int, ok bool) {
	pos = 0
	for i, c := range s {
		pos++
		if invisibleAt(s, i, c, breaks) {
			return c, pos, true
		}
	}
	return 0, 0, false
}

func invisibleAt(s string, i int, r rune, breaks bool) bool {
	before, after := s[:i], s[i+utf8.RuneLen(r):]
	switch {
	case r == '\n' || r == '\r' || r == '\t':
		return !breaks
	case r == zwj:
		return !(emojiEnds(before) && emojiStarts(after)) && !viramaEnds(before)
	case r == zwnj:
		return !viramaEnds(before) && !(arabicLetterEnds(before) && arabicLetterStarts(after))
	case r >= tagFirst && r <= tagLast:
		return !flagTagged(before)
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point)
}

// invisibleError is the message of a field that breaks invisibleIn's rule.
func invisibleError(fe *fieldErrors, field string, r rune, pos int, breaks bool) {
	what := "control or invisible characters"
	if breaks {
		what = "control characters other than line breaks and tabs, nor invisible ones"
	}
	fe.add(field, "must not contain %s (such as NUL, zero-width spaces or direction overrides): found %s at character %d", what, codePoint(r), pos)
}

func codePoint(r rune) string { return fmt.Sprintf("U+%04X", r) }

// emojiEnds reports whether s ends with an emoji, perhaps followed by
// U+FE0F or a skin tone.
func emojiEnds(s string) bool {
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		if r == emojiVS || r >= skinToneLow && r <= skinToneHigh {
			s = s[:len(s)-n]
			continue
		}
		return isEmoji(r)
	}
	return false
}

func emojiStarts(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isEmoji(r)
}

// isEmoji approximates Extended_Pictographic, which Go's tables lack, by
// "other symbol" (So) outside ASCII and Latin-1 (©, ®, ° are So too).
func isEmoji(r rune) bool { return r > 0xff && unicode.Is(unicode.So, r) }

// viramaEnds reports whether s ends with a virama (canonical combining
// class 9), after which joiners choose how a conjunct is shown.
func viramaEnds(s string) bool {
	if s == "" {
		return false
	}
	_, n := utf8.DecodeLastRuneInString(s)
	return norm.NFC.PropertiesString(s[len(s)-n:]).CCC() == 9
}

// arabicLetterEnds reports whether s ends with an Arabic-script letter,
// perhaps followed by vowel marks.
func arabicLetterEnds(s string) bool {
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		if unicode.Is(unicode.Mn, r) {
			s = s[:len(s)-n]
			continue
		}
		return unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r)
	}
	return false
}

func arabicLetterStarts(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r)
}

// flagTagged reports whether s ends with U+1F3F4 and then only tags: the
// tag sequence of a subdivision flag.
func flagTagged(s string) bool {
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		if r >= tagFirst && r <= tagLast {
			s = s[:len(s)-n]
			continue
		}
		return r == blackFlag
	}
	return false
}
