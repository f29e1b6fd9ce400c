package crm

import (
	"fmt"

	"github.com/venn-revops/venn/shared/money"
)

// IsISOCurrency reports whether code is an ISO 4217 alphabetic code
// (money.IsCurrency, the one list).
func IsISOCurrency(code string) bool { return money.IsCurrency(code) }

// CurrencyField is the field that names a record's currency.
const CurrencyField = "CurrencyIsoCode"

// Currencies is an org's set of active currencies (Setup > Manage
// Currencies). Empty means any ISO 4217 code is accepted.
type Currencies map[string]bool

// NewCurrencies validates an org's active currency codes.
func NewCurrencies(codes []string) (Currencies, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	c := Currencies{}
	for _, code := range codes {
		if !IsISOCurrency(code) {
			return nil, fmt.Errorf("active currency %q is not an ISO 4217 code", code)
		}
		c[code] = true
	}
	return c, nil
}

// Check reports why code cannot be a record's CurrencyIsoCode.
func (c Currencies) Check(code string) error {
	if !IsISOCurrency(code) {
		return fmt.Errorf("%q is not an ISO 4217 currency code", code)
	}
	if len(c) > 0 && !c[code] {
		return fmt.Errorf("%q is not one of the org's active currencies", code)
	}
	return nil
}
