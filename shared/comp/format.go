package comp

import (
	"math/big"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
)

// How numbers are shown to people, in one place: statement text, the
// explanation sentences in statement JSON and the plan documents all use
// these. Machines read the decimal fields (exact, amount, rate …), never
// these strings.
//
//   - Money: the currency code, a space, the amount to the cent with
//     thousands separators, a minus sign for negatives: "USD 12,345.67",
//     "USD -2,500.00". Rounded half away from zero.
//   - Attainment, payout multiplier, weight, thresholds: a percentage with
//     exactly 2 decimals: "73.89%", "100.00%".
//   - Commission rates: a percentage with up to 4 decimals, trailing zeros
//     dropped: 0.05 → "5%", 0.0825 → "8.25%", 0.012345 → "1.2345%"
//     (rounded half away from zero past the 4th).
//   - KPI values and targets (counts and amounts alike): thousands
//     separators and at most 2 decimals, whole numbers without: "345,000",
//     "20.22", "610,000.50".
//   - Proration: days on the plan over days in the quarter, "62/92".
//
// Only the display is rounded; every amount is computed from exact values
// and rounded to the cent once, so redoing a line from rounded percentages
// can differ from it by a cent or so. The explanation gives the inputs
// (actual ÷ target, days) so the exact chain can be redone on a calculator.

// fmtMoney renders an amount as "USD 12,345.67".
func fmtMoney(d decimal.Decimal, currency string) string {
	if currency == "" {
		return money.Format(d)
	}
	return currency + " " + money.Format(d)
}

// fmtPercent renders a ratio as a percentage with 2 decimals: 0.738888… →
// "73.89%".
func fmtPercent(r *big.Rat) string {
	return roundRat(mul(r, big.NewRat(100, 1)), 2).StringFixed(2) + "%"
}

// fmtPercentDec is fmtPercent for a decimal ratio.
func fmtPercentDec(d decimal.Decimal) string { return fmtPercent(d.Rat()) }

// fmtRate renders a commission rate as a percentage with up to 4 decimals.
func fmtRate(d decimal.Decimal) string {
	return roundRat(mul(d.Rat(), big.NewRat(100, 1)), 4).String() + "%"
}

// fmtQuantity renders a KPI value or target: thousands separators, at most
// 2 decimals, none for a whole number.
func fmtQuantity(r *big.Rat) string {
	d := roundRat(r, 2)
	s := money.Format(d)
	return strings.TrimSuffix(s, ".00")
}

// fmtQuantityDec is fmtQuantity for a decimal.
func fmtQuantityDec(d decimal.Decimal) string { return fmtQuantity(d.Rat()) }

// StatementFileName is where a person's statement file goes inside a
// quarter's folder: a slug of the name, a dash and the person Id, then ext
// (".txt", ".json"), for example "jane-doe-005000000000001AAA.txt". People
// find their file by name; the Id keeps two people of the same name apart
// and the name stable under renames of the file system. The slug is ASCII
// letters and digits only (accents folded: "Zoë Ødegård" → "zoe-odegard"),
// at most 48 characters; a name with none of those gives "person". The Id
// is kept only if it is an ASCII letter-digit string (a Salesforce Id);
// anything else is replaced by its slug, so no name or Id can reach outside
// the folder ("../", "/", NUL, control characters).
func StatementFileName(name, personID, ext string) string {
	slug := slugify(name, 48)
	if slug == "" {
		slug = "person"
	}
	id := personID
	for _, r := range id {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			id = slugify(personID, 64)
			break
		}
	}
	if id == "" {
		id = "unknown"
	}
	return slug + "-" + id + ext
}

// foldable maps lower-case Latin letters with accents to ASCII, so
// "Zoë Ødegård" is found as zoe-odegard; other scripts are dropped from the
// slug (the Id still names the file).
var foldable = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ð': "d", 'ı': "i"}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ďđ", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭį", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ", "o": "òóôõöøōŏő",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// slugify lowercases s, folds accents to ASCII, turns every run of other
// characters into one dash, trims dashes and cuts to max bytes.
func slugify(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		r = unicode.ToLower(r)
		out := ""
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			out = string(r)
		case foldable[r] != "":
			out = foldable[r]
		}
		if out == "" {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(out)
	}
	slug := b.String()
	if len(slug) > max {
		slug = strings.TrimRight(slug[:max], "-")
	}
	return slug
}
