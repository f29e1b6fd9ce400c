// Package comp is Venn's compensation engine: a pure function from plans,
// assignments, quota records, credited deals, dated activities, KPI values
// and adjustments to one explained statement per person per quarter. It
// imports no AWS package and does no I/O beyond decoding the bytes it is
// handed and writing to an io.Writer.
//
// The rules a finance person needs to check a statement by hand are stated
// here once and repeated, with worked examples, in docs/comp-plans.md:
//
//   - Money is exact. Inputs are decimals; the pay arithmetic runs on exact
//     fractions, so nothing is rounded along the way. Rounding happens once,
//     per the plan's rounding convention (unit line or deal, mode half_up or
//     half_even; defaults line and half_up); the statement total is the sum
//     of its rounded lines.
//   - Windows: a component is measured and paid over the run of consecutive
//     days on versions of one plan in which it is unchanged (windows). Its
//     target or quota is the sum over those days of the full-quarter amount
//     in force (a quota record, else the plan's) ÷ the quarter's days D; its
//     actual counts only the deals closed, meetings held and SQLs accepted in
//     those days (measure.go); a bonus of a window of d days is multiplied by
//     d ÷ D. So splitting a span into identical plan versions changes
//     nothing, and a leaver, a joiner or a role change is measured on their
//     own days. KPIs that cannot be itemised (attribution models, ratios)
//     are org scope only and measured over the quarter.
//   - Curves: attainment below the threshold pays 0; attainment above the cap
//     is counted as the cap; between points the payout is linear.
//   - Tiers: the component states its boundary and mode. Each credited deal
//     is paid what it adds to its component, deals in close order (close
//     date, deal Id, then the report's Id); a cap fills in that order.
//   - Crediting: a won deal whose close date is in the quarter credits its
//     owner 100%, or its split people by their percentages (split to the cent
//     by largest remainder). A manager's team is the people who reported to
//     them on a day and had a plan that day; team bonuses and team commission
//     read the same team credits.
//   - Clawbacks: a deal paid in an earlier statement and cancelled within the
//     clawback window becomes one negative line per component that paid it,
//     in the quarter of the cancellation: what was paid for it (amount_paid,
//     the default) or its credited amount at the rate it was paid at
//     (original_rate). Attainment already paid is not restated.
//   - A deal cancelled inside the quarter it closed is not credited at all.
//   - Payment stage (payrules.go, paystage.go): after every earning line
//     (components, clawbacks, adjustments, corrections) a plan may hold,
//     cap and top up pay, in this order: releases of pay held earlier
//     (a deal's date field set by the quarter's last day, a holdback's
//     release quarter reached) and this quarter's holds (a deal's
//     commission until its date field is set; a share held back); then the
//     pay cap on what is payable (per quarter, per calendar year); then the
//     draw on what is payable after the cap (recoverable: the advance is a
//     balance recovered from later pay above the draw; non-recoverable: a
//     guarantee). Open holds and the draw balance are carried on each
//     statement and read from the latest earlier one. A held deal cancelled
//     is dropped: never paid, not clawed back. The total is what is payable.
//   - SPIFs (spif.go): deals closed in the SPIF's dates that match its
//     product and deal conditions, paid per unit (a split person's share of
//     the matching line items' quantity), per deal, flat once reached or by
//     tiers of a running count carried across quarters from final
//     statements; not prorated; clawed back by what was paid.
//
// Component kinds live in one registry (kinds.go): each kind's validation,
// statement lines and plan-document text.
package comp
