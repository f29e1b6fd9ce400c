// Package comp is Venn's compensation engine: a pure function from plans,
// assignments, KPI values, credited deals and adjustments to one explained
// statement per person per quarter. It imports no AWS package and does no
// I/O beyond decoding the bytes it is handed and writing to an io.Writer.
//
// The rules a finance person needs to check a statement by hand are stated
// here once and repeated in docs/comp-plans.md:
//
//   - Money is exact. Inputs are decimals (shopspring/decimal); the pay
//     arithmetic (attainment, proration, curve interpolation, tier parts)
//     runs on exact fractions, so nothing is rounded along the way. Each
//     statement line is its exact value rounded to the cent once, half away
//     from zero (the money.Round rule); the statement total is the sum of
//     its rounded lines. Ratios on a statement are shown to 12 decimals for
//     reading only.
//   - Proration: a plan span active d of the quarter's D days (both dates
//     inclusive) has factor f = d ÷ D. Payout amounts are multiplied by f. An
//     individual target or quota is prorated too (target × f); a team or org
//     target is not, because the team's result does not depend on when one
//     member joined.
//   - Curves: attainment below the threshold pays 0; attainment above the cap
//     is counted as the cap; between points the payout is linear.
//   - Tiers: a value exactly on a bound belongs to the upper tier unless the
//     component states boundary: lower. Retroactive pays the whole amount at
//     the rate of the tier reached; marginal pays each part at its own tier's
//     rate, one line per tier.
//   - Crediting: a won deal whose close date is in the quarter credits its
//     owner 100%, or its split people by their percentages (split to the cent
//     by largest remainder). A deal credits the plan span active on its close
//     date. A manager's team credit is the sum of the credits of the people
//     who reported to them on each deal's close date and were active then.
//   - Clawbacks: a deal paid in an earlier statement and cancelled within the
//     clawback window (cancellation date − close date ≤ clawback_days) becomes
//     a negative line, in the quarter of the cancellation, equal to the amount
//     originally paid for that deal. Attainment already paid is not restated.
//     Each commission component's rounded total is attributed to its deals in
//     proportion to their credit (largest remainder), which is the "amount paid
//     for the deal".
//   - A deal cancelled inside the quarter it closed is not credited at all.
package comp
