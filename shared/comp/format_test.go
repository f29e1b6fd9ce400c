package comp

import (
	"math/big"
	"strings"
	"testing"
)

func TestStatementFileName(t *testing.T) {
	for _, tt := range []struct{ name, id, want string }{
		{"Jane Doe", "005000000000001AAA", "jane-doe-005000000000001AAA.txt"},
		{"Zoë Ødegård-Łukasz", "005X", "zoe-odegard-lukasz-005X.txt"},
		{"  O'Brien,  Seán ", "005Y", "o-brien-sean-005Y.txt"},
		{"李小龍", "005Z", "person-005Z.txt"},
		{"../../etc/passwd", "005A", "etc-passwd-005A.txt"},
		{"Acme\x00Corp", "005B", "acme-corp-005B.txt"},
		{"=1+2", "005C", "1-2-005C.txt"},
		{"", "", "person-unknown.txt"},
		{"Eve", "../../x", "eve-x.txt"},
		{"Eve", "a/b\x00c", "eve-a-b-c.txt"},
		{strings.Repeat("Long Name ", 20), "005D", "long-name-long-name-long-name-long-name-long-nam-005D.txt"},
	} {
		got := StatementFileName(tt.name, tt.id, ".txt")
		if got != tt.want {
			t.Errorf("StatementFileName(%q, %q) = %q, want %q", tt.name, tt.id, got, tt.want)
		}
		if strings.ContainsAny(got, "/\\\x00") || strings.HasPrefix(got, ".") {
			t.Errorf("%q is not a safe file name", got)
		}
	}
}

func TestFormats(t *testing.T) {
	r := func(a, b int64) *big.Rat { return big.NewRat(a, b) }
	for _, tt := range []struct{ got, want string }{
		{fmtMoney(dec("12345.675"), "USD"), "USD 12,345.68"},
		{fmtMoney(dec("-2500"), "USD"), "USD -2,500.00"},
		{fmtMoney(dec("-0.004"), "EUR"), "EUR 0.00"},
		{fmtPercent(r(665000, 900000)), "73.89%"},
		{fmtPercent(r(1, 1)), "100.00%"},
		{fmtPercent(r(0, 1)), "0.00%"},
		{fmtPercentDec(dec("0.7")), "70.00%"},
		{fmtRate(dec("0.05")), "5%"},
		{fmtRate(dec("0.0825")), "8.25%"},
		{fmtRate(dec("0.012345")), "1.2345%"},
		{fmtRate(dec("0.0000005")), "0.0001%"},
		{fmtQuantity(r(1860, 92)), "20.22"},
		{fmtQuantity(r(9000000, 92)), "97,826.09"},
		{fmtQuantityDec(dec("345000")), "345,000"},
		{fmtQuantityDec(dec("610000.5")), "610,000.50"},
		{fmtQuantityDec(dec("-3")), "-3"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
