package comp

import "github.com/venn-revops/venn/shared/money"

// IsCurrency reports whether code is an ISO 4217 alphabetic code (upper
// case, for example "USD"): money.IsCurrency, the one list. A plan, person,
// deal, rate or adjustment currency outside it is a typo, not a new
// currency.
func IsCurrency(code string) bool { return money.IsCurrency(code) }
